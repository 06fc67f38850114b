import { HotspotsInputError, HotspotsParameterError, HotspotsStateError } from './errors';

/**
 * KDA's HOTSPOTS(cursor, windowSize, scanRadius, minimumNumberOfPointsInAHotspot), incrementally.
 *
 * Definitions (docs/hotspots.md): the window is the last `windowSize` points. Two points are neighbours when their
 * Euclidean distance is ≤ scanRadius. A point is a core point when at least `minPoints` window points lie within
 * scanRadius of it, itself included (DBSCAN's MinPts). A hotspot is a connected component of core points (core points
 * within scanRadius of each other are connected) together with every non-core point within scanRadius of one of its
 * core points. A non-core point next to two hotspots belongs to both, so the result does not depend on arrival order.
 *
 * Each point's neighbour count, its list of neighbours and the number of its core neighbours are kept up to date as
 * points enter and leave, finding neighbours through a hashed grid of cells whose side is the scan radius; so the work
 * per point depends on how crowded its neighbourhood is, not on the window size. Components merge when a point becomes
 * core; only a component that loses a core point is rebuilt (by a search over its own core points).
 */

export interface HotspotsOptions {
  /** Points in the sliding window (KDA allowed 100–1000; 2–100,000 here). */
  windowSize: number;
  /** Neighbourhood radius, in the units of the data (DBSCAN's ε). */
  scanRadius: number;
  /** Points within scanRadius, the point itself included, that make a point a core point (2…windowSize). */
  minPoints: number;
  /** Numeric columns per point. */
  dimensions: number;
}

/** One hotspot: KDA's three fields plus what KDA did not return but a store of results wants. */
export interface Hotspot {
  /** (points in the hotspot ÷ points in the window) ÷ (hotspot box volume ÷ window box volume); see densityOf. */
  density: number;
  minValues: number[];
  maxValues: number[];
  /** Points in the hotspot (core and border). */
  count: number;
  /** Mean of the hotspot's points. */
  centroid: number[];
}

/** KDA's HOTSPOTS_RESULT column, exactly its shape. */
export interface HotspotsResult {
  hotspots: Array<{ density: number; minValues: number[]; maxValues: number[] }>;
}

export const MAX_WINDOW_SIZE = 100_000;
export const MAX_DIMENSIONS = 10;

/**
 * Cells are a hair wider than the scan radius, so that two points within the radius are never two cells apart after the
 * rounding of x / side; with |x / side| < 2^30 the rounding error is far below the margin.
 */
const CELL_MARGIN = 1 + 1e-6;
const MAX_CELL = 2 ** 30;

interface Component {
  members: number[];
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

/** Slots of the non-core points next to a core point, with O(1) add and delete. */
class SlotSet {
  readonly items: number[] = [];
  private readonly pos: Int32Array;
  constructor(capacity: number) {
    this.pos = new Int32Array(capacity).fill(-1);
  }
  has(slot: number): boolean {
    return this.pos[slot]! >= 0;
  }
  add(slot: number): void {
    if (this.pos[slot]! >= 0) return;
    this.pos[slot] = this.items.length;
    this.items.push(slot);
  }
  delete(slot: number): void {
    const at = this.pos[slot]!;
    if (at < 0) return;
    const last = this.items.pop()!;
    if (last !== slot) {
      this.items[at] = last;
      this.pos[last] = at;
    }
    this.pos[slot] = -1;
  }
}

/** Sliding-window minimum or maximum of one column (monotonic deque of sequence numbers, amortized O(1)). */
class WindowExtreme {
  private readonly seqs: Float64Array;
  private head = 0;
  private length = 0;
  constructor(
    private readonly capacity: number,
    private readonly value: (seq: number) => number,
    private readonly isMax: boolean,
  ) {
    this.seqs = new Float64Array(capacity);
  }
  push(seq: number): void {
    const v = this.value(seq);
    while (this.length > 0) {
      const back = this.value(this.seqs[(this.head + this.length - 1) % this.capacity]!);
      if (this.isMax ? back <= v : back >= v) this.length--;
      else break;
    }
    this.seqs[(this.head + this.length) % this.capacity] = seq;
    this.length++;
  }
  evict(seq: number): void {
    if (this.length > 0 && this.seqs[this.head] === seq) {
      this.head = (this.head + 1) % this.capacity;
      this.length--;
    }
  }
  get current(): number {
    return this.value(this.seqs[this.head]!);
  }
}

function checkInteger(name: string, value: number, lo: number, hi: number): void {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new HotspotsParameterError(name, `must be an integer from ${lo} to ${hi}, got ${String(value)}`);
  }
}

