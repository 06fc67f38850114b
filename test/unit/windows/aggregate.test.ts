import { parseDetectors, rcfDetectors } from '../../../shared/detectors';
import { aggregateRecords, compileDetector, emptyState, planEmission, readState, type InputRecord } from '../../../shared/windows';

const [wind, toll] = rcfDetectors(
  parseDetectors(`
detectors:
  - name: wind
    format: json
    key: location
    time: { field: t, format: epochSeconds }
    windowSeconds: 10
    aggregates: [count, avg(speed), min(speed), max(speed), sum(speed)]
  - name: toll
    format: csv
    csv: { columns: [date, station, plate] }
    key: station
    windowSeconds: 10
    aggregates: [count]
    silentKeys: { windows: 2 }
`),
).map(compileDetector);

let seq = 100;
const rec = (text: string, arrivalMs = 1_000_000): InputRecord => ({
  data: Buffer.from(text).toString('base64'),
  sequenceNumber: String(seq++),
  arrivalMs,
});

describe('aggregateRecords', () => {
  it('keeps count, sum, min and max per field in compact state entries keyed by detector, window and key', () => {
    const state = emptyState();
    const rejects = aggregateRecords(
      state,
      [rec('{"location":"a|b","speed":4,"t":1000}{"location":"a|b","speed":10,"t":1009}'), rec('{"location":"a|b","speed":1,"t":1010}')],
      [wind!],
    );
    expect(rejects).toEqual([]);
    expect(state.w).toEqual({ 'wind|1000|a|b': [2, 14, 4, 10], 'wind|1010|a|b': [1, 1, 1, 1] });
    // The state survives Lambda's JSON round trip.
    const again = readState(JSON.parse(JSON.stringify(state)));
    const plan = planEmission({ state: again, compiled: [wind!], lambdaWindow: { startMs: 0, endMs: 10_000 }, registries: new Map() });
    const windows = plan.byKey.get('wind')!.get('a|b')!;
    expect(windows.map((w) => [w.startMs, w.aggregates])).toEqual([
      [1_000_000, { count: 2, avg_speed: 7, min_speed: 4, max_speed: 10, sum_speed: 14 }],
      [1_010_000, { count: 1, avg_speed: 1, min_speed: 1, max_speed: 1, sum_speed: 1 }],
    ]);
    expect(windows[0]!.features).toEqual([2, 7, 4, 10, 14]);
  });

  it('leaves no trace of a record with one bad field and returns it as a reject of its detector', () => {
    const state = emptyState();
    const rejects = aggregateRecords(state, [rec('{"location":"a","speed":"fast","t":1000}'), rec('{"location":"a","speed":2}')], [wind!]);
    expect(state.w).toEqual({});
    expect(rejects.map((r) => [r.detector, r.reason])).toEqual([
      ['wind', 'field speed is not a finite number: "fast"'],
      ['wind', 'time field t: missing'],
    ]);
  });

  it('uses the arrival time when the detector has no time field', () => {
    const state = emptyState();
    aggregateRecords(state, [rec('2026-01-01T00:00:00Z,X,P', 1_700_000_004_321)], [toll!]);
    expect(Object.keys(state.w)).toEqual(['toll|1700000000|X']);
  });

  it('starts over from a state it does not recognise (a fresh window)', () => {
    expect(readState({})).toEqual(emptyState());
    expect(readState({ v: 2, w: {} })).toEqual(emptyState());
  });
});

describe('planEmission', () => {
  it('adds zero-count windows for recently seen keys within their horizon only', () => {
    const state = emptyState();
    aggregateRecords(state, [rec('t,A,P', 100_000)], [toll!]);
    const registries = new Map([
      [
        'toll',
        new Map([
          ['A', 90_000],
          ['B', 90_000],
          ['C', 60_000],
        ]),
      ],
    ]);
    const plan = planEmission({ state, compiled: [toll!], lambdaWindow: { startMs: 100_000, endMs: 110_000 }, registries });
    const keys = plan.byKey.get('toll')!;
    expect(keys.get('A')!.map((w) => [w.startMs, w.count, w.silent])).toEqual([[100_000, 1, false]]);
    expect(keys.get('B')!.map((w) => [w.startMs, w.count, w.silent, w.features])).toEqual([[100_000, 0, true, [0]]]);
    expect(keys.has('C')).toBe(false);
    expect([...plan.registries.get('toll')!]).toEqual([
      ['A', 100_000],
      ['B', 90_000],
    ]);
  });
});
