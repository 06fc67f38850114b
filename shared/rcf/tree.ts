import type { PointStore } from './point-store';
import type { Xoshiro128 } from './random';

/** "No node": the empty tree's root and the root's parent. Leaves are encoded as ~leafIndex (negative). */
export const NONE = 0x3fffffff;

/** From this many dimensions on, the score's climb keeps a list of the dimensions still outside (see `score`). */
const ACTIVE_LIST_DIMS = 8;

/**
 * One random cut tree in flat typed arrays (no object per node). Internal node v (0 ≤ v < capacity) has a cut
 * (cutDim[v], cutValue[v]) — a point goes left when x[d] <= c —, a mass and a cached bounding box
 * boxMin/boxMax[v·dims + i]; scoring climbs ancestors and needs their boxes, so they are kept current
 * on every insert and delete. A leaf l (referred to as ~l) holds a point-store slot and a mass (duplicates).
 */
export class RcfTree {
  readonly capacity: number;
  readonly dims: number;
  root = NONE;

  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly parent: Int32Array;
  readonly cutDim: Int32Array;
  readonly cutValue: Float64Array;
  readonly mass: Int32Array;
  readonly boxMin: Float32Array;
  readonly boxMax: Float32Array;
  /** Σ_i (boxMax − boxMin) of each internal node, summed in dimension order as the climb would: kept with the box. */
  readonly rangeSum: Float64Array;

  readonly leafSlot: Int32Array;
  readonly leafMass: Int32Array;
  readonly leafParent: Int32Array;
  /**
   * Where each leaf's point starts in the store's coordinates, kept here so a score reads one array, as when
   * coordinates sat at slot·dims (a lookup through the store's offsets cost one-column forests ~10%). A shingled
   * store moves points when it compacts: the owner then calls `refreshOffsets`.
   */
  readonly leafOffset: Int32Array;

  private readonly freeNodes: Int32Array;
  private freeNodeTop: number;
  private readonly freeLeaves: Int32Array;
  private freeLeafTop: number;

  private readonly store: PointStore;
  private readonly rng: Xoshiro128;
  /** Scratch for `score`: dimensions in which q is still outside the ancestor's box. */
  private readonly active: Int32Array;
  /** Points have ACTIVE_LIST_DIMS dimensions or more: `scoreWide` is the faster way to score them. */
  readonly wide: boolean;
  /** The leaf the last `descend` reached (scratch, so the descent returns one number). */
  private reached = 0;

  constructor(capacity: number, store: PointStore, rng: Xoshiro128) {
    this.capacity = capacity;
    this.dims = store.dims;
    this.store = store;
    this.rng = rng;
    const d = this.dims;
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.parent = new Int32Array(capacity);
    this.cutDim = new Int32Array(capacity);
    this.cutValue = new Float64Array(capacity);
    this.mass = new Int32Array(capacity);
    this.boxMin = new Float32Array(capacity * d);
    this.boxMax = new Float32Array(capacity * d);
    this.rangeSum = new Float64Array(capacity);
    this.active = new Int32Array(d);
    this.wide = d >= ACTIVE_LIST_DIMS;
    this.leafSlot = new Int32Array(capacity);
    this.leafMass = new Int32Array(capacity);
    this.leafParent = new Int32Array(capacity);
    this.leafOffset = new Int32Array(capacity);
    this.freeNodes = new Int32Array(capacity);
    this.freeLeaves = new Int32Array(capacity);
    // Free lists hand out low indexes first, which keeps a small tree's nodes close together in memory.
    for (let i = 0; i < capacity; i++) {
      this.freeNodes[i] = capacity - 1 - i;
      this.freeLeaves[i] = capacity - 1 - i;
    }
    this.freeNodeTop = capacity;
    this.freeLeafTop = capacity;
  }

  /** Re-reads every leaf's coordinate offset from the store (after the store compacted). */
  refreshOffsets(): void {
    const offsets = this.store.offsets;
    const slots = this.leafSlot;
    const out = this.leafOffset;
    for (let l = 0; l < this.capacity; l++) out[l] = offsets[slots[l]!]!;
  }

