/**
 * Random cut trees in flat typed arrays: one NodePool per forest holds every tree's nodes and leaves (grown on
 * demand), each RcfTree is a root and a mass over it; insert, top-down build, delete, score and attribution.
 */
import type { PointStore } from './point-store';
import type { Xoshiro128 } from './random';

/** "No node": the empty tree's root and the root's parent. Leaves are encoded as ~leafIndex (negative). */
export const NONE = 0x3fffffff;

/** From this many dimensions on, the score's climb keeps a list of the dimensions still outside (see `score`). */
const ACTIVE_LIST_DIMS = 8;

/** End of a free list. */
const END = -1;

/**
 * Nodes and leaves of all the trees of one forest, in shared typed arrays (memory: a few arrays per forest rather
 * than ~17 per tree, sized to what the trees hold rather than to the worst case; a forest of repeated counts needs
 * only a handful of leaves per tree). Internal node v has a cut (cutDim[v], cutValue[v]) — a point goes left when
 * x[d] <= c —, children, a parent and a cached bounding box (see `box`); scoring climbs ancestors
 * and needs their boxes, so they are kept current on every insert and delete. Leaf l (referred to as ~l) holds a
 * point-store slot and a mass (duplicates). Each tree takes runs of entries (4, then doubling, up to its sample
 * size) and keeps its own free lists chained through `left` and `leafSlot`: a tree's nodes stay close together in
 * memory (interleaving the trees' nodes cost one-column forests ~9%).
 *
 * `cutValue` is float32: the largest float32 at or below the drawn (double) cut. Points and queries are float32,
 * and for a float32 x, `x <= c` exactly when `x <= (largest float32 ≤ c)`, so every path and score is bit-for-bit
 * what a double cut gives.
 */
export class NodePool {
  readonly dims: number;
  /** Points have ACTIVE_LIST_DIMS dimensions or more: range sums are cached per node for `scoreWide`. */
  readonly wide: boolean;
  /** Most nodes (and leaves) the pool will ever need; it never grows past this. */
  readonly maxCapacity: number;
  left: Int32Array;
  right: Int32Array;
  parent: Int32Array;
  cutDim: Uint16Array;
  cutValue: Float32Array;
  /**
   * Node v's record starts at v·stride: for wide points its range sum (a float64 over the first two floats), then
   * from `at` on min and max of each dimension side by side (box[b + 2i], box[b + 2i + 1] with b = v·stride + at).
   * A climb reads a node's min, max and range sum from one or two cache lines instead of three arrays.
   */
  box: Float32Array;
  /**
   * Σ_i (max − min) of each internal node, summed in dimension order as the climb would (wide points only): a view
   * of `box`, node v's at index v·half.
   */
  rangeSum: Float64Array;
  /** Floats per node record in `box`, where its box starts in the record, and stride / 2 (float64 index step). */
  readonly stride: number;
  readonly at: number;
  readonly half: number;
  leafSlot: Int32Array;
  /** Duplicates in a leaf: at most a tree's sample size (≤ 1000), so 16 bits. */
  leafMass: Uint16Array;
  leafParent: Int32Array;
  /**
   * Where each leaf's point starts in the store's coordinates, kept here so a score reads one array, as when
   * coordinates sat at slot·dims (a lookup through the store's offsets cost one-column forests ~10%). For
   * one-dimensional points in a fixed-place store the offset is the slot itself, so this is `leafSlot`.
   * A shingled store moves points when it compacts: the owner then calls `refreshOffsets`.
   */
  leafOffset: Int32Array;
  /** Scratch of the trees' `scoreWide` (one score runs at a time). */
  readonly active: Int32Array;
  private scratch = new Float32Array(0);
  /** Entries handed out to trees so far (the rest are unused). */
  private used = 0;
  readonly store: PointStore;
  private readonly trees: RcfTree[] = [];

  constructor(store: PointStore, initialCapacity: number, maxCapacity: number) {
    this.store = store;
    this.dims = store.dims;
    this.wide = this.dims >= ACTIVE_LIST_DIMS;
    this.maxCapacity = Math.max(1, maxCapacity);
    this.active = new Int32Array(this.dims);
    const cap = Math.max(1, Math.min(initialCapacity, this.maxCapacity));
    this.left = new Int32Array(0);
    this.right = new Int32Array(0);
    this.parent = new Int32Array(0);
    this.cutDim = new Uint16Array(0);
    this.cutValue = new Float32Array(0);
    this.at = this.wide ? 2 : 0;
    this.stride = 2 * this.dims + this.at;
    this.half = this.stride / 2;
    this.box = new Float32Array(0);
    this.rangeSum = new Float64Array(0);
    this.leafSlot = new Int32Array(0);
    this.leafMass = new Uint16Array(0);
    this.leafParent = new Int32Array(0);
    this.leafOffset = this.leafSlot;
    this.resize(cap);
  }

