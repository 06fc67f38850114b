/**
 * The hashed grid that finds a point's neighbours for HOTSPOTS (./window.ts): cells whose side is the scan radius,
 * so the points within the radius of a point lie in its cell or the 3^d cells around it, and the work per point
 * depends on how crowded its neighbourhood is, not on the window size. Slots index the window's coordinate array.
 */

/**
 * Cells are a hair wider than the scan radius, so that two points within the radius are never two cells apart after the
 * rounding of x / side; with |x / side| < 2^30 the rounding error is far below the margin.
 */
const CELL_MARGIN = 1 + 1e-6;
const MAX_CELL = 2 ** 30;

/**
 * Why a point cannot enter a window with this scan radius (a value that is not a finite number, or one so far from 0
 * that grid cells could no longer be told apart exactly), or undefined when it can.
 */
export function pointProblem(values: ArrayLike<number>, scanRadius: number): string | undefined {
  const invSide = 1 / (scanRadius * CELL_MARGIN);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) return `value ${i + 1} of the point is not a finite number: ${String(v)}`;
    if (Math.abs(v * invSide) >= MAX_CELL) {
      return `value ${v} is more than 2^30 scan radii from 0; shift or scale the column (or use a larger scanRadius) so the grid stays exact`;
    }
  }
  return undefined;
}

export class CellGrid {
  private readonly r2: number;
  private readonly invSide: number;
  private readonly buckets = new Map<number, number[]>();
  private readonly bucketOf: Array<number[] | undefined>;
  private readonly keyOf: Int32Array;
  private readonly offsets: Int32Array;
  private readonly cellScratch: Int32Array;
  private readonly bucketScratch: Array<number[]> = [];

  constructor(
    capacity: number,
    private readonly dimensions: number,
    scanRadius: number,
    /** The window's coordinates, `dimensions` per slot. */
    private readonly coords: Float64Array,
  ) {
    const d = dimensions;
    this.r2 = scanRadius * scanRadius;
    this.invSide = 1 / (scanRadius * CELL_MARGIN);
    this.bucketOf = new Array<number[] | undefined>(capacity);
    this.keyOf = new Int32Array(capacity);
    // The 3^d cell offsets around a cell, as a flat list of d-tuples.
    const cells = 3 ** d;
    this.offsets = new Int32Array(cells * d);
    for (let c = 0; c < cells; c++) {
      let k = c;
      for (let i = 0; i < d; i++) {
        this.offsets[c * d + i] = (k % 3) - 1;
        k = Math.floor(k / 3);
      }
    }
    this.cellScratch = new Int32Array(d);
  }

  /** Whether the slot holds a point of the window. */
  has(slot: number): boolean {
    return this.bucketOf[slot] !== undefined;
  }

  add(s: number): void {
    const key = this.cellKey(s);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) this.buckets.set(key, (bucket = []));
    bucket.push(s);
    this.bucketOf[s] = bucket;
    this.keyOf[s] = key;
  }

  remove(o: number): void {
    const bucket = this.bucketOf[o]!;
    const at = bucket.indexOf(o);
    bucket[at] = bucket[bucket.length - 1]!;
    bucket.pop();
    if (bucket.length === 0) this.buckets.delete(this.keyOf[o]!);
    this.bucketOf[o] = undefined;
  }

  /** Slots of the window points within the scan radius of the point in slot s (not yet in the grid). */
  near(s: number, out: number[]): void {
    const d = this.dimensions;
    const cells = this.offsets.length / d;
    if (this.buckets.size <= cells) {
      // Fewer occupied cells than cells around a point (many columns, or an early window): look at every bucket.
      for (const bucket of this.buckets.values()) this.scanBucket(bucket, s, out);
      return;
    }
    const seen = this.bucketScratch;
    seen.length = 0;
    const cell = this.cellScratch;
    for (let i = 0; i < d; i++) cell[i] = Math.floor(this.coords[s * d + i]! * this.invSide);
    for (let c = 0; c < cells; c++) {
      let h = 0x811c9dc5;
      for (let i = 0; i < d; i++) h = mix(h, cell[i]! + this.offsets[c * d + i]!);
      const bucket = this.buckets.get(h);
      if (bucket === undefined || seen.includes(bucket)) continue;
      seen.push(bucket);
      this.scanBucket(bucket, s, out);
    }
  }

  private scanBucket(bucket: number[], s: number, out: number[]): void {
    const d = this.dimensions;
    const coords = this.coords;
    const base = s * d;
    const r2 = this.r2;
    for (let k = 0; k < bucket.length; k++) {
      const q = bucket[k]!;
      let dist = 0;
      for (let i = 0; i < d; i++) {
        const delta = coords[q * d + i]! - coords[base + i]!;
        dist += delta * delta;
      }
      if (dist <= r2) out.push(q);
    }
  }

  private cellKey(s: number): number {
    const d = this.dimensions;
    let h = 0x811c9dc5;
    for (let i = 0; i < d; i++) h = mix(h, Math.floor(this.coords[s * d + i]! * this.invSide));
    return h;
  }
}

/**
 * Hash of cell coordinates. Distinct cells may share a bucket: a bucket's points are always distance-checked, and a
 * query visits each bucket once, so a collision costs time, never correctness.
 */
function mix(h: number, c: number): number {
  h = Math.imul(h ^ c, 0x01000193);
  return h ^ (h >>> 15);
}