  /** Total mass (points in the tree, duplicates counted). */
  get totalMass(): number {
    const r = this.root;
    if (r === NONE) return 0;
    return r < 0 ? this.leafMass[~r]! : this.mass[r]!;
  }

  /** Bytes held by the typed arrays (for heap reports). */
  get byteLength(): number {
    return (
      this.left.byteLength * 6 + // left, right, parent, cutDim, mass + free list
      this.cutValue.byteLength +
      this.rangeSum.byteLength +
      this.boxMin.byteLength * 2 +
      this.leafSlot.byteLength * 5 // slot, mass, parent, offset + free list
    );
  }

  /** Inserts the point stored in `slot` (top-down formulation of rcf.md; adds one leaf reference to the slot when a leaf is created). */
  insert(slot: number): void {
    const pts = this.store.coords;
    const offsets = this.store.offsets;
    const d = this.dims;
    const po = offsets[slot]!;
    if (this.root === NONE) {
      this.root = ~this.newLeaf(slot, NONE);
      return;
    }
    const boxMin = this.boxMin;
    const boxMax = this.boxMax;
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
        this.mass[u] = this.leafMass[l]! + 1;
        const ub = u * d;
        let sum = 0;
        for (let i = 0; i < d; i++) {
          const a = pts[po + i]!;
          const b = pts[lo + i]!;
          const mn = a < b ? a : b;
          const mx = a > b ? a : b;
          boxMin[ub + i] = mn;
          boxMax[ub + i] = mx;
          sum += mx - mn;
        }
        this.rangeSum[u] = sum;
        this.spliceAbove(node, u, slot, pts[po + dim]! <= cut);
        return;
      }
      const v = node;
      const base = v * d;
      let gap = 0;
      for (let i = 0; i < d; i++) {
        const q = pts[po + i]!;
        const mn = boxMin[base + i]!;
        if (q < mn) gap += mn - q;
        else {
          const mx = boxMax[base + i]!;
          if (q > mx) gap += q - mx;
        }
      }
      if (gap > 0) {
        const range = this.rangeSum[v]!;
        // Draw a cut of B' = B ∪ {p}; it creates a node here only if it falls between p and B.
        let r = this.rng.nextDouble() * (range + gap);
        let dim = -1;
        let cut = 0;
        let lastDim = -1;
        for (let i = 0; i < d; i++) {
          const q = pts[po + i]!;
          const mn = boxMin[base + i]!;
          const mx = boxMax[base + i]!;
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
        const mn = boxMin[base + dim]!;
        const mx = boxMax[base + dim]!;
        const top = q > mx ? q : mx;
        if (cut >= top) cut = nextDown(top);
        const goesLeft = q <= cut;
        if ((goesLeft && cut < mn) || (!goesLeft && cut >= mx)) {
          const u = this.newNode(dim, cut, this.parent[v]!);
          this.mass[u] = this.mass[v]! + 1;
          const ub = u * d;
          let sum = 0;
          for (let i = 0; i < d; i++) {
            const x = pts[po + i]!;
            const a = boxMin[base + i]!;
            const b = boxMax[base + i]!;
            const mn = x < a ? x : a;
            const mx = x > b ? x : b;
            boxMin[ub + i] = mn;
            boxMax[ub + i] = mx;
            sum += mx - mn;
          }
          this.rangeSum[u] = sum;
          this.spliceAbove(v, u, slot, goesLeft);
          return;
        }
        let sum = 0;
        for (let i = 0; i < d; i++) {
          const x = pts[po + i]!;
          if (x < boxMin[base + i]!) boxMin[base + i] = x;
          else if (x > boxMax[base + i]!) boxMax[base + i] = x;
          sum += boxMax[base + i]! - boxMin[base + i]!;
        }
        this.rangeSum[v] = sum;
      }
      this.mass[v]!++;
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
    const idx = new Int32Array(n);
    const off = new Int32Array(n);
    const offsets = this.store.offsets;
    for (let i = 0; i < n; i++) {
      idx[i] = slots[i]!;
      off[i] = offsets[idx[i]!]!;
    }
    this.root = this.buildRange(idx, off, 0, n, NONE);
  }