  get capacity(): number {
    return this.left.length;
  }

  /** Bytes held by the typed arrays (for heap reports). */
  get byteLength(): number {
    const offsets = this.leafOffset === this.leafSlot ? 0 : this.leafOffset.byteLength;
    return (
      this.left.byteLength * 3 +
      this.cutDim.byteLength +
      this.cutValue.byteLength +
      this.box.byteLength +
      this.leafSlot.byteLength * 2 +
      this.leafMass.byteLength +
      offsets
    );
  }

  /** Registers a tree so it sees the new arrays when the pool grows. */
  attach(tree: RcfTree): void {
    this.trees.push(tree);
  }

  /** Scratch of at least `n` floats for `build` (kept for the next tree: a reload builds them one after another). */
  buildScratch(n: number): Float32Array {
    if (this.scratch.length < n) this.scratch = new Float32Array(n);
    return this.scratch;
  }

  /** Lets the build scratch go once every tree is built (a cached forest should not carry it). */
  releaseScratch(): void {
    this.scratch = new Float32Array(0);
  }

  /** Hands out `n` consecutive unused entries (node and leaf indexes alike) and returns the first; may grow the arrays. */
  take(n: number): number {
    const start = this.used;
    if (start + n > this.maxCapacity) throw new Error('internal: tree node capacity exceeded');
    if (start + n > this.capacity) this.resize(Math.min(this.maxCapacity, Math.max(this.capacity * 2, start + n)));
    this.used = start + n;
    return start;
  }

  /** Re-reads every leaf's coordinate offset from the store (after the store compacted). */
  refreshOffsets(): void {
    if (this.leafOffset === this.leafSlot) return;
    const offsets = this.store.offsets;
    const slots = this.leafSlot;
    const mass = this.leafMass;
    const out = this.leafOffset;
    for (let l = 0; l < this.used; l++) if (mass[l]! > 0) out[l] = offsets[slots[l]!]!;
  }

  private resize(cap: number): void {
    const d = this.dims;
    const grow = <T extends Int32Array | Uint16Array | Float32Array | Float64Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.left = grow(this.left, cap);
    this.right = grow(this.right, cap);
    this.parent = grow(this.parent, cap);
    this.cutDim = grow(this.cutDim, cap);
    this.cutValue = grow(this.cutValue, cap);
    this.box = grow(this.box, cap * this.stride);
    if (this.wide) this.rangeSum = new Float64Array(this.box.buffer);
    const aliased = this.leafOffset === this.leafSlot;
    this.leafSlot = grow(this.leafSlot, cap);
    this.leafMass = grow(this.leafMass, cap);
    this.leafParent = grow(this.leafParent, cap);
    this.leafOffset = aliased && d === 1 && !this.store.shingled ? this.leafSlot : grow(this.leafOffset, cap);
    for (const tree of this.trees) tree.attach();
  }
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The largest float32 at or below x (x finite and within float32 range). */
export function float32AtOrBelow(x: number): number {
  const f = Math.fround(x);
  if (f <= x) return f;
  if (f === 0) return -1.401298464324817e-45; // x is a tiny negative number
  f32[0] = f;
  if (f > 0) i32[0]!--;
  else i32[0]!++;
  return f32[0];
}

/**
 * One random cut tree over a forest's NodePool: its root, its mass, and the pool's arrays (re-read when the pool
 * grows, which happens only at the start of an insert or build, before any are cached in locals).
 */
export class RcfTree {
  readonly capacity: number;
  readonly dims: number;
  root = NONE;
  /** Points in the tree, duplicates counted. */
  private count = 0;
  /** Heads of this tree's free node and leaf lists (chained through `left` and `leafSlot`). */
  private freeNode = END;
  private freeLeaf = END;
  /** Pool entries this tree has taken (at most `capacity`, its sample size). */
  private taken = 0;

