/**
 * Seeded point generators for the hotspots tests and bench: uniform noise over a box and clusters planted in it.
 * mulberry32: tiny and deterministic, so a failing case reproduces from its seed.
 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Box {
  min: number[];
  max: number[];
}

export function uniformPoint(random: () => number, box: Box): number[] {
  return box.min.map((lo, i) => lo + random() * (box.max[i]! - lo));
}

/** A point uniformly distributed in the ball of `radius` around `center` (rejection sampling from the cube). */
export function pointInBall(random: () => number, center: number[], radius: number): number[] {
  for (;;) {
    const offset = center.map(() => (random() * 2 - 1) * radius);
    if (offset.reduce((s, x) => s + x * x, 0) <= radius * radius) return center.map((c, i) => c + offset[i]!);
  }
}

export interface Planted {
  center: number[];
  radius: number;
  points: number[][];
}

/**
 * `total` points: uniform noise over `box`, with each cluster's points (uniform in its ball) interleaved at random
 * positions, as a stream of moves from players crowding at a few places would arrive.
 */
export function noiseWithClusters(
  random: () => number,
  box: Box,
  total: number,
  clusters: Array<{ center: number[]; radius: number; points: number }>,
): { stream: number[][]; planted: Planted[] } {
  const planted: Planted[] = clusters.map((c) => ({ center: c.center, radius: c.radius, points: [] }));
  const slots: number[] = [];
  clusters.forEach((c, k) => {
    for (let i = 0; i < c.points; i++) slots.push(k);
  });
  while (slots.length < total) slots.push(-1);
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  const stream = slots.map((k) => {
    if (k < 0) return uniformPoint(random, box);
    const p = pointInBall(random, clusters[k]!.center, clusters[k]!.radius);
    planted[k]!.points.push(p);
    return p;
  });
  return { stream, planted };
}