  /** Builds the subtree of the points idx[lo, hi) (their coordinate offsets in off[lo, hi)) and returns its root. */
  private buildRange(idx: Int32Array, off: Int32Array, lo: number, hi: number, parent: number): number {
    const pts = this.store.coords;
    const d = this.dims;
    const boxMin = this.boxMin;
    const boxMax = this.boxMax;
    if (this.freeNodeTop === 0) throw new Error('internal: tree node capacity exceeded');
    const u = this.freeNodes[this.freeNodeTop - 1]!; // claimed below unless the points are all equal
    const base = u * d;
    // Dimension by dimension, so the running min and max stay in registers; a node's points are few and cached.
    let sum = 0;
    for (let i = 0; i < d; i++) {
      let mn = pts[off[lo]! + i]!;
      let mx = mn;
      for (let j = lo + 1; j < hi; j++) {
        const x = pts[off[j]! + i]!;
        if (x < mn) mn = x;
        else if (x > mx) mx = x;
      }
      boxMin[base + i] = mn;
      boxMax[base + i] = mx;
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
      const w = boxMax[base + i]! - boxMin[base + i]!;
      if (w === 0) continue;
      lastDim = i;
      if (r < w) {
        dim = i;
        cut = boxMin[base + i]! + r;
        break;
      }
      r -= w;
    }
    if (dim < 0) {
      dim = lastDim;
      cut = Number.POSITIVE_INFINITY;
    }
    const top = boxMax[base + dim]!;
    if (cut >= top) cut = nextDown(top);
    this.newNode(dim, cut, parent);
    this.mass[u] = hi - lo;
    this.rangeSum[u] = sum;
    // Partition in place: points with x[dim] <= cut first. cut lies in [min, max) of dim, so both sides are non-empty.
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      if (pts[off[i]! + dim]! <= cut) i++;
      else {
        const t = idx[i]!;
        idx[i] = idx[j]!;
        idx[j] = t;
        const o = off[i]!;
        off[i] = off[j]!;
        off[j--] = o;
      }
    }
    this.left[u] = this.buildRange(idx, off, lo, i, u);
    this.right[u] = this.buildRange(idx, off, i, hi, u);
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
    while (node >= 0) node = pts[po + this.cutDim[node]!]! <= this.cutValue[node]! ? this.left[node]! : this.right[node]!;
    const l = ~node;
    const lo = this.leafOffset[l]!;
    for (let i = 0; i < d; i++) {
      if (pts[po + i] !== pts[lo + i]) throw new Error('internal: deleted point is not in the tree');
    }
    if (this.leafMass[l]! > 1) {
      this.leafMass[l]!--;
      for (let v = this.leafParent[l]!; v !== NONE; v = this.parent[v]!) this.mass[v]!--;
      return;
    }
    const par = this.leafParent[l]!;
    this.freeLeaf(l);
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
    this.freeNodes[this.freeNodeTop++] = par;
    let boxMayChange = true;
    for (let v = g; v !== NONE; v = this.parent[v]!) {
      this.mass[v]!--;
      // Once an ancestor's box is unchanged, every box above it is unchanged too.
      if (boxMayChange) boxMayChange = this.recomputeBox(v);
    }
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
    const boxMin = this.boxMin;
    const boxMax = this.boxMax;
    for (let k = depth - 1; k >= 0; k--) {
      const base = path[k]! * d;
      let gap = 0;
      let range = 0;
      for (let i = 0; i < d; i++) {
        const x = q[i]!;
        const mn = boxMin[base + i]!;
        const mx = boxMax[base + i]!;
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
    const boxMin = this.boxMin;
    const boxMax = this.boxMax;
    const rangeSum = this.rangeSum;
    // Boxes only grow going up, so a dimension in which q is inside one box is inside every box above it:
    // the climb visits only the dimensions still outside, a list that shrinks fast. The gap adds the same
    // non-zero terms in the same order as a full pass over all dimensions, so the score is bit-for-bit the same.
    const active = this.active;
    let k = depth - 1;
    let v = path[k]!;
    let base = v * d;
    let gap = 0;
    let n = 0;
    for (let i = 0; i < d; i++) {
      const x = q[i]!;
      const mn = boxMin[base + i]!;
      if (x < mn) {
        gap += mn - x;
        active[n++] = i;
      } else {
        const mx = boxMax[base + i]!;
        if (x > mx) {
          gap += x - mx;
          active[n++] = i;
        }
      }
    }
    // q inside this box means inside every box above it too.
    while (gap !== 0) {
      const p = gap / (rangeSum[v]! + gap);
      s = p / (k + 1) + (1 - p) * s;
      if (--k < 0) break;
      v = path[k]!;
      base = v * d;
      gap = 0;
      let m = 0;
      for (let j = 0; j < n; j++) {
        const i = active[j]!;
        const x = q[i]!;
        const mn = boxMin[base + i]!;
        if (x < mn) {
          gap += mn - x;
          active[m++] = i;
        } else {
          const mx = boxMax[base + i]!;
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
      const base = path[k]! * d;
      let gap = 0;
      let range = 0;
      for (let i = 0; i < d; i++) {
        const x = q[i]!;
        const mn = this.boxMin[base + i]!;
        const mx = this.boxMax[base + i]!;
        if (x < mn) gap += mn - x;
        else if (x > mx) gap += x - mx;
        range += mx - mn;
      }
      if (gap === 0) break;
      const p = gap / (range + gap);
      const share = p / (k + 1) / gap;
      for (let i = 0; i < d; i++) {
        const x = q[i]!;
        const mn = this.boxMin[base + i]!;
        const mx = this.boxMax[base + i]!;
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
    const boxMin = this.boxMin;
    const boxMax = this.boxMax;
    const a = this.left[v]!;
    const b = this.right[v]!;
    let aMin: Float32Array, aMax: Float32Array, aOff: number;
    let bMin: Float32Array, bMax: Float32Array, bOff: number;
    if (a < 0) {
      aMin = aMax = pts;
      aOff = this.leafOffset[~a]!;
    } else {
      aMin = boxMin;
      aMax = boxMax;
      aOff = a * d;
    }
    if (b < 0) {
      bMin = bMax = pts;
      bOff = this.leafOffset[~b]!;
    } else {
      bMin = boxMin;
      bMax = boxMax;
      bOff = b * d;
    }
    const vb = v * d;
    let changed = false;
    let sum = 0;
    for (let i = 0; i < d; i++) {
      const x = aMin[aOff + i]!;
      const y = bMin[bOff + i]!;
      const mn = x < y ? x : y;
      const X = aMax[aOff + i]!;
      const Y = bMax[bOff + i]!;
      const mx = X > Y ? X : Y;
      if (mn !== boxMin[vb + i] || mx !== boxMax[vb + i]) {
        boxMin[vb + i] = mn;
        boxMax[vb + i] = mx;
        changed = true;
      }
      sum += mx - mn;
    }
    if (changed) this.rangeSum[v] = sum;
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

  private setParent(node: number, p: number): void {
    if (node < 0) this.leafParent[~node] = p;
    else this.parent[node] = p;
  }

  private newNode(dim: number, cut: number, parent: number): number {
    if (this.freeNodeTop === 0) throw new Error('internal: tree node capacity exceeded');
    const u = this.freeNodes[--this.freeNodeTop]!;
    this.cutDim[u] = dim;
    this.cutValue[u] = cut;
    this.parent[u] = parent;
    return u;
  }

  private newLeaf(slot: number, parent: number): number {
    if (this.freeLeafTop === 0) throw new Error('internal: tree leaf capacity exceeded');
    const l = this.freeLeaves[--this.freeLeafTop]!;
    this.leafSlot[l] = slot;
    this.leafMass[l] = 1;
    this.leafParent[l] = parent;
    this.leafOffset[l] = this.store.offsets[slot]!;
    this.store.incRef(slot);
    return l;
  }

  private freeLeaf(l: number): void {
    this.store.decRef(this.leafSlot[l]!);
    this.freeLeaves[this.freeLeafTop++] = l;
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
