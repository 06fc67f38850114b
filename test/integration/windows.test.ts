import { windowEvent } from '../factories/kinesis';
import { startHarness, type Harness } from './windows-support';

const TOLL = `
detectors:
  - name: toll
    format: csv
    csv: { columns: [date, station, plate] }
    key: station
    time: date
    windowSeconds: 10
    aggregates: [count]
    silentKeys: { windows: 5 }
    rcf: { numberOfTrees: 20, subSampleSize: 16, timeDecay: 1000 }
    threshold: 2.5
  - name: wind
    format: json
    key: location
    time: { field: ts, format: epochMillis }
    windowSeconds: 10
    aggregates: [avg(speed), max(speed), count]
    features: [avg_speed, max_speed]
    rcf: { numberOfTrees: 20, subSampleSize: 16, timeDecay: 1000 }
`;

const T0 = Date.parse('2026-03-01T12:00:00Z');
const isoAt = (ms: number) => new Date(ms).toISOString();
const toll = (ms: number, station: string, plate = 'ABC123') => `${isoAt(ms).replace('.000Z', '+00:00')},${station},${plate}`;

describe('windows function against dynalite', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(TOLL);
  });
  afterEach(async () => {
    await h.close();
  });

  it('carries partial counts in state across invokes and writes one item per key at the final invoke', async () => {
    const first = await h.invoke(windowEvent({ windowStart: T0, records: [toll(T0 + 1000, 'A'), toll(T0 + 2000, 'A'), toll(T0 + 3000, 'B')] }));
    expect(first.batchItemFailures).toEqual([]);
    expect(await h.items()).toEqual([]);
    const second = await h.invoke(windowEvent({ windowStart: T0, state: first.state, records: [toll(T0 + 4000, 'A')] }));
    const final = await h.invoke(windowEvent({ windowStart: T0, state: second.state, final: true }));
    expect(final.state).toEqual({});
    const windows = (await h.items()).filter((i) => i.type === 'window');
    expect(windows.map((w) => [w.pk, w.sk, w.count])).toEqual([
      ['W#toll#A', '2026-03-01T12:00:00.000Z', 3],
      ['W#toll#B', '2026-03-01T12:00:00.000Z', 1],
    ]);
    const a = windows[0]!;
    expect(a).toMatchObject({ detector: 'toll', key: 'A', windowEnd: '2026-03-01T12:00:10.000Z', aggregates: { count: 3 }, scored: true, late: false, threshold: 2.5, score: 0 });
    expect(a.attribution).toEqual([{ column: 'count', score: 0, direction: expect.stringMatching(/HIGH|LOW/) }]);
    const models = (await h.items()).filter((i) => i.type === 'model');
    expect(models.map((m) => [m.pk, m.version, m.lastWindow])).toEqual([
      ['M#toll#A', 1, '2026-03-01T12:00:00.000Z'],
      ['M#toll#B', 1, '2026-03-01T12:00:00.000Z'],
    ]);
  });
});