  left!: Int32Array;
  right!: Int32Array;
  parent!: Int32Array;
  cutDim!: Uint16Array;
  cutValue!: Float32Array;
  box!: Float32Array;
  rangeSum!: Float64Array;
  /** The pool's record layout (see NodePool.box). */
  readonly stride: number;
  readonly at: number;
  readonly half: number;
  leafSlot!: Int32Array;
  leafMass!: Uint16Array;
  leafParent!: Int32Array;
  leafOffset!: Int32Array;

  readonly pool: NodePool;
  private readonly store: PointStore;
  private readonly rng: Xoshiro128;
  /** Scratch for `scoreWide`: dimensions in which q is still outside the ancestor's box (one per pool). */
  private readonly active: Int32Array;
  /** Points have ACTIVE_LIST_DIMS dimensions or more: `scoreWide` is the faster way to score them. */
  readonly wide: boolean;
  /** The leaf the last `descend` reached (scratch, so the descent returns one number). */
  private reached = 0;

  /** A tree of at most `capacity` points; without a pool it gets one of its own, allocated whole. */
  constructor(capacity: number, store: PointStore, rng: Xoshiro128, pool?: NodePool) {
    this.capacity = capacity;
    this.dims = store.dims;
    this.store = store;
    this.rng = rng;
    this.pool = pool ?? new NodePool(store, capacity, capacity);
    if (this.pool.store !== store) throw new Error('internal: a tree and its node pool must share the point store');
    this.active = this.pool.active;
    this.wide = this.pool.wide;
    this.stride = this.pool.stride;
    this.at = this.pool.at;
    this.half = this.pool.half;
    this.pool.attach(this);
    this.attach();
  }

  /** Takes the pool's current arrays (after it grew). */
  attach(): void {
    const p = this.pool;
    this.left = p.left;
    this.right = p.right;
    this.parent = p.parent;
    this.cutDim = p.cutDim;
    this.cutValue = p.cutValue;
    this.box = p.box;
    this.rangeSum = p.rangeSum;
    this.leafSlot = p.leafSlot;
    this.leafMass = p.leafMass;
    this.leafParent = p.leafParent;
    this.leafOffset = p.leafOffset;
  }

  /** Re-reads every leaf's coordinate offset from the store (after the store compacted); pool-wide. */
  refreshOffsets(): void {
    this.pool.refreshOffsets();
  }

  /** Total mass (points in the tree, duplicates counted). */
  get totalMass(): number {
    return this.count;
  }

