import { parseDetectors, rcfDetectors } from '../../../shared/detectors';
import {
  aggregateRecords,
  compileDetector,
  emptyState,
  finishAggregate,
  planEmission,
  readState,
  type InputRecord,
} from '../../../shared/windows';
import { ratio } from '../../../shared/windows/features';
import { mergeLateWindow } from '../../../shared/windows/merge';

const [ads, plain] = rcfDetectors(
  parseDetectors(`
detectors:
  - name: ads
    format: json
    key: campaign
    time: { field: t, format: epochSeconds }
    windowSeconds: 10
    aggregates:
      - count
      - { name: clicks, fn: count, where: { type: click } }
      - { name: impressions, fn: count, where: { type: [impression, view] } }
      - { name: spend, fn: sum, field: cost, where: { type: click } }
      - { name: ctr, ratio: [clicks, impressions] }
    features: [clicks, impressions, spend]
    silentKeys: { windows: 3 }
  - name: plain
    format: csv
    csv: { columns: [date, station, plate] }
    key: station
    aggregates: [count]
`),
).map(compileDetector);

let seq = 1;
const rec = (o: object): InputRecord => ({
  data: Buffer.from(JSON.stringify(o)).toString('base64'),
  sequenceNumber: String(seq++),
  arrivalMs: 1_000_000,
});
const click = (campaign: string, cost: unknown, t = 1000) => rec({ campaign, type: 'click', cost, t });
const shown = (campaign: string, type = 'impression', t = 1000) => rec({ campaign, type, t });
const windowsOf = (state: ReturnType<typeof emptyState>, lambdaWindow = { startMs: 1_000_000, endMs: 1_010_000 }, registries = new Map()) =>
  planEmission({ state, compiled: [ads!], lambdaWindow, registries }).byKey.get('ads')!;

describe('conditional aggregates (count / sum where)', () => {
  it('counts and sums only the objects whose fields match, each in a slot of its own carried in the state', () => {
    const state = emptyState();
    const rejects = aggregateRecords(
      state,
      [click('c1', 0.5), click('c1', 0.25), shown('c1'), shown('c1', 'view'), shown('c1', 'hover'), shown('c1'), shown('c1')],
      [ads!],
    );
    expect(rejects).toEqual([]);
    // [count, then sum 0 0 per conditional slot: clicks, impressions, spend].
    expect(state.w).toEqual({ 'ads|1000|c1': [7, 2, 0, 0, 4, 0, 0, 0.75, 0, 0] });
    const [w] = windowsOf(readState(JSON.parse(JSON.stringify(state)))).get('c1')!;
    expect(w!.aggregates).toEqual({ count: 7, clicks: 2, impressions: 4, spend: 0.75, ctr: 0.5 });
    expect(w!.features).toEqual([2, 4, 0.75]);
    expect(w!.partials).toEqual({
      '|clicks': { sum: 2, min: 0, max: 0 },
      '|impressions': { sum: 4, min: 0, max: 0 },
      '|spend': { sum: 0.75, min: 0, max: 0 },
    });
  });

  it('reads a conditional sum field only when the rule holds: objects that do not match need not carry it', () => {
    const state = emptyState();
    expect(aggregateRecords(state, [shown('c1'), rec({ campaign: 'c1', type: 'impression', cost: 'n/a', t: 1000 })], [ads!])).toEqual([]);
    expect(windowsOf(state).get('c1')![0]!.aggregates).toMatchObject({ impressions: 2, spend: 0 });
  });

  it('rejects an object that matches but whose summed field is unusable, leaving no trace in any slot', () => {
    const state = emptyState();
    aggregateRecords(state, [click('c1', 1)], [ads!]);
    const before = structuredClone(state.w);
    const rejects = aggregateRecords(state, [click('c1', 'free'), click('c1', undefined), click('c1', 2 ** 53)], [ads!]);
    expect(rejects.map((r) => [r.detector, r.reason])).toEqual([
      ['ads', 'field cost is not a finite number: "free"'],
      ['ads', 'missing field cost'],
      ['ads', expect.stringContaining('cost')],
    ]);
    expect(state.w).toEqual(before);
  });

  it('gives a quiet key zeros for its conditional counts and sums, and a ratio of 0/0 = 0', () => {
    const state = emptyState();
    aggregateRecords(state, [click('c1', 1, 1010)], [ads!]);
    const registries = new Map([['ads', new Map([['c2', 1_000_000]])]]);
    const [quiet] = windowsOf(state, { startMs: 1_010_000, endMs: 1_020_000 }, registries).get('c2')!;
    expect(quiet).toMatchObject({ silent: true, count: 0, aggregates: { count: 0, clicks: 0, impressions: 0, spend: 0, ctr: 0 } });
    expect(quiet!.features).toEqual([0, 0, 0]);
  });

  it('merges late records into a stored window slot by slot and recomputes the ratio', () => {
    const a = emptyState();
    aggregateRecords(a, [click('c1', 1), shown('c1'), shown('c1'), shown('c1'), shown('c1')], [ads!]);
    const stored = windowsOf(a).get('c1')![0]!;
    const b = emptyState();
    aggregateRecords(b, [click('c1', 2), click('c1', 3)], [ads!]);
    const merged = mergeLateWindow(stored, windowsOf(b).get('c1')![0]!);
    expect(merged.count).toBe(7);
    expect(merged.aggregates).toEqual({ count: 7, clicks: 3, impressions: 4, spend: 6, ctr: 0.75 });
  });

  it('leaves detectors without these options on the plain path (no extra plan, no extra slots)', () => {
    expect(plain!.extra).toBeUndefined();
    expect(plain!.fields).toEqual([]);
    expect(ads!.read).toEqual([]);
    expect(ads!.fields).toEqual(['|clicks', '|impressions', '|spend']);
  });
});

