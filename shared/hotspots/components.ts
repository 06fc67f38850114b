/**
 * The connected components of core points in a HOTSPOTS window (./window.ts), kept up to date as points become core
 * and stop being core: a point that becomes core joins (and merges) its core neighbours' components; a component
 * that loses core points is checked for splits by searches over its own core points only (see `reconnect`), so a
 * split costs the size of the pieces that break off. Also the two small structures the window keeps per slot.
 */

/** Expansions the quick connectivity check may spend before the full one. */
const SHORT_SEARCH = 64;

export interface Aggregate {
  count: number;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

interface Component {
  members: number[];
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
  /** A member on a bound left: the bounds (and the sum) are recomputed from the members when next read. */
  stale: boolean;
}

/** What the components need of the window: which slots are core and each slot's live neighbour list. */
export interface Neighbourhood {
  readonly core: Uint8Array;
  readonly nbrs: number[][];
  /** Index of the first neighbour of `slot` still in the window. */
  liveStart(slot: number): number;
}

export class Components {
  /** Component id of each core slot (-1: none). */
  readonly componentOf: Int32Array;
  /** Index of a core point in its component's member list. */
  private readonly memberAt: Int32Array;
  private readonly components = new Map<number, Component>();
  /** Visit marks for searches, compared with a fresh epoch each time so they never need clearing. */
  private readonly mark: Int32Array;
  private readonly markS: Int32Array;
  private readonly owner: Int32Array;
  private epoch = 0;
  private readonly queue: number[] = [];
  private nextComponent = 0;

  constructor(
    private readonly windowSize: number,
    private readonly dimensions: number,
    private readonly coords: Float64Array,
    private readonly hood: Neighbourhood,
    /** Called whenever a component changes (the window drops its cached hotspots). */
    private readonly changed: () => void,
  ) {
    const n = windowSize;
    this.componentOf = new Int32Array(n).fill(-1);
    this.memberAt = new Int32Array(n).fill(-1);
    this.mark = new Int32Array(n);
    this.markS = new Int32Array(n);
    this.owner = new Int32Array(n);
  }

  get size(): number {
    return this.components.size;
  }

  /** A point just became core: join its core neighbours' components (merging them) or start one. */
  attachCore(c: number): void {
    const n = this.windowSize;
    const { core } = this.hood;
    let target = -1;
    let others: number[] | undefined;
    const cl = this.hood.nbrs[c]!;
    for (let i = this.hood.liveStart(c); i < cl.length; i++) {
      const z = cl[i]! % n;
      if (!core[z]) continue;
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

  /** A core point stops being core: it leaves its component, whose id is returned (for `reconnect`). */
  leave(slot: number): number {
    const id = this.componentOf[slot]!;
    this.removeMember(slot);
    return id;
  }

  /**
   * Core points `gone` just left component `id`. The rest stays connected unless `gone` held it together: any path
   * through them enters and leaves by their remaining core neighbours (the entries), so it is enough that the entries
   * still reach each other. In a crowd a short search from one entry finds all the others. Failing that, one search per
   * entry runs in turns, searches that meet join, and a search that runs out has covered a whole piece, which becomes a
   * component of its own; the last piece standing keeps the component and is never walked in full, so a split costs
   * the size of the pieces that break off, not of the crowd.
   */
  reconnect(id: number, gone: number[]): void {
    const comp = this.components.get(id)!;
    if (comp.members.length === 0) {
      this.components.delete(id);
      return;
    }
    const n = this.windowSize;
    const { core, nbrs } = this.hood;
    if (this.epoch > 2 ** 30) {
      // Marks are int32: start the epochs over before they could wrap.
      this.mark.fill(0);
      this.markS.fill(0);
      this.epoch = 0;
    }
    const sEpoch = ++this.epoch;
    const entries: number[] = [];
    for (const x of gone) {
      const xl = nbrs[x]!;
      for (let i = this.hood.liveStart(x); i < xl.length; i++) {
        const z = xl[i]! % n;
        if (core[z] && this.componentOf[z] === id && this.markS[z] !== sEpoch) {
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

  /** Each component's core points as an aggregate (a copy, to which the window adds the border points), by id. */
  aggregates(): Map<number, Aggregate> {
    const d = this.dimensions;
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
    return byId;
  }

  /** Whether a search from entries[0] through component `id` reaches every entry within `budget` expansions. */
  private reaches(entries: number[], id: number, sEpoch: number, budget: number): boolean {
    const n = this.windowSize;
    const { core, nbrs } = this.hood;
    const visit = ++this.epoch;
    const queue = this.queue;
    queue.length = 0;
    queue.push(entries[0]!);
    this.mark[entries[0]!] = visit;
    let reached = 1;
    for (let head = 0; head < queue.length && head < budget; head++) {
      const x = queue[head]!;
      const xl = nbrs[x]!;
      for (let i = this.hood.liveStart(x); i < xl.length; i++) {
        const z = xl[i]! % n;
        if (!core[z] || this.componentOf[z] !== id || this.mark[z] === visit) continue;
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
    const { core, nbrs } = this.hood;
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
        const xl = nbrs[x]!;
        for (let i = this.hood.liveStart(x); i < xl.length; i++) {
          const z = xl[i]! % n;
          if (!core[z] || this.componentOf[z] !== id) continue;
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

  private emptyComponent(): Component {
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
    this.changed();
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
    this.changed();
  }
}

/** Slots of the non-core points next to a core point, with O(1) add and delete. */
export class SlotSet {
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
export class WindowExtreme {
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
