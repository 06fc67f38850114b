import type { Hotspot } from '../../../shared/hotspots';

/**
 * The definitions of docs/hotspots.md computed the slow, obvious way, to check the incremental window against:
 * all-pairs distances, core points, union-find over core pairs, border points joined to every adjacent cluster.
 */
export function referenceHotspots(points: number[][], scanRadius: number, minPoints: number): Hotspot[] {
  const n = points.length;
  if (n === 0) return [];
  const d = points[0]!.length;
  const r2 = scanRadius * scanRadius;
  const near: number[][] = points.map(() => []);
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      let dist = 0;
      for (let i = 0; i < d; i++) {
        const delta = points[b]![i]! - points[a]![i]!;
        dist += delta * delta;
      }
      if (dist <= r2) {
        near[a]!.push(b);
        near[b]!.push(a);
      }
    }
  }
  const core = near.map((list) => list.length + 1 >= minPoints);
  const parent = points.map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!;
    return x;
  };
  for (let a = 0; a < n; a++) {
    if (!core[a]) continue;
    for (const b of near[a]!) if (core[b]) parent[find(a)] = find(b);
  }
  const members = new Map<number, number[]>();
  for (let a = 0; a < n; a++) {
    if (!core[a]) continue;
    const root = find(a);
    if (!members.has(root)) members.set(root, []);
    members.get(root)!.push(a);
  }
  for (let a = 0; a < n; a++) {
    if (core[a]) continue;
    const roots = new Set(near[a]!.filter((b) => core[b]).map(find));
    for (const root of roots) members.get(root)!.push(a);
  }
  const windowMin = Array.from({ length: d }, (_, i) => Math.min(...points.map((p) => p[i]!)));
  const windowMax = Array.from({ length: d }, (_, i) => Math.max(...points.map((p) => p[i]!)));
  return [...members.values()].map((list) => {
    const minValues = Array.from({ length: d }, (_, i) => Math.min(...list.map((a) => points[a]![i]!)));
    const maxValues = Array.from({ length: d }, (_, i) => Math.max(...list.map((a) => points[a]![i]!)));
    let pointsShare = list.length / n;
    let volumeShare = 1;
    for (let i = 0; i < d; i++) {
      volumeShare *= (maxValues[i]! - minValues[i]! + scanRadius) / (windowMax[i]! - windowMin[i]! + scanRadius);
    }
    pointsShare /= volumeShare;
    return {
      density: pointsShare,
      minValues,
      maxValues,
      count: list.length,
      centroid: Array.from({ length: d }, (_, i) => list.reduce((s, a) => s + points[a]![i]!, 0) / list.length),
    };
  });
}