describe('ratio of two aggregates', () => {
  it('divides, gives 0 for a zero denominator, and nothing (an unscored window) when an operand is undefined or the quotient not finite', () => {
    expect(ratio(3, 4)).toBe(0.75);
    expect(ratio(5, 0)).toBe(0);
    expect(ratio(0, 0)).toBe(0);
    expect(ratio(undefined, 2)).toBeUndefined();
    expect(ratio(1e308, 1e-308)).toBeUndefined();
  });

  it('feeds a ratio to the forest as a feature, over plain and conditional aggregates', () => {
    const [speed, rate] = rcfDetectors(
      parseDetectors(`
detectors:
  - name: s
    format: json
    key: k
    aggregates: [count, avg(v), { name: per, ratio: [avg_v, count] }]
    features: [per]
  - name: t
    format: json
    key: k
    aggregates: [count, { name: hits, fn: count, where: { ok: true } }, { name: rate, ratio: [hits, count] }]
    features: [rate]
`),
    ).map(compileDetector);
    const state = emptyState();
    aggregateRecords(state, [rec({ k: 'a', v: 6 }), rec({ k: 'a', v: 2 })], [speed!]);
    const [w] = planEmission({ state, compiled: [speed!], lambdaWindow: { startMs: 0, endMs: 1 }, registries: new Map() })
      .byKey.get('s')!
      .get('a')!;
    expect(w!.aggregates).toEqual({ count: 2, avg_v: 4, per: 2 });
    expect(w!.features).toEqual([2]);
    // An undefined operand (the avg of an empty window) leaves the ratio undefined: the window is written unscored.
    const empty = finishAggregate(speed!.detector, 'a', 0, 0, {});
    expect(empty.aggregates).toEqual({ count: 0 });
    expect(empty.features).toBeUndefined();
    // where: follows match: rules' equality, so the text "true" (a CSV field) matches true.
    const s2 = emptyState();
    aggregateRecords(s2, [rec({ k: 'a', ok: false }), rec({ k: 'a', ok: true }), rec({ k: 'a', ok: 'true' })], [rate!]);
    const [r] = planEmission({ state: s2, compiled: [rate!], lambdaWindow: { startMs: 0, endMs: 1 }, registries: new Map() })
      .byKey.get('t')!
      .get('a')!;
    expect(r!.aggregates).toEqual({ count: 3, hits: 2, rate: 2 / 3 });
    expect(r!.features).toEqual([2 / 3]);
  });
});
