import { PointStore } from '../../../shared/rcf/point-store';
import { Xoshiro128 } from '../../../shared/rcf/random';
import { NONE, RcfTree } from '../../../shared/rcf/tree';

/** Checks every structural invariant and returns the multiset of stored points as "x,y,z" → mass. */
function checkTree(tree: RcfTree, store: PointStore): Map<string, number> {
  const d = tree.dims;
  const found = new Map<string, number>();
  if (tree.root === NONE) return found;
  // Returns [mass, min[], max[]] of the subtree after checking it.
  const visit = (node: number, parent: number, constraints: Array<[number, number, boolean]>): [number, number[], number[]] => {
    if (node < 0) {
      const l = ~node;
      expect(tree.leafParent[l]).toBe(parent);
      const slot = tree.leafSlot[l]!;
      const p = Array.from(store.read(slot));
      for (const [dim, cut, left] of constraints) expect(left ? p[dim]! <= cut : p[dim]! > cut).toBe(true);
      const key = p.join(',');
      expect(found.has(key)).toBe(false); // duplicates share one leaf
      const m = tree.leafMass[l]!;
      expect(m).toBeGreaterThan(0);
      found.set(key, m);
      return [m, p, p];
    }
    expect(tree.parent[node]).toBe(parent);
    const dim = tree.cutDim[node]!;
    const cut = tree.cutValue[node]!;
    const [ml, minL, maxL] = visit(tree.left[node]!, node, [...constraints, [dim, cut, true]]);
    const [mr, minR, maxR] = visit(tree.right[node]!, node, [...constraints, [dim, cut, false]]);
    const min = minL.map((x, i) => Math.min(x, minR[i]!));
    const max = maxL.map((x, i) => Math.max(x, maxR[i]!));
    const b = node * tree.stride + tree.at;
    expect(Array.from({ length: d }, (_, i) => tree.box[b + 2 * i])).toEqual(min);
    expect(Array.from({ length: d }, (_, i) => tree.box[b + 2 * i + 1])).toEqual(max);
    // Wide trees cache the range sum: the one a full pass over the box would compute, in the same order.
    if (tree.wide) expect(tree.rangeSum[node * tree.half]).toBe(max.reduce((sum, x, i) => sum + (x - min[i]!), 0));
    return [ml + mr, min, max];
  };
  const [mass] = visit(tree.root, NONE, []);
  expect(tree.totalMass).toBe(mass);
  return found;
}