export function validateHotspotsOptions(options: HotspotsOptions): void {
  checkInteger('windowSize', options.windowSize, 2, MAX_WINDOW_SIZE);
  if (typeof options.scanRadius !== 'number' || !Number.isFinite(options.scanRadius) || options.scanRadius <= 0) {
    throw new HotspotsParameterError('scanRadius', `must be a finite number greater than 0, got ${String(options.scanRadius)}`);
  }
  checkInteger('minPoints', options.minPoints, 2, options.windowSize);
  checkInteger('dimensions', options.dimensions, 1, MAX_DIMENSIONS);
}

/**
 * KDA: "density: the number of records in the hotspot divided by the hotspot size". Both are taken relative to the
 * whole window, which makes the figure unit-free (degrees, metres or dollars alike) and ≈ 1 for a region no denser than
 * the window on average: (count / windowCount) ÷ Π_i (side_i / windowSide_i). A side is the extent of the points plus
 * one scan radius: each point stands for the neighbourhood scanned around it, so a region reaches half a radius beyond
 * its outermost points, and a hotspot of identical points, or of points on a line, still has a finite size. Without
 * that, a hotspot of a handful of points would look denser than a planted crowd just because its box is small.
 */
export function densityOf(
  count: number,
  windowCount: number,
  min: ArrayLike<number>,
  max: ArrayLike<number>,
  windowMin: ArrayLike<number>,
  windowMax: ArrayLike<number>,
  scanRadius: number,
): number {
  let ratio = count / windowCount;
  for (let i = 0; i < min.length; i++) {
    const side = max[i]! - min[i]! + scanRadius;
    const windowSide = windowMax[i]! - windowMin[i]! + scanRadius;
    ratio *= windowSide / side;
  }
  return ratio;
}

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

/** Orders hotspots densest first (ties: by their lower corner), so equal windows print equal results. */
export function compareHotspots(a: Hotspot, b: Hotspot): number {
  if (a.density !== b.density) return b.density - a.density;
  for (let i = 0; i < a.minValues.length; i++) {
    const d = a.minValues[i]! - b.minValues[i]!;
    if (d !== 0) return d;
  }
  return b.count - a.count;
}

/** KDA's HOTSPOTS_RESULT value for a list of hotspots. */
export function toKdaResult(hotspots: Hotspot[]): HotspotsResult {
  return { hotspots: hotspots.map((h) => ({ density: h.density, minValues: h.minValues, maxValues: h.maxValues })) };
}

/** Expansions the quick connectivity check may spend before the full one. */
const SHORT_SEARCH = 64;

const STATE_MAGIC = 0x4853; // "HS"
const STATE_VERSION = 1;
const STATE_HEADER = 12;

interface Aggregate {
  count: number;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

export class HotspotsWindow {
  readonly windowSize: number;
  readonly scanRadius: number;
  readonly minPoints: number;
  readonly dimensions: number;

  private readonly r2: number;
  private readonly invSide: number;
  private readonly coords: Float64Array;
  private readonly seqOf: Float64Array;
  private readonly bucketOf: Array<number[] | undefined>;
  private readonly keyOf: Int32Array;
  /** Window points within the scan radius, the point itself included. */
  private readonly counts: Int32Array;
  private readonly coreNeighbours: Int32Array;
  private readonly core: Uint8Array;
  private readonly componentOf: Int32Array;
  /** Index of a core point in its component's member list. */
  private readonly memberAt: Int32Array;
  /**
   * Neighbour sequence numbers per slot, ascending (those found on arrival, sorted, then those that arrived later).
   * Entries below `oldest` have left the window; they form a prefix, skipped from nbrStart.
   */
  private readonly nbrs: number[][];
  private readonly nbrStart: Int32Array;
  /** Visit marks for searches, compared with a fresh epoch each time so they never need clearing. */
  private readonly mark: Int32Array;
  private readonly markS: Int32Array;
  private readonly owner: Int32Array;
  private epoch = 0;
  private readonly buckets = new Map<number, number[]>();
  private readonly border: SlotSet;
  private readonly components = new Map<number, Component & { stale: boolean }>();
  private readonly mins: WindowExtreme[];
  private readonly maxs: WindowExtreme[];
  private readonly offsets: Int32Array;
  private readonly cellScratch: Int32Array;
  private readonly bucketScratch: Array<number[]> = [];
  private readonly nearScratch: number[] = [];
  private readonly queue: number[] = [];
  private nextComponent = 0;
  private next = 0;
  private oldest = 0;
  /** Hotspot aggregates of the last evaluation; dropped whenever a component or the border set changes. */
  private cached: Aggregate[] | undefined;