  /** Inserts the point stored in `slot` (top-down formulation of rcf.md; adds one leaf reference to the slot when a leaf is created). */
  insert(slot: number): void {
    if (this.freeNode === END || this.freeLeaf === END) this.reserve(1, 1); // may grow the pool: before its arrays are read
    this.count++;
    const pts = this.store.coords;
    const offsets = this.store.offsets;
    const d = this.dims;
    const po = offsets[slot]!;
    if (this.root === NONE) {
      this.root = ~this.newLeaf(slot, NONE);
      return;
    }
    const box = this.box;
    let node = this.root;
    for (;;) {
      if (node < 0) {
        const l = ~node;
        const lo = this.leafOffset[l]!;
        let total = 0;
        for (let i = 0; i < d; i++) total += Math.abs(pts[po + i]! - pts[lo + i]!);
        if (total === 0) {
          this.leafMass[l]!++;
          return;
        }
        // Any cut inside the two points' box separates them.
        let r = this.rng.nextDouble() * total;
        let dim = -1;
        let cut = 0;
        let lastDim = -1;
        for (let i = 0; i < d; i++) {
          const a = pts[po + i]!;
          const b = pts[lo + i]!;
          const w = Math.abs(a - b);
          if (w === 0) continue;
          lastDim = i;
          if (r < w) {
            dim = i;
            cut = Math.min(a, b) + r;
            break;
          }
          r -= w;
        }
        if (dim < 0) {
          dim = lastDim;
          cut = Math.min(pts[po + dim]!, pts[lo + dim]!);
        }
        const hi = Math.max(pts[po + dim]!, pts[lo + dim]!);
        if (cut >= hi) cut = nextDown(hi);
        const u = this.newNode(dim, cut, this.leafParent[l]!);
        const ub = u * this.stride + this.at;
        let sum = 0;
        for (let i = 0; i < d; i++) {
          const a = pts[po + i]!;
          const b = pts[lo + i]!;
          const mn = a < b ? a : b;
          const mx = a > b ? a : b;
          box[ub + 2 * i] = mn;
          box[ub + 2 * i + 1] = mx;
          sum += mx - mn;
        }
        if (this.wide) this.rangeSum[u * this.half] = sum;
        this.spliceAbove(node, u, slot, pts[po + dim]! <= cut);
        return;
      }
      const v = node;
      const base = v * this.stride + this.at;
      let gap = 0;
      for (let i = 0; i < d; i++) {
        const q = pts[po + i]!;
        const mn = box[base + 2 * i]!;
        if (q < mn) gap += mn - q;
        else {
          const mx = box[base + 2 * i + 1]!;
          if (q > mx) gap += q - mx;
        }
      }
      if (gap > 0) {
        let range = 0;
        if (this.wide) range = this.rangeSum[v * this.half]!;
        else for (let i = 0; i < d; i++) range += box[base + 2 * i + 1]! - box[base + 2 * i]!;
        // Draw a cut of B' = B ∪ {p}; it creates a node here only if it falls between p and B.
        let r = this.rng.nextDouble() * (range + gap);
        let dim = -1;
        let cut = 0;
        let lastDim = -1;
        for (let i = 0; i < d; i++) {
          const q = pts[po + i]!;
          const mn = box[base + 2 * i]!;
          const mx = box[base + 2 * i + 1]!;
          const lo = q < mn ? q : mn;
          const w = (q > mx ? q : mx) - lo;
          if (w === 0) continue;
          lastDim = i;
          if (r < w) {
            dim = i;
            cut = lo + r;
            break;
          }
          r -= w;
        }
        if (dim < 0) {
          dim = lastDim;
          cut = Number.POSITIVE_INFINITY; // clamped below to just under the top of B'
        }
        const q = pts[po + dim]!;
        const mn = box[base + 2 * dim]!;
        const mx = box[base + 2 * dim + 1]!;
        const top = q > mx ? q : mx;
        if (cut >= top) cut = nextDown(top);
        const goesLeft = q <= cut;
        if ((goesLeft && cut < mn) || (!goesLeft && cut >= mx)) {
          const u = this.newNode(dim, cut, this.parent[v]!);
          const ub = u * this.stride + this.at;
          let sum = 0;
          for (let i = 0; i < d; i++) {
            const x = pts[po + i]!;
            const a = box[base + 2 * i]!;
            const b = box[base + 2 * i + 1]!;
            const mn = x < a ? x : a;
            const mx = x > b ? x : b;
            box[ub + 2 * i] = mn;
            box[ub + 2 * i + 1] = mx;
            sum += mx - mn;
          }
          if (this.wide) this.rangeSum[u * this.half] = sum;
          this.spliceAbove(v, u, slot, goesLeft);
          return;
        }
        let sum = 0;
        for (let i = 0; i < d; i++) {
          const x = pts[po + i]!;
          if (x < box[base + 2 * i]!) box[base + 2 * i] = x;
          else if (x > box[base + 2 * i + 1]!) box[base + 2 * i + 1] = x;
          sum += box[base + 2 * i + 1]! - box[base + 2 * i]!;
        }
        if (this.wide) this.rangeSum[v * this.half] = sum;
      }
      node = pts[po + this.cutDim[v]!]! <= this.cutValue[v]! ? this.left[v]! : this.right[v]!;
    }
  }

  /**
   * Builds the tree of `n` points (their slots, duplicates allowed) into this empty tree, top-down: the box
   * of the points, a cut drawn as in `insert` (dimension in proportion to its range, value uniform in it),
   * the points split by it, and the same for each side; identical points make one leaf with their count as
   * mass. That is the random cut tree's own definition, which is what inserting the points one by one yields
   * in distribution (the shape does not depend on insertion order), at a fraction of the cost: no descent
   * per point, one random draw per node, each box computed once. Nodes are laid out parent before children.
   */
  build(slots: ArrayLike<number>, n: number): void {
    if (this.root !== NONE) throw new Error('internal: build into a non-empty tree');
    if (n === 0) return;
    this.reserve(n - 1, n); // may grow the pool: before any of its arrays are read
    this.count = n;
    const d = this.dims;
    const idx = new Int32Array(n);
    // The sample's coordinates gathered once, dimension by dimension (column i at i·n): a node's box is then a
    // sequential scan of each column over the node's range, instead of a load from a scattered point per value.
    const cols = this.pool.buildScratch(n * d);
    const pts = this.store.coords;
    const offsets = this.store.offsets;
    for (let j = 0; j < n; j++) {
      idx[j] = slots[j]!;
      const o = offsets[idx[j]!]!;
      for (let i = 0; i < d; i++) cols[i * n + j] = pts[o + i]!;
    }
    this.root = this.buildRange(idx, cols, n, 0, n, NONE);
  }

