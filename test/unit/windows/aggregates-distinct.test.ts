import { parseDetectors, rcfDetectors } from '../../../shared/detectors';
import { DistinctSketch, hash32, SketchFormatError, SPARSE_MAX } from '../../../shared/sketches/hll';
import { aggregateRecords, compileDetector, emptyState, planEmission, readState, type InputRecord } from '../../../shared/windows';
import { mergeLateWindow } from '../../../shared/windows/merge';

const sketchOf = (values: Iterable<string>) => {
  const s = new DistinctSketch();
  for (const v of values) s.add(v);
  return s;
};
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `user-${from + i}`);

describe('DistinctSketch (HyperLogLog with an exact sparse form)', () => {
  it('counts small sets exactly, repeats once, and survives its text form', () => {
    const s = sketchOf([...ids(0, 300), ...ids(0, 300)]);
    expect(s.isExact).toBe(true);
    expect(s.estimate()).toBe(300);
    const again = DistinctSketch.parse(s.serialize());
    expect(again.estimate()).toBe(300);
    expect(new DistinctSketch().estimate()).toBe(0);
    expect(DistinctSketch.parse(new DistinctSketch().serialize()).estimate()).toBe(0);
  });

  it('turns dense past SPARSE_MAX values and stays within 3 standard errors (2.3 % each) up to 200,000', () => {
    for (const n of [SPARSE_MAX + 1, 2_000, 10_000, 200_000]) {
      const s = sketchOf(ids(0, n));
      expect(s.isExact).toBe(false);
      expect(Math.abs(s.estimate() - n) / n).toBeLessThan(3 * 0.023);
      // The text form is fixed-size once dense: 1,536 bytes of packed registers, base64.
      expect(s.serialize().length).toBe(1 + 2048);
      expect(DistinctSketch.parse(s.serialize()).estimate()).toBe(s.estimate());
    }
  });

  it('is never bigger as text than the dense form (≈ 5.3 characters a value while sparse)', () => {
    expect(sketchOf(ids(0, 10)).serialize().length).toBeLessThanOrEqual(1 + 56);
    expect(sketchOf(ids(0, SPARSE_MAX)).serialize().length).toBeLessThanOrEqual(1 + 2048);
  });

  it('merges as a union: order-free, idempotent, sparse with dense alike', () => {
    const a = () => sketchOf(ids(0, 200));
    const b = () => sketchOf(ids(100, 5_000));
    const ab = a().merge(b());
    const ba = b().merge(a());
    expect(ab.serialize()).toBe(ba.serialize());
    expect(ab.merge(b()).serialize()).toBe(ba.serialize());
    expect(ab.serialize()).toBe(sketchOf(ids(0, 5_000)).serialize());
    // Two sparse sets that together pass SPARSE_MAX become the dense sketch of their union.
    const left = sketchOf(ids(0, 300)).merge(sketchOf(ids(300, 600)));
    expect(left.serialize()).toBe(sketchOf(ids(0, 600)).serialize());
  });

  it('refuses text that is not a sketch with a typed error', () => {
    expect(() => DistinctSketch.parse('x123')).toThrow(SketchFormatError);
    expect(() => DistinctSketch.parse('dAAAA')).toThrow('dense sketch of 3 bytes (1536 expected)');
    expect(() => DistinctSketch.parse('sAAA=')).toThrow(SketchFormatError);
  });

  it('hashes with MurmurHash3 x86 32 (stable across processes)', () => {
    // Known value of MurmurHash3_x86_32 over the UTF-16LE bytes of "" with seed 0 is 0.
    expect(hash32('', 0)).toBe(0);
    expect(hash32('user-1')).toBe(hash32('user-1'));
    expect(hash32('user-1')).not.toBe(hash32('user-2'));
  });
});

const [visitors] = rcfDetectors(
  parseDetectors(`
detectors:
  - name: visitors
    format: json
    key: page
    time: { field: t, format: epochSeconds }
    windowSeconds: 10
    aggregates: [count, count_distinct(user), { name: ips, fn: count_distinct, field: ip }]
`),
).map(compileDetector);