  constructor(options: HotspotsOptions) {
    validateHotspotsOptions(options);
    const { windowSize: n, dimensions: d } = options;
    this.windowSize = n;
    this.scanRadius = options.scanRadius;
    this.minPoints = options.minPoints;
    this.dimensions = d;
    this.r2 = options.scanRadius * options.scanRadius;
    this.invSide = 1 / (options.scanRadius * CELL_MARGIN);
    this.coords = new Float64Array(n * d);
    this.seqOf = new Float64Array(n);
    this.bucketOf = new Array<number[] | undefined>(n);
    this.keyOf = new Int32Array(n);
    this.counts = new Int32Array(n);
    this.coreNeighbours = new Int32Array(n);
    this.core = new Uint8Array(n);
    this.componentOf = new Int32Array(n).fill(-1);
    this.memberAt = new Int32Array(n).fill(-1);
    this.nbrs = Array.from({ length: n }, () => []);
    this.nbrStart = new Int32Array(n);
    this.mark = new Int32Array(n);
    this.markS = new Int32Array(n);
    this.owner = new Int32Array(n);
    this.border = new SlotSet(n);
    const value = (i: number) => (seq: number) => this.coords[(seq % n) * d + i]!;
    this.mins = Array.from({ length: d }, (_, i) => new WindowExtreme(n, value(i), false));
    this.maxs = Array.from({ length: d }, (_, i) => new WindowExtreme(n, value(i), true));
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

  /** Points in the window now (windowSize once full). */
  get size(): number {
    return this.next - this.oldest;
  }

  /** Points pushed since the window was created. */
  get pushed(): number {
    return this.next;
  }

  /** Adds a point (evicting the oldest when the window is full). */
  push(values: ArrayLike<number>): void {
    const d = this.dimensions;
    if (values.length !== d) throw new HotspotsInputError(`a point has ${d} value${d === 1 ? '' : 's'}, got ${values.length}`);
    const problem = pointProblem(values, this.scanRadius);
    if (problem) throw new HotspotsInputError(problem);
    if (this.size === this.windowSize) this.evictOldest();

    const n = this.windowSize;
    const seq = this.next++;
    const s = seq % n;
    for (let i = 0; i < d; i++) this.coords[s * d + i] = values[i]!;
    this.seqOf[s] = seq;

    const near = this.nearScratch;
    near.length = 0;
    this.findNear(s, near);
    const list: number[] = new Array<number>(near.length);
    let coreAround = 0;
    for (let k = 0; k < near.length; k++) {
      const q = near[k]!;
      list[k] = this.seqOf[q]!;
      this.counts[q]!++;
      this.nbrs[q]!.push(seq);
      if (this.core[q]) coreAround++;
    }
    if (list.length > 1) list.sort(ascending);
    this.nbrs[s] = list;
    this.nbrStart[s] = 0;
    this.counts[s] = 1 + near.length;
    this.coreNeighbours[s] = coreAround;
    this.core[s] = 0;
    this.componentOf[s] = -1;
    const key = this.cellKey(s);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) this.buckets.set(key, (bucket = []));
    bucket.push(s);
    this.bucketOf[s] = bucket;
    this.keyOf[s] = key;

    let fresh: number[] | undefined;
    for (let k = 0; k < near.length; k++) {
      const q = near[k]!;
      if (!this.core[q] && this.counts[q]! >= this.minPoints) (fresh ??= []).push(q);
    }
    if (this.counts[s]! >= this.minPoints) (fresh ??= []).push(s);
    if (fresh) {
      for (const c of fresh) this.core[c] = 1;
      for (const c of fresh) {
        const cl = this.nbrs[c]!;
        for (let i = this.liveStart(c); i < cl.length; i++) {
          const y = cl[i]! % n;
          this.coreNeighbours[y]!++;
          this.touchBorder(y);
        }
        this.touchBorder(c);
        this.attachCore(c);
      }
    }
    this.touchBorder(s);

    for (let i = 0; i < d; i++) {
      this.mins[i]!.push(seq);
      this.maxs[i]!.push(seq);
    }
  }