  /** Builds the subtree of the points idx[lo, hi) (coordinate i of point j at cols[i·n + j]) and returns its root. */
  private buildRange(idx: Int32Array, cols: Float32Array, n: number, lo: number, hi: number, parent: number): number {
    if (hi - lo === 1) return ~this.newLeaf(idx[lo]!, parent); // one point: no box to scan, no cut to draw
    const d = this.dims;
    const box = this.box;
    const u = this.freeNode; // claimed below unless the points are all equal
    if (u < 0) throw new Error('internal: tree node capacity exceeded');
    const base = u * this.stride + this.at;
    let sum = 0;
    for (let i = 0, c = 0; i < d; i++, c += n) {
      let mn = cols[c + lo]!;
      let mx = mn;
      for (let j = c + lo + 1; j < c + hi; j++) {
        const x = cols[j]!;
        if (x < mn) mn = x;
        else if (x > mx) mx = x;
      }
      box[base + 2 * i] = mn;
      box[base + 2 * i + 1] = mx;
      sum += mx - mn;
    }
    if (sum === 0) {
      const l = this.newLeaf(idx[lo]!, parent);
      this.leafMass[l] = hi - lo;
      return ~l;
    }
    let r = this.rng.nextDouble() * sum;
    let dim = -1;
    let cut = 0;
    let lastDim = -1;
    for (let i = 0; i < d; i++) {
      const w = box[base + 2 * i + 1]! - box[base + 2 * i]!;
      if (w === 0) continue;
      lastDim = i;
      if (r < w) {
        dim = i;
        cut = box[base + 2 * i]! + r;
        break;
      }
      r -= w;
    }
    if (dim < 0) {
      dim = lastDim;
      cut = Number.POSITIVE_INFINITY;
    }
    const top = box[base + 2 * dim + 1]!;
    if (cut >= top) cut = nextDown(top);
    this.newNode(dim, cut, parent);
    if (this.wide) this.rangeSum[u * this.half] = sum;
    // Partition (Hoare: only misplaced pairs move, each across every column): points with x[dim] <= cut first.
    // cut lies in [min, max) of dim, so both sides are non-empty. Which of several equal points ends up first (and
    // gives its slot to their leaf) does not matter: they have the same coordinates.
    const dc = dim * n;
    let i = lo;
    let j = hi - 1;
    for (;;) {
      while (i <= j && cols[dc + i]! <= cut) i++;
      while (i <= j && cols[dc + j]! > cut) j--;
      if (i >= j) break;
      const t = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = t;
      for (let c = 0; c < d * n; c += n) {
        const x = cols[c + i]!;
        cols[c + i] = cols[c + j]!;
        cols[c + j] = x;
      }
      i++;
      j--;
    }
    this.left[u] = this.buildRange(idx, cols, n, lo, i, u);
    this.right[u] = this.buildRange(idx, cols, n, i, hi, u);
    return u;
  }

  /** Deletes one copy of the point stored in `slot` (it must be in the tree). */
  delete(slot: number): void {
    const pts = this.store.coords;
    const offsets = this.store.offsets;
    const d = this.dims;
    const po = offsets[slot]!;
    let node = this.root;
    if (node === NONE) throw new Error('internal: delete from an empty tree');
    this.count--;
    while (node >= 0) node = pts[po + this.cutDim[node]!]! <= this.cutValue[node]! ? this.left[node]! : this.right[node]!;
    const l = ~node;
    const lo = this.leafOffset[l]!;
    for (let i = 0; i < d; i++) {
      if (pts[po + i] !== pts[lo + i]) throw new Error('internal: deleted point is not in the tree');
    }
    if (this.leafMass[l]! > 1) {
      this.leafMass[l]!--;
      return;
    }
    const par = this.leafParent[l]!;
    this.releaseLeaf(l);
    if (par === NONE) {
      this.root = NONE;
      return;
    }
    const sibling = this.left[par] === node ? this.right[par]! : this.left[par]!;
    const g = this.parent[par]!;
    this.setParent(sibling, g);
    if (g === NONE) this.root = sibling;
    else if (this.left[g] === par) this.left[g] = sibling;
    else this.right[g] = sibling;
    this.releaseNode(par);
    // Once an ancestor's box is unchanged, every box above it is unchanged too.
    for (let v = g; v !== NONE && this.recomputeBox(v); v = this.parent[v]!);
  }