let seq = 1;
const rec = (o: object): InputRecord => ({
  data: Buffer.from(JSON.stringify(o)).toString('base64'),
  sequenceNumber: String(seq++),
  arrivalMs: 1_000_000,
});
const plan = (state: ReturnType<typeof emptyState>) =>
  planEmission({ state, compiled: [visitors!], lambdaWindow: { startMs: 0, endMs: 10_000 }, registries: new Map() }).byKey.get('visitors')!;

describe('count_distinct in the windows function', () => {
  it('carries one sketch per count_distinct aggregate in the state across invokes (JSON round trips) and counts exactly when small', () => {
    let state = emptyState();
    const rejects = aggregateRecords(
      state,
      [
        rec({ page: '/', user: 'ann', ip: 1, t: 1000 }),
        rec({ page: '/', user: 'bob', ip: 1, t: 1001 }),
        rec({ page: '/', user: 'ann', ip: 2, t: 1002 }),
      ],
      [visitors!],
    );
    expect(rejects).toEqual([]);
    expect(Object.keys(state.s!)).toEqual(['visitors|1000|/']);
    expect(state.s!['visitors|1000|/']).toHaveLength(2);
    state = readState(JSON.parse(JSON.stringify(state)));
    // Next invoke of the same Lambda window: a known user, a new one, 42 as a number and as text (one value).
    aggregateRecords(
      state,
      [
        rec({ page: '/', user: 'bob', ip: '42', t: 1003 }),
        rec({ page: '/', user: 'cy', ip: 42, t: 1004 }),
        rec({ page: '/b', user: 'cy', ip: 9, t: 1005 }),
      ],
      [visitors!],
    );
    state = readState(JSON.parse(JSON.stringify(state)));
    const byKey = plan(state);
    expect(byKey.get('/')![0]!.aggregates).toEqual({ count: 5, count_distinct_user: 3, ips: 3 });
    expect(byKey.get('/')![0]!.features).toEqual([5, 3, 3]);
    expect(byKey.get('/b')![0]!.aggregates).toEqual({ count: 1, count_distinct_user: 1, ips: 1 });
  });

  it('skips an absent or null value (SQL COUNT(DISTINCT) skips NULL) without rejecting the record', () => {
    const state = emptyState();
    const rejects = aggregateRecords(
      state,
      [rec({ page: '/', user: null, t: 1000 }), rec({ page: '/', t: 1001 }), rec({ page: '/', user: 'ann', t: 1002 })],
      [visitors!],
    );
    expect(rejects).toEqual([]);
    expect(plan(state).get('/')![0]!.aggregates).toEqual({ count: 3, count_distinct_user: 1, ips: 0 });
  });

  it('stays bounded: 20,000 distinct users in one window take one fixed-size sketch', () => {
    const state = emptyState();
    aggregateRecords(
      state,
      Array.from({ length: 20_000 }, (_, i) => rec({ page: '/', user: `u${i}`, ip: i % 7, t: 1000 })),
      [visitors!],
    );
    expect(JSON.stringify(state.s).length).toBeLessThan(2 * 2100 + 200);
    const agg = plan(state).get('/')![0]!.aggregates;
    expect(Math.abs(agg.count_distinct_user! - 20_000) / 20_000).toBeLessThan(0.07);
    expect(agg.ips).toBe(7);
  });

  it('merges late records into a stored window by sketch union (a user seen twice counts once)', () => {
    const early = emptyState();
    aggregateRecords(
      early,
      [rec({ page: '/', user: 'ann', ip: 1, t: 1000 }), rec({ page: '/', user: 'bob', ip: 1, t: 1001 })],
      [visitors!],
    );
    const stored = plan(early).get('/')![0]!;
    const late = emptyState();
    aggregateRecords(late, [rec({ page: '/', user: 'bob', ip: 2, t: 1005 }), rec({ page: '/', user: 'cy', ip: 2, t: 1006 })], [visitors!]);
    const merged = mergeLateWindow(
      { count: stored.count, partials: stored.partials, sketches: stored.sketches! },
      plan(late).get('/')![0]!,
    );
    expect(merged.aggregates).toEqual({ count: 4, count_distinct_user: 3, ips: 2 });
    expect(Object.keys(merged.sketches!)).toEqual(['count_distinct_user', 'ips']);
  });
});
