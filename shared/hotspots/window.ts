/**
 * The HOTSPOTS sliding window: the last windowSize points, kept in a grid (grid.ts) whose dense components
 * (components.ts) are the hotspots; state in a compact byte format (byte-format.ts) for Lambda's window state.
 */
import { decodeWindowPoints, encodeWindowPoints } from './byte-format';
import { Components, SlotSet, WindowExtreme, type Aggregate } from './components';
import {
  compareHotspots,
  densityOf,
  toKdaResult,
  validateHotspotsOptions,
  type Hotspot,
  type HotspotsOptions,
  type HotspotsResult,
} from './definitions';
import { HotspotsInputError } from './errors';
import { CellGrid, pointProblem } from './grid';

export * from './definitions';
export { pointProblem } from './grid';

/**
 * KDA's HOTSPOTS(cursor, windowSize, scanRadius, minimumNumberOfPointsInAHotspot), incrementally: the sliding window
 * and its per-point bookkeeping. Neighbours are found through ./grid.ts, connected core points are ./components.ts,
 * the carried bytes are ./byte-format.ts, the definitions ./definitions.ts.
 *
 * Definitions (docs/hotspots.md): the window is the last `windowSize` points. Two points are neighbours when their
 * Euclidean distance is ≤ scanRadius. A point is a core point when at least `minPoints` window points lie within
 * scanRadius of it, itself included (DBSCAN's MinPts). A hotspot is a connected component of core points (core points
 * within scanRadius of each other are connected) together with every non-core point within scanRadius of one of its
 * core points. A non-core point next to two hotspots belongs to both, so the result does not depend on arrival order.
 *
 * Each point's neighbour count, its list of neighbours and the number of its core neighbours are kept up to date as
 * points enter and leave. Components merge when a point becomes core; only a component that loses a core point is
 * rebuilt (by a search over its own core points).
 */

export class HotspotsWindow {
  readonly windowSize: number;
  readonly scanRadius: number;
  readonly minPoints: number;
  readonly dimensions: number;

  private readonly coords: Float64Array;
  private readonly seqOf: Float64Array;
  /** Window points within the scan radius, the point itself included. */
  private readonly counts: Int32Array;
  private readonly coreNeighbours: Int32Array;
  private readonly core: Uint8Array;
  /**
   * Neighbour sequence numbers per slot, ascending (those found on arrival, sorted, then those that arrived later).
   * Entries below `oldest` have left the window; they form a prefix, skipped from nbrStart.
   */
  private readonly nbrs: number[][];
  private readonly nbrStart: Int32Array;
  private readonly grid: CellGrid;
  private readonly components: Components;
  private readonly border: SlotSet;
  private readonly mins: WindowExtreme[];
  private readonly maxs: WindowExtreme[];
  private readonly nearScratch: number[] = [];
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
    this.coords = new Float64Array(n * d);
    this.seqOf = new Float64Array(n);
    this.counts = new Int32Array(n);
    this.coreNeighbours = new Int32Array(n);
    this.core = new Uint8Array(n);
    this.nbrs = Array.from({ length: n }, () => []);
    this.nbrStart = new Int32Array(n);
    this.grid = new CellGrid(n, d, options.scanRadius, this.coords);
    const hood = { core: this.core, nbrs: this.nbrs, liveStart: (slot: number) => this.liveStart(slot) };
    this.components = new Components(n, d, this.coords, hood, () => (this.cached = undefined));
    this.border = new SlotSet(n);
    const value = (i: number) => (seq: number) => this.coords[(seq % n) * d + i]!;
    this.mins = Array.from({ length: d }, (_, i) => new WindowExtreme(n, value(i), false));
    this.maxs = Array.from({ length: d }, (_, i) => new WindowExtreme(n, value(i), true));
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
    this.grid.near(s, near);
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
    this.components.componentOf[s] = -1;
    this.grid.add(s);

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
        this.components.attachCore(c);
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

  /** The window's points as bytes (./byte-format.ts): everything needed to carry the window into another invoke. */
  toBytes(): Uint8Array {
    const d = this.dimensions;
    const n = this.windowSize;
    return encodeWindowPoints(n, d, this.size, (k, i) => this.coords[((this.oldest + k) % n) * d + i]!);
  }

  /**
   * A window with `options` holding the points of a saved window; when windowSize shrank since, only the newest
   * points are kept. Throws HotspotsStateError when the bytes are not a saved window of the same number of columns.
   */
  static fromBytes(options: HotspotsOptions, bytes: Uint8Array): HotspotsWindow {
    const window = new HotspotsWindow(options);
    decodeWindowPoints(bytes, options.dimensions, options.windowSize, (point) => window.push(point));
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

    this.grid.remove(o);
    this.touchBorder(o);

    if (wasCore || lost) {
      // Lost core points, grouped by the component they leave.
      const byComponent = new Map<number, number[]>();
      const leave = (x: number) => {
        const id = this.components.leave(x);
        let group = byComponent.get(id);
        if (!group) byComponent.set(id, (group = []));
        group.push(x);
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
      for (const [id, group] of byComponent) this.components.reconnect(id, group);
    }
    this.nbrs[o] = [];

    for (let i = 0; i < this.dimensions; i++) {
      this.mins[i]!.evict(seqO);
      this.maxs[i]!.evict(seqO);
    }
  }

  /** Aggregates of every hotspot: its core points plus the border points next to it. */
  private aggregate(): Aggregate[] {
    const d = this.dimensions;
    const n = this.windowSize;
    const byId = this.components.aggregates();
    const componentOf = this.components.componentOf;
    const seen: number[] = [];
    for (const b of this.border.items) {
      // A non-core point has fewer than minPoints neighbours, so this loop is short.
      seen.length = 0;
      const bl = this.nbrs[b]!;
      for (let k = this.liveStart(b); k < bl.length; k++) {
        const z = bl[k]! % n;
        if (!this.core[z]) continue;
        const id = componentOf[z]!;
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
    const isBorder = !this.core[slot] && this.coreNeighbours[slot]! > 0 && this.grid.has(slot);
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
}

const ascending = (a: number, b: number) => a - b;
