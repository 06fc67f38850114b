import { PointStore } from '../../../shared/rcf/point-store';
import { Xoshiro128 } from '../../../shared/rcf/random';

/** Records of `columns` random float32 values, and the shingle (oldest record first) ending at each record. */
function shingles(records: number, columns: number, shingle: number, seed: number): Float32Array[] {
  const rng = new Xoshiro128(seed);
  const values = Float32Array.from({ length: records * columns }, () => Math.round(rng.nextDouble() * 1000) / 10);
  const out: Float32Array[] = [];
  for (let t = 0; t + shingle <= records; t++) out.push(values.slice(t * columns, (t + shingle) * columns));
  return out;
}

describe('point store', () => {
  it('keeps a shingled stream once: consecutive shingles add one record each, and every slot reads back its full shingle', () => {
    const columns = 3;
    const shingle = 5;
    const points = shingles(200, columns, shingle, 1);
    const store = new PointStore(columns * shingle, 16, columns);
    const slots = points.map((p, t) => {
      const slot = store.add(p, t);
      store.incRef(slot);
      return slot;
    });
    slots.forEach((slot, t) => expect(Array.from(store.read(slot))).toEqual(Array.from(points[t]!)));
    // 200 records of 3 values, not 196 points × 15 values.
    expect(store.storedFloats).toBe(200 * columns);
  });

  it('stores a point whole when its older records are not the tail of the stream (a gap, or different values)', () => {
    const columns = 2;
    const shingle = 4;
    const points = shingles(50, columns, shingle, 2);
    const store = new PointStore(columns * shingle, 16, columns);
    const a = store.add(points[0]!, 0);
    const b = store.add(points[10]!, 10); // 10 updates later: nothing shared
    const changed = points[11]!.slice();
    changed[0] = -1; // claims to follow update 10 but its older records differ
    const c = store.add(changed, 11);
    for (const s of [a, b, c]) store.incRef(s);
    expect(Array.from(store.read(a))).toEqual(Array.from(points[0]!));
    expect(Array.from(store.read(b))).toEqual(Array.from(points[10]!));
    expect(Array.from(store.read(c))).toEqual(Array.from(changed));
    expect(store.storedFloats).toBe(3 * columns * shingle);
  });

  it('compacts: after many slots are released and more points added, live slots still read their values and memory stays bounded', () => {
    const columns = 4;
    const shingle = 8;
    const d = columns * shingle;
    const points = shingles(20_000, columns, shingle, 3);
    const store = new PointStore(d, 16, columns);
    const rng = new Xoshiro128(4);
    const live = new Map<number, number>(); // slot → update number
    points.forEach((p, t) => {
      // Keep about 1 in 20 points for a while, like a sampler: live windows are sparse and scattered.
      if (rng.nextDouble() < 0.05 || t % 97 < 12) {
        const slot = store.add(p, t);
        store.incRef(slot);
        live.set(slot, t);
      }
      if (live.size > 300) {
        for (const [slot] of live) {
          if (rng.nextDouble() < 0.2) {
            store.decRef(slot);
            live.delete(slot);
          }
        }
      }
    });
    for (const [slot, t] of live) expect(Array.from(store.read(slot))).toEqual(Array.from(points[t]!));
    expect(store.size).toBe(live.size);
    // Never more than twice the live windows plus slack, whatever the history.
    expect(store.coords.length).toBeLessThanOrEqual(2 * (live.size + 300) * d + 4 * d);
  });

  it('unshingled points keep a fixed place per slot, reused after release', () => {
    const store = new PointStore(3, 16);
    const a = store.add(Float32Array.of(1, 2, 3), 0);
    store.incRef(a);
    store.decRef(a);
    const b = store.add(Float32Array.of(4, 5, 6), 1);
    expect(b).toBe(a);
    expect(store.offsets[b]).toBe(b * 3);
    expect(Array.from(store.read(b))).toEqual([4, 5, 6]);
    expect(() => store.decRef(b)).toThrow('released more often than referenced');
  });
});