  /** Walks q from the root to its leaf, recording the internal nodes in `path`; returns the depth (leaf in `reached`). */
  private descend(q: Float32Array, path: Int32Array): number {
    const cutDim = this.cutDim;
    const cutValue = this.cutValue;
    const left = this.left;
    const right = this.right;
    let node = this.root;
    let depth = 0;
    while (node >= 0) {
      path[depth++] = node;
      node = q[cutDim[node]!]! <= cutValue[node]! ? left[node]! : right[node]!;
    }
    this.reached = ~node;
    return depth;
  }

  /** KDA's rule when q equals the leaf `descend` reached: the score of a repeated value; -1 when q differs. */
  private equalLeafScore(q: Float32Array, depth: number): number {
    const leaf = this.reached;
    const d = this.dims;
    const pts = this.store.coords;
    const lo = this.leafOffset[leaf]!;
    for (let i = 0; i < d; i++) if (q[i] !== pts[lo + i]) return -1;
    const m = this.leafMass[leaf]!;
    return depth === 0 ? 1 / (m + 1) : 1 / (depth + Math.log2(m));
  }

  /**
   * Unnormalised score of q (float32 coordinates) in this tree, per rcf.md: 1/(L+1) at an unseen leaf, then
   * mixed with 1/(k+1) at each ancestor by the chance a random cut of B ∪ {q} isolates q; KDA's rule for a
   * leaf equal to q. `path` is scratch of length ≥ capacity. Returns 0 for an empty tree.
   */
  score(q: Float32Array, path: Int32Array): number {
    // Kept as small as it was so the JIT still inlines it into the forest's loop over trees (measured: a dispatch
    // to `scoreWide` in here cost one-column forests ~12%); the forest picks `scoreWide` for wide points.
    if (this.root === NONE) return 0;
    const depth = this.descend(q, path);
    const atLeaf = this.equalLeafScore(q, depth);
    if (atLeaf >= 0) return atLeaf;
    const d = this.dims;
    let s = 1 / (depth + 1);
    const box = this.box;
    for (let k = depth - 1; k >= 0; k--) {
      const base = path[k]! * this.stride + this.at;
      let gap = 0;
      let range = 0;
      for (let i = 0; i < d; i++) {
        const x = q[i]!;
        const mn = box[base + 2 * i]!;
        const mx = box[base + 2 * i + 1]!;
        if (x < mn) gap += mn - x;
        else if (x > mx) gap += x - mx;
        range += mx - mn;
      }
      // q inside this box means inside every box above it too.
      if (gap === 0) break;
      const p = gap / (range + gap);
      s = p / (k + 1) + (1 - p) * s;
    }
    return s;
  }

  /**
   * The same score as `score`, bit for bit, with a climb that skips dimensions: faster from about ACTIVE_LIST_DIMS
   * dimensions on (`wide`), slower below.
   */
  scoreWide(q: Float32Array, path: Int32Array): number {
    if (this.root === NONE) return 0;
    const depth = this.descend(q, path);
    const atLeaf = this.equalLeafScore(q, depth);
    if (atLeaf >= 0) return atLeaf;
    const d = this.dims;
    let s = 1 / (depth + 1);
    if (depth === 0) return s;
    const box = this.box;
    const rangeSum = this.rangeSum;
    const half = this.half;
    const stride = this.stride;
    const at = this.at;
    // Boxes only grow going up, so a dimension in which q is inside one box is inside every box above it:
    // the climb visits only the dimensions still outside, a list that shrinks fast. The gap adds the same
    // non-zero terms in the same order as a full pass over all dimensions, so the score is bit-for-bit the same.
    const active = this.active;
    let k = depth - 1;
    let v = path[k]!;
    let base = v * stride + at;
    let gap = 0;
    let n = 0;
    for (let i = 0; i < d; i++) {
      const x = q[i]!;
      const mn = box[base + 2 * i]!;
      if (x < mn) {
        gap += mn - x;
        active[n++] = i;
      } else {
        const mx = box[base + 2 * i + 1]!;
        if (x > mx) {
          gap += x - mx;
          active[n++] = i;
        }
      }
    }
    // q inside this box means inside every box above it too.
    while (gap !== 0) {
      const p = gap / (rangeSum[v * half]! + gap);
      s = p / (k + 1) + (1 - p) * s;
      if (--k < 0) break;
      v = path[k]!;
      base = v * stride + at;
      gap = 0;
      let m = 0;
      for (let j = 0; j < n; j++) {
        const i = active[j]!;
        const x = q[i]!;
        const mn = box[base + 2 * i]!;
        if (x < mn) {
          gap += mn - x;
          active[m++] = i;
        } else {
          const mx = box[base + 2 * i + 1]!;
          if (x > mx) {
            gap += x - mx;
            active[m++] = i;
          }
        }
      }
      n = m;
    }
    return s;
  }