  /** The hotspots of the window now, densest first. */
  hotspots(): Hotspot[] {
    if (this.components.size === 0) return [];
    const aggregates = (this.cached ??= this.aggregate());
    const windowMin: number[] = [];
    const windowMax: number[] = [];
    for (let i = 0; i < this.dimensions; i++) {
      windowMin.push(this.mins[i]!.current);
      windowMax.push(this.maxs[i]!.current);
    }
    const n = this.size;
    const out: Hotspot[] = [];
    const d = this.dimensions;
    for (const a of aggregates) {
      // Plain loops: Array.from over a typed array costs more than everything else here put together.
      const minValues = new Array<number>(d);
      const maxValues = new Array<number>(d);
      const centroid = new Array<number>(d);
      for (let i = 0; i < d; i++) {
        minValues[i] = a.min[i]!;
        maxValues[i] = a.max[i]!;
        centroid[i] = a.sum[i]! / a.count;
      }
      out.push({
        density: densityOf(a.count, n, minValues, maxValues, windowMin, windowMax, this.scanRadius),
        minValues,
        maxValues,
        count: a.count,
        centroid,
      });
    }
    return out.sort(compareHotspots);
  }

  /** KDA's HOTSPOTS_RESULT for the window now. */
  result(): HotspotsResult {
    return toKdaResult(this.hotspots());
  }

  /** Push a point and return KDA's HOTSPOTS_RESULT for it, as KDA emitted one per input row. */
  process(values: ArrayLike<number>): HotspotsResult {
    this.push(values);
    return this.result();
  }

  /** The window's points, oldest first. */
  points(): number[][] {
    const d = this.dimensions;
    const out: number[][] = [];
    for (let seq = this.oldest; seq < this.next; seq++) {
      const s = seq % this.windowSize;
      out.push(Array.from(this.coords.subarray(s * d, s * d + d)));
    }
    return out;
  }

  /**
   * The window's points as bytes (a 12-byte header, then little-endian float64s, oldest first): everything needed to
   * carry the window into another invoke, since the rest is rebuilt by pushing the points again.
   */
  toBytes(): Uint8Array {
    const d = this.dimensions;
    const n = this.size;
    const bytes = new Uint8Array(STATE_HEADER + n * d * 8);
    const view = new DataView(bytes.buffer);
    view.setUint16(0, STATE_MAGIC, true);
    view.setUint8(2, STATE_VERSION);
    view.setUint8(3, d);
    view.setUint32(4, this.windowSize, true);
    view.setUint32(8, n, true);
    let at = STATE_HEADER;
    for (let seq = this.oldest; seq < this.next; seq++) {
      const s = seq % this.windowSize;
      for (let i = 0; i < d; i++, at += 8) view.setFloat64(at, this.coords[s * d + i]!, true);
    }
    return bytes;
  }

  /**
   * A window with `options` holding the points of a saved window; when windowSize shrank since, only the newest
   * points are kept. Throws HotspotsStateError when the bytes are not a saved window of the same number of columns.
   */
  static fromBytes(options: HotspotsOptions, bytes: Uint8Array): HotspotsWindow {
    const window = new HotspotsWindow(options);
    if (bytes.length < STATE_HEADER)
      throw new HotspotsStateError(`saved hotspots window is ${bytes.length} bytes, shorter than its header`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint16(0, true) !== STATE_MAGIC || view.getUint8(2) !== STATE_VERSION) {
      throw new HotspotsStateError('not a saved hotspots window (wrong magic number or version)');
    }
    const d = view.getUint8(3);
    const n = view.getUint32(8, true);
    if (d !== options.dimensions)
      throw new HotspotsStateError(`saved hotspots window has ${d} columns, the detector has ${options.dimensions}`);
    if (bytes.length !== STATE_HEADER + n * d * 8)
      throw new HotspotsStateError(`saved hotspots window of ${n} points should be ${STATE_HEADER + n * d * 8} bytes, is ${bytes.length}`);
    const point = new Float64Array(d);
    for (let k = Math.max(0, n - options.windowSize); k < n; k++) {
      for (let i = 0; i < d; i++) point[i] = view.getFloat64(STATE_HEADER + (k * d + i) * 8, true);
      window.push(point);
    }
    return window;
  }

