import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { parseDetectors } from '../../shared/detectors';
import { KINESIS_MAX_RECORD_BYTES, MAX_KEPT_DATA_CHARS, MAX_SAFE_SUM, type EventTimeBounds, type Reject } from '../../shared/records';
import { MemoryRejectsSink } from '../../shared/rejects';
import { windowPk, windowSk } from '../../shared/store/keys';
import { ModelCache } from '../../shared/windows';
import { createHotspotsHandler } from '../../functions/hotspots/handler';
import { createWindowsHandler } from '../../functions/windows/handler';
import type { TumblingWindowEvent, TumblingWindowResponse } from '../../shared/lambda/tumbling-window';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { lambdaContext, windowEvent, type RecordInput } from '../factories/kinesis';

/**
 * Issue 13's classes of hostile records, one test each, through the deployed windows and hotspots handlers (middy +
 * Powertools, dynalite): both functions read the same batch, as they read the same stream. For every class the
 * invokes succeed, the hostile record is kept as exactly one reject with the reason docs/records.md gives, and the
 * good records of the same batch are counted exactly in the items written.
 */

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const DETECTORS = `
detectors:
  - name: wind
    format: json
    key: location
    time: ts
    windowSeconds: 10
    aggregates: [sum(speed), count]
    features: [sum_speed]
    rcf: { numberOfTrees: 10, subSampleSize: 16, timeDecay: 1000 }
  - name: players
    kind: hotspots
    format: json
    columns: [latitude, longitude]
    time: ts
    windowSeconds: 10
    windowSize: 100
    scanRadius: 0.001
    minPoints: 3
    threshold: 1
`;

const T0 = Date.parse('2026-03-01T12:00:00Z');
const NOW = () => T0 + 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface Functions {
  windows(event: TumblingWindowEvent): Promise<TumblingWindowResponse>;
  hotspots(event: TumblingWindowEvent): Promise<TumblingWindowResponse>;
  windowsRejects: MemoryRejectsSink;
  hotspotsRejects: MemoryRejectsSink;
}