  /**
   * Same recursion as `score`, split per dimension and direction: adds this tree's parts to
   * out[i] (high, q above) and out[d + i] (low, q below), using `part` (length 2d) as scratch.
   * Returns the unnormalised score, which equals the sum of what was added.
   */
  attribute(q: Float32Array, path: Int32Array, part: Float64Array, out: Float64Array, weight: number): number {
    let node = this.root;
    if (node === NONE) return 0;
    let depth = 0;
    while (node >= 0) {
      path[depth++] = node;
      node = q[this.cutDim[node]!]! <= this.cutValue[node]! ? this.left[node]! : this.right[node]!;
    }
    const d = this.dims;
    const pts = this.store.coords;
    const lo = this.leafOffset[~node]!;
    let total = 0;
    for (let i = 0; i < d; i++) total += Math.abs(q[i]! - pts[lo + i]!);
    if (total === 0) {
      // A repeated value has no differing dimension: its score is shared evenly, both directions.
      const m = this.leafMass[~node]!;
      const s = depth === 0 ? 1 / (m + 1) : 1 / (depth + Math.log2(m));
      const each = (s * weight) / (2 * d);
      for (let i = 0; i < 2 * d; i++) out[i]! += each;
      return s;
    }
    let s = 1 / (depth + 1);
    for (let i = 0; i < d; i++) {
      const diff = q[i]! - pts[lo + i]!;
      part[i] = diff > 0 ? (s * diff) / total : 0;
      part[d + i] = diff < 0 ? (-s * diff) / total : 0;
    }
    for (let k = depth - 1; k >= 0; k--) {
      const base = path[k]! * this.stride + this.at;
      let gap = 0;
      let range = 0;
      for (let i = 0; i < d; i++) {
        const x = q[i]!;
        const mn = this.box[base + 2 * i]!;
        const mx = this.box[base + 2 * i + 1]!;
        if (x < mn) gap += mn - x;
        else if (x > mx) gap += x - mx;
        range += mx - mn;
      }
      if (gap === 0) break;
      const p = gap / (range + gap);
      const share = p / (k + 1) / gap;
      for (let i = 0; i < d; i++) {
        const x = q[i]!;
        const mn = this.box[base + 2 * i]!;
        const mx = this.box[base + 2 * i + 1]!;
        part[i] = (1 - p) * part[i]! + (x > mx ? share * (x - mx) : 0);
        part[d + i] = (1 - p) * part[d + i]! + (x < mn ? share * (mn - x) : 0);
      }
      s = p / (k + 1) + (1 - p) * s;
    }
    for (let i = 0; i < 2 * d; i++) out[i]! += part[i]! * weight;
    return s;
  }

  /** Recomputes node v's box from its children; returns whether it changed. */
  private recomputeBox(v: number): boolean {
    const d = this.dims;
    const pts = this.store.coords;
    const box = this.box;
    const a = this.left[v]!;
    const b = this.right[v]!;
    // A leaf's box is its point: coordinates one apart in the store; a node's min and max sit side by side in `box`.
    let aArr: Float32Array, aOff: number, aStep: number, aHi: number;
    let bArr: Float32Array, bOff: number, bStep: number, bHi: number;
    if (a < 0) {
      aArr = pts;
      aOff = this.leafOffset[~a]!;
      aStep = 1;
      aHi = 0;
    } else {
      aArr = box;
      aOff = a * this.stride + this.at;
      aStep = 2;
      aHi = 1;
    }
    if (b < 0) {
      bArr = pts;
      bOff = this.leafOffset[~b]!;
      bStep = 1;
      bHi = 0;
    } else {
      bArr = box;
      bOff = b * this.stride + this.at;
      bStep = 2;
      bHi = 1;
    }
    const vb = v * this.stride + this.at;
    let changed = false;
    let sum = 0;
    for (let i = 0; i < d; i++) {
      const x = aArr[aOff + aStep * i]!;
      const y = bArr[bOff + bStep * i]!;
      const mn = x < y ? x : y;
      const X = aArr[aOff + aStep * i + aHi]!;
      const Y = bArr[bOff + bStep * i + bHi]!;
      const mx = X > Y ? X : Y;
      if (mn !== box[vb + 2 * i] || mx !== box[vb + 2 * i + 1]) {
        box[vb + 2 * i] = mn;
        box[vb + 2 * i + 1] = mx;
        changed = true;
      }
      sum += mx - mn;
    }
    if (changed && this.wide) this.rangeSum[v * this.half] = sum;
    return changed;
  }