  private evictOldest(): void {
    const n = this.windowSize;
    const seqO = this.oldest++;
    const o = seqO % n;
    const wasCore = this.core[o] === 1;
    let lost: number[] | undefined;
    const ol = this.nbrs[o]!;
    const oStart = this.liveStart(o);
    for (let i = oStart; i < ol.length; i++) {
      const y = ol[i]! % n;
      this.counts[y]!--;
      if (wasCore) this.coreNeighbours[y]!--;
      if (this.core[y] && this.counts[y]! < this.minPoints) (lost ??= []).push(y);
      else this.touchBorder(y);
    }

    const bucket = this.bucketOf[o]!;
    const at = bucket.indexOf(o);
    bucket[at] = bucket[bucket.length - 1]!;
    bucket.pop();
    if (bucket.length === 0) this.buckets.delete(this.keyOf[o]!);
    this.bucketOf[o] = undefined;
    this.touchBorder(o);

    if (wasCore || lost) {
      // Lost core points, grouped by the component they leave.
      const byComponent = new Map<number, number[]>();
      const leave = (x: number) => {
        const id = this.componentOf[x]!;
        let group = byComponent.get(id);
        if (!group) byComponent.set(id, (group = []));
        group.push(x);
        this.removeMember(x);
        this.core[x] = 0;
      };
      if (wasCore) leave(o);
      if (lost) {
        for (const y of lost) leave(y);
        for (const y of lost) {
          const yl = this.nbrs[y]!;
          for (let i = this.liveStart(y); i < yl.length; i++) {
            const z = yl[i]! % n;
            this.coreNeighbours[z]!--;
            this.touchBorder(z);
          }
          this.touchBorder(y);
        }
      }
      for (const [id, group] of byComponent) this.reconnect(id, group);
    }
    this.nbrs[o] = [];

    for (let i = 0; i < this.dimensions; i++) {
      this.mins[i]!.evict(seqO);
      this.maxs[i]!.evict(seqO);
    }
  }

  /**
   * Core points `gone` just left component `id`. The rest stays connected unless `gone` held it together: any path
   * through them enters and leaves by their remaining core neighbours (the entries), so it is enough that the entries
   * still reach each other. In a crowd a short search from one entry finds all the others. Failing that, one search per
   * entry runs in turns, searches that meet join, and a search that runs out has covered a whole piece, which becomes a
   * component of its own; the last piece standing keeps the component and is never walked in full, so a split costs
   * the size of the pieces that break off, not of the crowd.
   */
  private reconnect(id: number, gone: number[]): void {
    const comp = this.components.get(id)!;
    if (comp.members.length === 0) {
      this.components.delete(id);
      return;
    }
    const n = this.windowSize;
    if (this.epoch > 2 ** 30) {
      // Marks are int32: start the epochs over before they could wrap.
      this.mark.fill(0);
      this.markS.fill(0);
      this.epoch = 0;
    }
    const sEpoch = ++this.epoch;
    const entries: number[] = [];
    for (const x of gone) {
      const xl = this.nbrs[x]!;
      for (let i = this.liveStart(x); i < xl.length; i++) {
        const z = xl[i]! % n;
        if (this.core[z] && this.componentOf[z] === id && this.markS[z] !== sEpoch) {
          this.markS[z] = sEpoch;
          entries.push(z);
        }
      }
    }
    if (entries.length <= 1 || this.reaches(entries, id, sEpoch, SHORT_SEARCH)) return;
    for (const piece of this.piecesBreakingOff(entries, id)) {
      const cid = this.nextComponent++;
      const c = this.emptyComponent();
      this.components.set(cid, c);
      for (const m of piece) {
        this.removeMember(m);
        this.addMember(cid, c, m);
      }
    }
  }