describe('hostile record classes (issue 13) through the windows and hotspots handlers', () => {
  let db: Emulator;
  let client: DynamoDBDocumentClient;
  let tableName: string;

  beforeAll(async () => {
    db = await startDynalite();
    tableName = await createDataTable(db.endpoint);
    client = dynamoDocumentClient({ endpoint: db.endpoint });
  });
  afterAll(async () => {
    client.destroy();
    await db.close();
  });

  const functions = (eventTime?: EventTimeBounds): Functions => {
    const detectors = parseDetectors(DETECTORS, 'hostile-classes detectors');
    const windowsRejects = new MemoryRejectsSink(NOW);
    const hotspotsRejects = new MemoryRejectsSink(NOW);
    const common = {
      detectors,
      documentClient: client,
      tableName,
      retentionDays: 7,
      now: NOW,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'Test' }),
      ...(eventTime ? { eventTime } : {}),
    };
    const windows = createWindowsHandler({ ...common, rejects: windowsRejects, cache: new ModelCache(16) });
    const hotspots = createHotspotsHandler({ ...common, rejects: hotspotsRejects });
    return {
      windows: (e) => windows(e, lambdaContext()) as Promise<TumblingWindowResponse>,
      hotspots: (e) => hotspots(e, lambdaContext('stream-sentinel-test-hotspots')) as Promise<TumblingWindowResponse>,
      windowsRejects,
      hotspotsRejects,
    };
  };

  const items = async () => {
    const out: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
      out.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  };

  /** A record as the producer put it: text or JSON (the factory's), or raw bytes. */
  type Hostile = RecordInput | { bytes: Buffer };

  // Each case has its own window and shard, so its items are its own.
  let caseNo = 0;
  const GOOD_WIND = 5;
  const GOOD_POINTS = 4;

  /**
   * One final invoke of each function with good wind records (key `good-N`, speeds 1..5), good player points and
   * the hostile records, all arriving inside the case's window; returns the rejects each function kept and the
   * items written for the case's window.
   */
  async function deliver(hostile: Hostile[], fns: Functions = functions()) {
    const n = ++caseNo;
    const start = T0 + n * 60_000;
    const key = `good-${n}`;
    const good: RecordInput[] = [
      ...Array.from({ length: GOOD_WIND }, (_, i) => ({ data: { location: key, speed: i + 1, ts: iso(start + 100 + i) } })),
      ...Array.from({ length: GOOD_POINTS }, (_, i) => ({
        data: { latitude: 40.7581 + i * 0.0001, longitude: -73.9855, ts: iso(start + 200 + i) },
      })),
    ];
    const sent = [...good.slice(0, 3), ...hostile, ...good.slice(3)];
    const records = sent.map((r, i) => ({ arrivalMs: start + 1_000 + i, ...('bytes' in r ? { data: '' } : r) }));
    const event = windowEvent({ records, windowStart: start, final: true, shardId: `shardId-${String(n).padStart(12, '0')}` });
    // Bytes that are not UTF-8 cannot go through the factory's text: they replace the record's data as Kinesis has it.
    sent.forEach((r, i) => {
      if ('bytes' in r) event.Records[i]!.kinesis.data = r.bytes.toString('base64');
    });
    const before = { windows: fns.windowsRejects.all.length, hotspots: fns.hotspotsRejects.all.length };
    // Both invokes must resolve: a rejection here is the failed invoke (blocked shard) the issue is about.
    const windowsResponse = await fns.windows(event);
    const hotspotsResponse = await fns.hotspots(event);
    expect(windowsResponse.batchItemFailures).toEqual([]);
    expect(hotspotsResponse.batchItemFailures).toEqual([]);
    const all = await items();
    const window = all.find((i) => i.pk === windowPk('wind', key) && i.sk === windowSk(start));
    const hotspots = all.find((i) => i.pk === 'H#players' && i.sk === iso(start));
    return {
      start,
      key,
      windowsRejects: fns.windowsRejects.all.slice(before.windows),
      hotspotsRejects: fns.hotspotsRejects.all.slice(before.hotspots),
      window,
      hotspots,
      all,
    };
  }

  /** The good records of the case were counted exactly: 5 wind records (sum 15) and 4 player points. */
  const goodCountedExactly = (got: Awaited<ReturnType<typeof deliver>>) => {
    expect(got.window).toMatchObject({ count: GOOD_WIND, aggregates: { sum_speed: 15, count: GOOD_WIND } });
    expect(got.hotspots).toMatchObject({ count: GOOD_POINTS });
  };

  /** Exactly one reject in all, kept by `by`, with this reason, naming `detector` (if any). */
  const oneReject = (got: Awaited<ReturnType<typeof deliver>>, by: 'windows' | 'hotspots', reason: string | RegExp, detector?: string) => {
    const mine = by === 'windows' ? got.windowsRejects : got.hotspotsRejects;
    const theirs = by === 'windows' ? got.hotspotsRejects : got.windowsRejects;
    expect(theirs).toEqual([]);
    expect(mine).toHaveLength(1);
    const [r] = mine as [Reject];
    if (typeof reason === 'string') expect(r.reason).toBe(reason);
    else expect(r.reason).toMatch(reason);
    expect(r.detector).toBe(detector);
    return r;
  };

  it('JSON nested 10,000 levels deep: rejected before it is parsed, by the windows function', async () => {
    const deep = `{"location":"deep","speed":1,"ts":"${iso(T0)}","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const deepPoint = `{"latitude":40.7581,"longitude":-73.9855,"x":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
    const got = await deliver([{ data: deep }]);
    oneReject(got, 'windows', 'object 0 nests deeper than 64 levels');
    goodCountedExactly(got);
    const point = await deliver([{ data: deepPoint }]);
    oneReject(point, 'windows', 'object 0 nests deeper than 64 levels');
    goodCountedExactly(point);
  });

  it('a numeric event time of 8.64e15 ms: rejected as outside the years 1970–9999, by the detector that takes the record', async () => {
    const got = await deliver([{ data: { location: 'far', speed: 1, ts: 8.64e15 } }]);
    oneReject(got, 'windows', 'time field ts: "8640000000000000" is outside 1970-01-01 … 9999-12-31', 'wind');
    goodCountedExactly(got);
    const point = await deliver([{ data: { latitude: 40.7581, longitude: -73.9855, ts: 8.64e15 } }]);
    oneReject(point, 'hotspots', 'time field ts: "8640000000000000" is outside 1970-01-01 … 9999-12-31', 'players');
    goodCountedExactly(point);
  });

  it('{"speed": 1e16}: rejected as out of range, and so is a coordinate of 1e16', async () => {
    const start = T0 + (caseNo + 1) * 60_000;
    const got = await deliver([{ data: { location: 'huge', speed: 1e16, ts: iso(start + 300) } }]);
    oneReject(got, 'windows', 'field speed is out of range (|x| > 1000000000000): "10000000000000000"', 'wind');
    goodCountedExactly(got);
    expect(got.all.some((i) => i.pk === windowPk('wind', 'huge'))).toBe(false);
    const point = await deliver([{ data: { latitude: 1e16, longitude: -73.9855, ts: iso(start + 60_300) } }]);
    oneReject(point, 'hotspots', 'field latitude is out of range (|x| > 1000000000000): "10000000000000000"', 'players');
    goodCountedExactly(point);
  });

  it('a sum that would pass 2^53: the objects that fit are summed exactly, the record is kept once with the reason', async () => {
    const start = T0 + (caseNo + 1) * 60_000;
    // 9,010 objects of 1e12 in one record: 9,007 of them sum to 9.007e15 < 2^53, the 9,008th would pass it.
    const big = Array.from({ length: 9010 }, () => `{"location":"big","speed":1e12,"ts":"${iso(start + 400)}"}`).join('');
    const got = await deliver([{ data: big }]);
    oneReject(
      got,
      'windows',
      "field speed would take its window's sum past 2^53 (9007000000000000 + 1000000000000) (and 2 more problems in this record)",
      'wind',
    );
    goodCountedExactly(got);
    const item = got.all.find((i) => i.pk === windowPk('wind', 'big') && i.sk === windowSk(start))!;
    expect(item).toMatchObject({ count: 9007, aggregates: { sum_speed: 9007e12, count: 9007 } });
    expect((item.aggregates as { sum_speed: number }).sum_speed).toBeLessThanOrEqual(MAX_SAFE_SUM);
  });

  it('an event time in the year 3000: rejected as more than 5 min ahead of arrival, and no window or model moves there', async () => {
    const start = T0 + (caseNo + 1) * 60_000;
    const got = await deliver([{ data: { location: 'future', speed: 1, ts: '3000-01-01T00:00:00Z' } }]);
    oneReject(
      got,
      'windows',
      `time field ts: event time 3000-01-01T00:00:00.000Z is more than 5 min ahead of arrival ${iso(start + 1_003)}`,
      'wind',
    );
    goodCountedExactly(got);
    expect(got.all.filter((i) => String(i.pk).includes('future'))).toEqual([]);
    expect(got.all.filter((i) => String(i.sk).startsWith('3000'))).toEqual([]);
    const point = await deliver([{ data: { latitude: 40.7581, longitude: -73.9855, ts: '3000-01-01T00:00:00Z' } }]);
    oneReject(point, 'hotspots', /^time field ts: event time 3000-01-01T00:00:00\.000Z is more than 5 min ahead of arrival /, 'players');
    goodCountedExactly(point);
  });

  it('keys that differ only in invalid UTF-8 bytes: each record rejected, no key merged into U+FFFD', async () => {
    const start = T0 + (caseNo + 1) * 60_000;
    const bytes = (bad: number) =>
      Buffer.concat([Buffer.from('{"location":"a'), Buffer.from([bad]), Buffer.from(`","speed":1,"ts":"${iso(start + 500)}"}`)]);
    const got = await deliver([{ bytes: bytes(0xff) }, { bytes: bytes(0xfe) }]);
    expect(got.hotspotsRejects).toEqual([]);
    expect(got.windowsRejects.map((r) => [r.reason, r.detector])).toEqual([
      ['data is not valid UTF-8 (first invalid byte at offset 14)', undefined],
      ['data is not valid UTF-8 (first invalid byte at offset 14)', undefined],
    ]);
    // What is kept shows where the bad bytes were (U+FFFD), and each record is kept whole, once.
    expect(got.windowsRejects.map((r) => r.data)).toEqual([
      bytes(0xff).toString('latin1').replace('\xff', '\ufffd'),
      expect.stringContaining('"a\ufffd"'),
    ]);
    expect(got.all.filter((i) => String(i.pk).startsWith(windowPk('wind', 'a')))).toEqual([]);
    goodCountedExactly(got);
  });

  it('keys named __proto__ and constructor, and a field named __proto__: data like any other, each counted under its own key', async () => {
    const start = T0 + (caseNo + 1) * 60_000;
    const at = iso(start + 600);
    const got = await deliver([
      { data: `{"location":"__proto__","speed":2,"ts":"${at}"}` },
      { data: `{"location":"constructor","speed":3,"ts":"${at}"}` },
      // A __proto__ field is an own property of the parsed object, never the prototype: speed is still 4.
      { data: `{"__proto__":{"speed":1e16},"location":"__proto__","speed":4,"ts":"${at}"}` },
    ]);
    expect(got.windowsRejects).toEqual([]);
    expect(got.hotspotsRejects).toEqual([]);
    goodCountedExactly(got);
    const window = (key: string) => got.all.find((i) => i.pk === windowPk('wind', key) && i.sk === windowSk(start));
    expect(window('__proto__')).toMatchObject({ key: '__proto__', count: 2, aggregates: { sum_speed: 6 } });
    expect(window('constructor')).toMatchObject({ key: 'constructor', count: 1, aggregates: { sum_speed: 3 } });
  });

  it.each([
    ['a newline (a forged "Data:" line)', 'a\nData: x', 'U+000A at 1'],
    ['a carriage return', 'a\rb', 'U+000D at 1'],
    ['BEL', 'call\u0007now', 'U+0007 at 4'],
    ['U+202E (right-to-left override)', 'ok\u202Emoc.evil', 'U+202E at 2'],
    ['U+2066 (left-to-right isolate)', '\u2066URGENT', 'U+2066 at 0'],
  ])('a key with %s: rejected, never written', async (_, key, where) => {
    const start = T0 + (caseNo + 1) * 60_000;
    const got = await deliver([{ data: { location: key, speed: 1, ts: iso(start + 700) } }]);
    oneReject(got, 'windows', `key field location holds a control or bidi character (${where}): ${JSON.stringify(key)}`, 'wind');
    goodCountedExactly(got);
    expect(got.all.filter((i) => i.key === key || String(i.pk).includes(key))).toEqual([]);
  });

  it('an 8 KB record of {}{}{}…: one reject (not 4,096), keeping the record once', async () => {
    const text = '{}'.repeat(4096);
    const got = await deliver([{ data: text }]);
    const r = oneReject(
      got,
      'windows',
      'matches no detector (wind: no location field; players: no latitude field): "{}" (and 4095 more problems in this record)',
    );
    expect(r.data).toBe(text);
    goodCountedExactly(got);
  });

  it('a 1 MiB record of {}{}{}…: one reject for too many objects, keeping at most 64 Ki characters of it', async () => {
    // Kinesis's limit is data plus partition key ("pk"): the largest record a producer can put.
    const text = '{}'.repeat((KINESIS_MAX_RECORD_BYTES - 2) / 2);
    const got = await deliver([{ data: text }]);
    const r = oneReject(got, 'windows', 'record holds more than 10000 JSON objects');
    expect(r.data).toHaveLength(MAX_KEPT_DATA_CHARS);
    expect(text.startsWith(r.data)).toBe(true);
    goodCountedExactly(got);
  });

  describe('event-time bounds from the configuration (EVENT_TIME_MAX_AHEAD_SECONDS / _BEHIND_SECONDS)', () => {
    it('by default accepts old event times (merged late) and rejects those more than 5 minutes ahead', async () => {
      const start = T0 + (caseNo + 1) * 60_000;
      const got = await deliver([
        { data: { location: 'old', speed: 1, ts: iso(start - 2 * 86_400_000) } },
        { data: { location: 'ahead', speed: 1, ts: iso(start + 1_000 + 6 * 60_000) } },
      ]);
      oneReject(got, 'windows', /^time field ts: event time .* is more than 5 min ahead of arrival /, 'wind');
      goodCountedExactly(got);
      expect(got.all.find((i) => i.pk === windowPk('wind', 'old'))).toMatchObject({ count: 1 });
    });

    it('with a 60 s ahead and 1 day behind bound, rejects what is further and keeps what is within', async () => {
      const fns = functions({ maxAheadMs: 60_000, maxBehindMs: 86_400_000 });
      const start = T0 + (caseNo + 1) * 60_000;
      const got = await deliver(
        [
          { data: { location: 'bounded', speed: 1, ts: iso(start - 2 * 86_400_000) } },
          { data: { location: 'bounded', speed: 1, ts: iso(start + 1_004 + 2 * 60_000) } },
          { data: { latitude: 40.7581, longitude: -73.9855, ts: iso(start + 1_005 + 2 * 60_000) } },
          { data: { location: 'bounded', speed: 7, ts: iso(start + 1_006 + 30_000) } },
        ],
        fns,
      );
      expect(got.windowsRejects.map((r) => r.reason)).toEqual([
        expect.stringMatching(/^time field ts: event time .* is more than 1 d behind arrival /),
        expect.stringMatching(/^time field ts: event time .* is more than 1 min ahead of arrival /),
      ]);
      expect(got.hotspotsRejects.map((r) => r.reason)).toEqual([
        expect.stringMatching(/^time field ts: event time .* is more than 1 min ahead of arrival /),
      ]);
      goodCountedExactly(got);
      expect(got.all.filter((i) => i.pk === windowPk('wind', 'bounded'))).toEqual([
        expect.objectContaining({ sk: windowSk(start + 30_000), count: 1, aggregates: expect.objectContaining({ sum_speed: 7 }) }),
      ]);
    });
  });
});
