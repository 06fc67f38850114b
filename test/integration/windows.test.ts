import { tollDetectorItem } from '../factories/detectors';
import { windowEvent } from '../factories/kinesis';
import { startHarness, type Harness } from './windows-support';

const TOLL = `
detectors:
${tollDetectorItem({ rcf: { numberOfTrees: 20, subSampleSize: 16, timeDecay: 1000 }, threshold: 2.5, silentKeysWindows: 5 })}
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
    const first = await h.invoke(
      windowEvent({ windowStart: T0, records: [toll(T0 + 1000, 'A'), toll(T0 + 2000, 'A'), toll(T0 + 3000, 'B')] }),
    );
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
    expect(a).toMatchObject({
      detector: 'toll',
      key: 'A',
      windowEnd: '2026-03-01T12:00:10.000Z',
      aggregates: { count: 3 },
      scored: true,
      late: false,
      threshold: 2.5,
      score: 0,
    });
    expect(a.attribution).toEqual([{ column: 'count', score: 0, direction: expect.stringMatching(/HIGH|LOW/) }]);
    const models = (await h.items()).filter((i) => i.type === 'model');
    expect(models.map((m) => [m.pk, m.version, m.lastWindow])).toEqual([
      ['M#toll#A', 1, '2026-03-01T12:00:00.000Z'],
      ['M#toll#B', 1, '2026-03-01T12:00:00.000Z'],
    ]);
  });

  it('emits at a final invoke that carries records, oldest window first, and at an early end', async () => {
    const final = await h.invoke(
      windowEvent({ windowStart: T0, final: true, records: [toll(T0 + 12_000, 'A'), toll(T0 + 1000, 'A'), toll(T0 + 2000, 'A')] }),
    );
    expect(final.state).toEqual({});
    const windows = (await h.items()).filter((i) => i.type === 'window');
    expect(windows.map((w) => [w.sk, w.count])).toEqual([
      ['2026-03-01T12:00:00.000Z', 2],
      ['2026-03-01T12:00:10.000Z', 1],
    ]);
    const model = (await h.items()).find((i) => i.pk === 'M#toll#A')!;
    expect(model.lastWindow).toBe('2026-03-01T12:00:10.000Z');

    // Early end: the state so far is emitted; the same window continues with a fresh state, its later records late.
    const t1 = T0 + 60_000;
    const part = await h.invoke(windowEvent({ windowStart: t1, records: [toll(t1 + 1000, 'B'), toll(t1 + 2000, 'B')] }));
    const early = await h.invoke(windowEvent({ windowStart: t1, state: part.state, final: true, terminatedEarly: true }));
    expect(early.state).toEqual({});
    const rest = await h.invoke(windowEvent({ windowStart: t1, records: [toll(t1 + 3000, 'B')] }));
    await h.invoke(windowEvent({ windowStart: t1, state: rest.state, final: true }));
    const b = (await h.items()).find((i) => i.pk === 'W#toll#B')!;
    expect(b).toMatchObject({ count: 3, late: true, lateRecords: 1, scored: true, aggregates: { count: 3 } });
  });

  it('leaves the table identical and learns once when the same final invoke is delivered twice', async () => {
    const stations = ['A', 'B', 'C'];
    let state: Record<string, unknown>;
    // A history long enough to get past warm-up, so real scores are stored.
    for (let w = 0; w < 20; w++) {
      const start = T0 + w * 10_000;
      const records = stations.flatMap((s, i) => Array.from({ length: 5 + i + (w % 3) }, (_, k) => toll(start + 100 * k, s)));
      const partial = await h.invoke(windowEvent({ windowStart: start, records }));
      state = partial.state;
      await h.invoke(windowEvent({ windowStart: start, state, final: true }));
    }
    const start = T0 + 20 * 10_000;
    const event = windowEvent({
      windowStart: start,
      final: true,
      records: [...Array.from({ length: 40 }, (_, k) => toll(start + k, 'A')), toll(start + 1, 'B')],
    });
    await h.invoke(structuredClone(event));
    const before = await h.items();
    const a = before.find((i) => i.pk === 'W#toll#A' && i.sk === isoAt(start))!;
    expect(a.score).toBeGreaterThan(0);
    await h.invoke(structuredClone(event));
    expect(await h.items()).toEqual(before);
    // A cold container (empty cache) retrying it too.
    await h.coldInvoke(structuredClone(event));
    expect(await h.items()).toEqual(before);
    // Saved once, at its first window (MODEL_SAVE_EVERY is 30): the 20 windows learned since are in the window
    // items, each with the features it learned, which is what the cold container rebuilt the forest from.
    const model = before.find((i) => i.pk === 'M#toll#A')!;
    expect(model).toMatchObject({ version: 1, lastWindow: isoAt(T0) });
    const since = before.filter((i) => i.pk === 'W#toll#A' && (i.sk as string) > isoAt(T0));
    expect(since).toHaveLength(20);
    expect(since.every((i) => typeof i.fresh === 'string' && Array.isArray(i.features))).toBe(true);
  });

  it('merges records of an already emitted window into its item atomically, marks it late and does not rescore', async () => {
    const first = windowEvent({ windowStart: T0, final: true, records: [toll(T0 + 1000, 'A'), toll(T0 + 12_000, 'A')] });
    await h.invoke(first);
    const before = (await h.items()).find((i) => i.pk === 'W#toll#A' && i.sk === isoAt(T0))!;
    const modelBefore = (await h.items()).find((i) => i.pk === 'M#toll#A')!;
    // Two records stamped in the first window arrive a minute later.
    const late = windowEvent({ windowStart: T0 + 60_000, final: true, records: [toll(T0 + 5000, 'A'), toll(T0 + 6000, 'A')] });
    await h.invoke(late);
    const after = (await h.items()).find((i) => i.pk === 'W#toll#A' && i.sk === isoAt(T0))!;
    expect(after).toMatchObject({ count: 3, aggregates: { count: 3 }, late: true, lateRecords: 2, score: before.score, scored: true });
    const modelAfter = (await h.items()).find((i) => i.pk === 'M#toll#A')!;
    expect(modelAfter.version).toBe(modelBefore.version);
    // The same late batch again (a retry) changes nothing.
    await h.invoke(late);
    expect((await h.items()).find((i) => i.pk === 'W#toll#A' && i.sk === isoAt(T0))).toEqual(after);
  });

  it('keeps malformed, CSV, concatenated-JSON and non-finite records apart: good ones counted, bad ones rejected with reasons', async () => {
    const ts = T0 + 500;
    const records = [
      toll(T0 + 1000, 'A'),
      `${isoAt(T0 + 2000)},\nA,\nPLATE9`, // a KDG template written over several lines
      '{"location":"farm-1","speed":10,"ts":' +
        ts +
        '}{"location":"farm-1","speed":14,"ts":' +
        (ts + 1) +
        '}{"location":"farm-2","speed":7,"ts":' +
        ts +
        '}',
      '{"location":"farm-1","speed":"NaN","ts":' + ts + '}',
      '{"location":"farm-1","speed":1e999,"ts":' + ts + '}',
      '{"location":"farm-1","speed":3,"ts":"yesterday"}',
      '{"location":"farm-1","speed":3,"ts":' + ts + '}{"location":"farm-1",',
      'not,a,toll,record',
      '{"ticker_symbol":"HJV","price":194.41}',
      '',
    ];
    const res = await h.invoke(windowEvent({ windowStart: T0, final: true, records }));
    expect(res.batchItemFailures).toEqual([]);
    const windows = (await h.items()).filter((i) => i.type === 'window');
    const byPk = Object.fromEntries(windows.map((w) => [w.pk, w]));
    expect(byPk['W#toll#A']).toMatchObject({ count: 2 });
    expect(byPk['W#wind#farm-1']).toMatchObject({ count: 3, aggregates: { avg_speed: 9, max_speed: 14, count: 3 } });
    expect(byPk['W#wind#farm-2']).toMatchObject({ count: 1, aggregates: { avg_speed: 7, max_speed: 7 } });
    const reasons = h.rejects.all.map((r) => [r.detector ?? '-', r.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        ['wind', 'field speed is not a finite number: "NaN"'],
        ['wind', expect.stringContaining('field speed is not a finite number')],
        ['wind', expect.stringContaining('time field ts')],
        ['-', expect.stringContaining('incomplete')],
        ['-', expect.stringContaining('expected 3 CSV columns')],
        ['-', expect.stringContaining('matches no detector')],
        ['-', 'empty record'],
      ]),
    );
    expect(h.rejects.all).toHaveLength(7);
    for (const r of h.rejects.all) expect(r.sequenceNumber).toMatch(/^\d+$/);
    expect([...h.rejects.objects.keys()].every((k) => /^(wind\/)?2026-01-01\/shardId-000000000000-\d+\.jsonl$/.test(k))).toBe(true);
  });

  it('gives a key that went quiet zero-count windows so it is scored, and forgets it after its horizon', async () => {
    for (let w = 0; w < 3; w++) {
      const start = T0 + w * 10_000;
      await h.invoke(windowEvent({ windowStart: start, final: true, records: [toll(start + 1, 'A'), toll(start + 2, 'B')] }));
    }
    // B stops; A goes on for 7 more windows (B's horizon is 5 windows).
    for (let w = 3; w < 10; w++) {
      const start = T0 + w * 10_000;
      await h.invoke(windowEvent({ windowStart: start, final: true, records: [toll(start + 1, 'A')] }));
    }
    const b = (await h.items()).filter((i) => i.pk === 'W#toll#B');
    expect(b.map((w) => [w.sk, w.count, w.silent])).toEqual([
      [isoAt(T0), 1, false],
      [isoAt(T0 + 10_000), 1, false],
      [isoAt(T0 + 20_000), 1, false],
      ...[3, 4, 5, 6, 7].map((w) => [isoAt(T0 + w * 10_000), 0, true]),
    ]);
    expect(b[3]).toMatchObject({ scored: true, aggregates: { count: 0 } });
    const registry = (await h.items()).find((i) => i.pk === 'R#toll')!;
    // Stored as [key, epoch seconds] pairs (docs/data-model.md).
    expect((registry.keys as Array<[string, number]>).map(([k]) => k)).toEqual(['A']);
  });
});