describe('random cut tree', () => {
  it('keeps masses, boxes, cuts and parents consistent through many inserts and deletes with duplicates', () => {
    const d = 3;
    const capacity = 64;
    const store = new PointStore(d, 16);
    const rng = new Xoshiro128(123);
    const tree = new RcfTree(capacity, store, rng);
    const inTree: number[] = []; // slots, one per inserted copy
    const expected = new Map<string, number>();
    const point = new Float32Array(d);
    for (let step = 0; step < 3000; step++) {
      const remove = inTree.length === capacity || (inTree.length > 0 && rng.nextDouble() < 0.45);
      if (remove) {
        const i = Math.floor(rng.nextDouble() * inTree.length);
        const slot = inTree[i]!;
        inTree[i] = inTree[inTree.length - 1]!;
        inTree.pop();
        const key = Array.from(store.read(slot)).join(',');
        tree.delete(slot);
        store.decRef(slot);
        const m = expected.get(key)! - 1;
        if (m === 0) expected.delete(key);
        else expected.set(key, m);
      } else {
        // Small integer grid: many exact duplicates, as in count data; some fractional values too.
        for (let k = 0; k < d; k++)
          point[k] = Math.fround(Math.floor(rng.nextDouble() * 6) + (rng.nextDouble() < 0.2 ? rng.nextDouble() : 0));
        const slot = store.add(point, step);
        store.incRef(slot);
        tree.insert(slot);
        inTree.push(slot);
        const key = Array.from(point).join(',');
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      if (step % 50 === 0) {
        expect(checkTree(tree, store)).toEqual(expected);
        expect(tree.totalMass).toBe(inTree.length);
      }
    }
    expect(checkTree(tree, store)).toEqual(expected);
    for (const slot of inTree) {
      tree.delete(slot);
      store.decRef(slot);
    }
    expect(tree.root).toBe(NONE);
    expect(store.size).toBe(0); // every leaf reference was released
  });

  it('builds a valid tree from a whole sample at once (duplicates in one leaf), and inserts and deletes keep it valid', () => {
    const d = 4;
    const store = new PointStore(d, 16);
    const rng = new Xoshiro128(9);
    const tree = new RcfTree(128, store, rng);
    const slots: number[] = [];
    const expected = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      const p = Float32Array.from({ length: d }, () => Math.floor(rng.nextDouble() * 4) + (i % 3 === 0 ? 0.5 : 0));
      const slot = store.add(p, i);
      store.incRef(slot);
      slots.push(slot);
      const key = Array.from(p).join(',');
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    tree.build(slots, slots.length);
    expect(checkTree(tree, store)).toEqual(expected);
    expect(tree.totalMass).toBe(100);
    for (const slot of slots.slice(0, 60)) {
      const key = Array.from(store.read(slot)).join(',');
      tree.delete(slot);
      store.decRef(slot);
      const m = expected.get(key)! - 1;
      if (m === 0) expected.delete(key);
      else expected.set(key, m);
    }
    const extra = store.add(Float32Array.of(9, 9, 9, 9), 100);
    store.incRef(extra);
    tree.insert(extra);
    expected.set('9,9,9,9', 1);
    expect(checkTree(tree, store)).toEqual(expected);
    expect(() => tree.build(slots, 1)).toThrow('non-empty');
  });

  it('keeps finding its points in a shingled store after the store compacts and moves them (refreshOffsets)', () => {
    const columns = 2;
    const shingle = 4;
    const d = columns * shingle;
    const store = new PointStore(d, 16, columns);
    const rng = new Xoshiro128(12);
    const tree = new RcfTree(64, store, rng);
    const records = Array.from({ length: 3000 * columns }, () => Math.floor(rng.nextDouble() * 5));
    const inTree: number[] = [];
    const expected = new Map<string, number>();
    for (let t = 0; t + shingle <= 3000; t++) {
      const compactions = store.compactions;
      const slot = store.add(Float32Array.from(records.slice(t * columns, (t + shingle) * columns)), t);
      if (store.compactions !== compactions) tree.refreshOffsets();
      store.incRef(slot);
      tree.insert(slot);
      inTree.push(slot);
      const key = Array.from(store.read(slot)).join(',');
      expected.set(key, (expected.get(key) ?? 0) + 1);
      if (inTree.length > 60) {
        const old = inTree.splice(Math.floor(rng.nextDouble() * inTree.length), 1)[0]!;
        const oldKey = Array.from(store.read(old)).join(',');
        tree.delete(old);
        store.decRef(old);
        const m = expected.get(oldKey)! - 1;
        if (m === 0) expected.delete(oldKey);
        else expected.set(oldKey, m);
      }
    }
    expect(store.compactions).toBeGreaterThan(3);
    expect(checkTree(tree, store)).toEqual(expected);
  });

  it('a tree built at once scores like one grown point by point (same random cut tree distribution)', () => {
    const d = 3;
    const n = 64;
    const rng = new Xoshiro128(10);
    const sample = Array.from({ length: n }, () => Float32Array.from({ length: d }, () => rng.nextDouble() * 10));
    const queries = [Float32Array.of(5, 5, 5), Float32Array.of(12, 1, 3), sample[7]!.map((x) => x + 0.25)];
    const path = new Int32Array(n + 1);
    const means = (built: boolean): number[] => {
      const sums = queries.map(() => 0);
      for (let run = 0; run < 400; run++) {
        const store = new PointStore(d, n);
        const tree = new RcfTree(n, store, new Xoshiro128(1000 + run));
        const slots = sample.map((p, i) => {
          const slot = store.add(p, i);
          store.incRef(slot);
          return slot;
        });
        if (built) tree.build(slots, n);
        else for (const slot of slots) tree.insert(slot);
        queries.forEach((q, k) => (sums[k]! += tree.score(q, path)));
      }
      return sums.map((x) => x / 400);
    };
    const grown = means(false);
    const built = means(true);
    // Each mean is over 400 random trees; their spread is a few percent of the score.
    built.forEach((m, k) => expect(Math.abs(m - grown[k]!) / grown[k]!).toBeLessThan(0.06));
  });

  it('scores a repeated value with KDA rule 1/(depth + log2 mass) and a lone-leaf tree with 1/(mass + 1)', () => {
    const store = new PointStore(1, 16);
    const tree = new RcfTree(16, store, new Xoshiro128(1));
    const path = new Int32Array(17);
    const add = (x: number): number => {
      const slot = store.add(Float32Array.of(x), 0);
      store.incRef(slot);
      tree.insert(slot);
      return slot;
    };
    for (let i = 0; i < 5; i++) add(7);
    expect(tree.score(Float32Array.of(7), path)).toBeCloseTo(1 / 6, 12);
    for (let i = 0; i < 3; i++) add(9);
    // Two leaves under the root: 7 (mass 5) and 9 (mass 3), both at depth 1.
    expect(tree.score(Float32Array.of(7), path)).toBeCloseTo(1 / (1 + Math.log2(5)), 12);
    expect(tree.score(Float32Array.of(9), path)).toBeCloseTo(1 / (1 + Math.log2(3)), 12);
    // An unseen point between them lands in a leaf at depth 1 and is inside the root box: 1/2.
    expect(tree.score(Float32Array.of(8), path)).toBeCloseTo(1 / 2, 12);
    // Outside the box: p = gap/(range+gap) = 2/(2+2) mixes in 1/(0+1): 0.5·1 + 0.5·0.5.
    expect(tree.score(Float32Array.of(11), path)).toBeCloseTo(0.75, 12);
  });
});