  /** Whether a search from entries[0] through component `id` reaches every entry within `budget` expansions. */
  private reaches(entries: number[], id: number, sEpoch: number, budget: number): boolean {
    const n = this.windowSize;
    const visit = ++this.epoch;
    const queue = this.queue;
    queue.length = 0;
    queue.push(entries[0]!);
    this.mark[entries[0]!] = visit;
    let reached = 1;
    for (let head = 0; head < queue.length && head < budget; head++) {
      const x = queue[head]!;
      const xl = this.nbrs[x]!;
      for (let i = this.liveStart(x); i < xl.length; i++) {
        const z = xl[i]! % n;
        if (!this.core[z] || this.componentOf[z] !== id || this.mark[z] === visit) continue;
        this.mark[z] = visit;
        queue.push(z);
        if (this.markS[z] === sEpoch && ++reached === entries.length) return true;
      }
    }
    return false;
  }

  /** The pieces of component `id` that no longer connect to the rest: one search per entry, in turns (see reconnect). */
  private piecesBreakingOff(entries: number[], id: number): number[][] {
    const n = this.windowSize;
    const visit = ++this.epoch;
    const k = entries.length;
    const queues = entries.map((e) => [e]);
    const heads = new Int32Array(k);
    const parent = Int32Array.from({ length: k }, (_, j) => j);
    const searchesOf: number[][] = entries.map((_, j) => [j]);
    const owner = this.owner;
    entries.forEach((e, j) => {
      this.mark[e] = visit;
      owner[e] = j;
    });
    const find = (j: number): number => {
      while (parent[j] !== j) j = parent[j] = parent[parent[j]!]!;
      return j;
    };
    let active = Array.from({ length: k }, (_, j) => j);
    const pieces: number[][] = [];
    while (active.length > 1) {
      for (const r of active) {
        if (find(r) !== r || active.length <= 1) continue;
        const mine = searchesOf[r]!;
        let j = -1;
        for (const candidate of mine) {
          if (heads[candidate]! < queues[candidate]!.length) {
            j = candidate;
            break;
          }
        }
        if (j < 0) {
          // Ran out: a whole piece.
          pieces.push(mine.flatMap((m) => queues[m]!));
          active = active.filter((a) => a !== r);
          continue;
        }
        const x = queues[j]![heads[j]!++]!;
        const xl = this.nbrs[x]!;
        for (let i = this.liveStart(x); i < xl.length; i++) {
          const z = xl[i]! % n;
          if (!this.core[z] || this.componentOf[z] !== id) continue;
          if (this.mark[z] !== visit) {
            this.mark[z] = visit;
            owner[z] = j;
            queues[j]!.push(z);
            continue;
          }
          const other = find(owner[z]!);
          if (other === r) continue;
          parent[other] = r;
          for (const m of searchesOf[other]!) mine.push(m);
          active = active.filter((a) => a !== other);
          if (active.length <= 1) break;
        }
      }
    }
    return pieces;
  }

  /** A point just became core: join its core neighbours' components (merging them) or start one. */
  private attachCore(c: number): void {
    const n = this.windowSize;
    let target = -1;
    let others: number[] | undefined;
    const cl = this.nbrs[c]!;
    for (let i = this.liveStart(c); i < cl.length; i++) {
      const z = cl[i]! % n;
      if (!this.core[z]) continue;
      const id = this.componentOf[z]!;
      if (id < 0 || id === target || others?.includes(id)) continue;
      if (target < 0) target = id;
      else if (this.components.get(id)!.members.length > this.components.get(target)!.members.length) {
        (others ??= []).push(target);
        target = id;
      } else (others ??= []).push(id);
    }
    if (target < 0) {
      const id = this.nextComponent++;
      const comp = this.emptyComponent();
      this.components.set(id, comp);
      this.addMember(id, comp, c);
      return;
    }
    const into = this.components.get(target)!;
    for (const id of others ?? []) {
      const from = this.components.get(id)!;
      this.components.delete(id);
      for (const m of from.members) {
        this.componentOf[m] = target;
        this.memberAt[m] = into.members.length;
        into.members.push(m);
      }
      into.stale ||= from.stale;
      for (let i = 0; i < this.dimensions; i++) {
        into.sum[i]! += from.sum[i]!;
        if (from.min[i]! < into.min[i]!) into.min[i] = from.min[i]!;
        if (from.max[i]! > into.max[i]!) into.max[i] = from.max[i]!;
      }
    }
    this.addMember(target, into, c);
  }

  private emptyComponent(): Component & { stale: boolean } {
    const d = this.dimensions;
    return {
      members: [],
      sum: new Float64Array(d),
      min: new Float64Array(d).fill(Infinity),
      max: new Float64Array(d).fill(-Infinity),
      stale: false,
    };
  }