  /** Puts new internal node u where `node` was, with `node` and a new leaf for `slot` as its children. */
  private spliceAbove(node: number, u: number, slot: number, newGoesLeft: boolean): void {
    const par = this.parent[u]!;
    const leaf = ~this.newLeaf(slot, u);
    if (newGoesLeft) {
      this.left[u] = leaf;
      this.right[u] = node;
    } else {
      this.left[u] = node;
      this.right[u] = leaf;
    }
    this.setParent(node, u);
    if (par === NONE) this.root = u;
    else if (this.left[par] === node) this.left[par] = u;
    else this.right[par] = u;
  }

  /**
   * Makes sure `nodes` nodes and `leaves` leaves are on this tree's free lists, taking a run of pool entries if not
   * (4, then as many as the tree has, up to its capacity). Taking may grow the pool's arrays: call before caching them.
   */
  private reserve(nodes: number, leaves: number): void {
    let needNodes = nodes;
    for (let v = this.freeNode; v !== END && needNodes > 0; v = this.left[v]!) needNodes--;
    let needLeaves = leaves;
    for (let l = this.freeLeaf; l !== END && needLeaves > 0; l = this.leafSlot[l]!) needLeaves--;
    const need = Math.max(needNodes, needLeaves);
    if (need === 0) return;
    // At its capacity the tree takes no more: taking a node or leaf that is not there throws then.
    const n = Math.min(this.capacity - this.taken, Math.max(need, 4, this.taken));
    if (n <= 0) return;
    const start = this.pool.take(n);
    this.taken += n;
    const left = this.left;
    const slots = this.leafSlot;
    // Lowest index first, as a fresh tree's nodes were handed out.
    for (let i = start + n - 1; i >= start; i--) {
      left[i] = this.freeNode;
      this.freeNode = i;
      slots[i] = this.freeLeaf;
      this.freeLeaf = i;
    }
  }

  private newNode(dim: number, cut: number, parent: number): number {
    const u = this.freeNode;
    if (u === END) throw new Error('internal: tree node capacity exceeded');
    this.freeNode = this.left[u]!;
    this.cutDim[u] = dim;
    this.cutValue[u] = float32AtOrBelow(cut);
    this.parent[u] = parent;
    return u;
  }

  private releaseNode(u: number): void {
    this.left[u] = this.freeNode;
    this.freeNode = u;
  }

  private newLeaf(slot: number, parent: number): number {
    const l = this.freeLeaf;
    if (l === END) throw new Error('internal: tree leaf capacity exceeded');
    this.freeLeaf = this.leafSlot[l]!;
    this.leafSlot[l] = slot;
    this.leafMass[l] = 1;
    this.leafParent[l] = parent;
    this.leafOffset[l] = this.store.offsets[slot]!;
    this.store.incRef(slot);
    return l;
  }

  private releaseLeaf(l: number): void {
    this.store.decRef(this.leafSlot[l]!);
    this.leafMass[l] = 0;
    this.leafSlot[l] = this.freeLeaf;
    this.freeLeaf = l;
  }

  private setParent(node: number, p: number): void {
    if (node < 0) this.leafParent[~node] = p;
    else this.parent[node] = p;
  }
}

const f64 = new Float64Array(1);
const bits = new BigInt64Array(f64.buffer);

/** Largest double strictly below x (cuts must stay strictly below the box's maximum). */
export function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  f64[0] = x;
  bits[0] = x > 0 ? bits[0]! - 1n : bits[0]! + 1n;
  return f64[0];
}