  private addMember(id: number, comp: Component, slot: number): void {
    const d = this.dimensions;
    this.componentOf[slot] = id;
    this.memberAt[slot] = comp.members.length;
    comp.members.push(slot);
    for (let i = 0; i < d; i++) {
      const v = this.coords[slot * d + i]!;
      comp.sum[i]! += v;
      if (v < comp.min[i]!) comp.min[i] = v;
      if (v > comp.max[i]!) comp.max[i] = v;
    }
    this.cached = undefined;
  }

  /** Drops a core point from its component; bounds it held are recomputed when next asked for. */
  private removeMember(slot: number): void {
    const d = this.dimensions;
    const comp = this.components.get(this.componentOf[slot]!)!;
    const at = this.memberAt[slot]!;
    const last = comp.members.pop()!;
    if (last !== slot) {
      comp.members[at] = last;
      this.memberAt[last] = at;
    }
    for (let i = 0; i < d; i++) {
      const v = this.coords[slot * d + i]!;
      comp.sum[i]! -= v;
      if (v === comp.min[i] || v === comp.max[i]) comp.stale = true;
    }
    this.componentOf[slot] = -1;
    this.memberAt[slot] = -1;
    this.cached = undefined;
  }

  /** Aggregates of every hotspot: its core points plus the border points next to it. */
  private aggregate(): Aggregate[] {
    const d = this.dimensions;
    const n = this.windowSize;
    const byId = new Map<number, Aggregate>();
    for (const [id, c] of this.components) {
      if (c.stale) {
        // Recompute bounds (and the sum, which subtraction has blurred) from the members.
        c.sum.fill(0);
        c.min.fill(Infinity);
        c.max.fill(-Infinity);
        for (const m of c.members) {
          for (let i = 0; i < d; i++) {
            const v = this.coords[m * d + i]!;
            c.sum[i]! += v;
            if (v < c.min[i]!) c.min[i] = v;
            if (v > c.max[i]!) c.max[i] = v;
          }
        }
        c.stale = false;
      }
      byId.set(id, { count: c.members.length, sum: c.sum.slice(), min: c.min.slice(), max: c.max.slice() });
    }
    const seen: number[] = [];
    for (const b of this.border.items) {
      // A non-core point has fewer than minPoints neighbours, so this loop is short.
      seen.length = 0;
      const bl = this.nbrs[b]!;
      for (let k = this.liveStart(b); k < bl.length; k++) {
        const z = bl[k]! % n;
        if (!this.core[z]) continue;
        const id = this.componentOf[z]!;
        if (seen.includes(id)) continue;
        seen.push(id);
        const a = byId.get(id)!;
        a.count++;
        for (let i = 0; i < d; i++) {
          const v = this.coords[b * d + i]!;
          a.sum[i]! += v;
          if (v < a.min[i]!) a.min[i] = v;
          if (v > a.max[i]!) a.max[i] = v;
        }
      }
    }
    return [...byId.values()];
  }

  /** Border membership follows core status and the count of core neighbours. */
  private touchBorder(slot: number): void {
    const isBorder = !this.core[slot] && this.coreNeighbours[slot]! > 0 && this.bucketOf[slot] !== undefined;
    if (isBorder === this.border.has(slot)) return;
    if (isBorder) this.border.add(slot);
    else this.border.delete(slot);
    this.cached = undefined;
  }

  /** Index of the first neighbour of `slot` still in the window (stale entries form a prefix; compacted now and then). */
  private liveStart(slot: number): number {
    const list = this.nbrs[slot]!;
    let i = this.nbrStart[slot]!;
    while (i < list.length && list[i]! < this.oldest) i++;
    if (i > 32 && i * 2 > list.length) {
      list.splice(0, i);
      i = 0;
    }
    this.nbrStart[slot] = i;
    return i;
  }

  /** Slots of the window points within the scan radius of the point in slot s (not yet in the grid). */
  private findNear(s: number, out: number[]): void {
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

const ascending = (a: number, b: number) => a - b;

/**
 * Hash of cell coordinates. Distinct cells may share a bucket: a bucket's points are always distance-checked, and a
 * query visits each bucket once, so a collision costs time, never correctness.
 */
function mix(h: number, c: number): number {
  h = Math.imul(h ^ c, 0x01000193);
  return h ^ (h >>> 15);
}
