import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { parseDetectors } from '../../shared/detectors';
import { HotspotsWindow, type Hotspot } from '../../shared/hotspots';
import { MemoryRejectsSink } from '../../shared/rejects';
import {
  createHotspotsHandler,
  createHotspotsProcessor,
  type HotspotsEvent,
  type HotspotsResponse,
} from '../../functions/hotspots/handler';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { PLAYERS_HOTSPOTS_ITEM } from '../factories/detectors';
import { lambdaContext, windowEvent } from '../factories/kinesis';
import { pointInBall, rng, uniformPoint } from '../unit/hotspots/synthetic';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const DETECTORS = `
detectors:
${PLAYERS_HOTSPOTS_ITEM}
  - name: toll
    format: csv
    csv: { columns: [date, station, plate] }
    key: station
    time: date
    aggregates: [count]
`;
const OPTIONS = { windowSize: 300, scanRadius: 0.0005, minPoints: 15, dimensions: 2 };
const MAP = { min: [40.7, -74.02], max: [40.8, -73.93] };
const CROWD = [40.75, -73.98];
const T0 = Date.parse('2026-05-01T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

interface Move {
  player_id: string;
  latitude: number;
  longitude: number;
  timestamp: string;
}

/** `n` moves spread over the 10 s window starting at `start`; `crowded` of them gathered around CROWD. */
function moves(random: () => number, start: number, n: number, crowded = 0): Move[] {
  const every = crowded > 0 ? n / crowded : Infinity;
  return Array.from({ length: n }, (_, i) => {
    const inCrowd = Math.floor(i / every) !== Math.floor((i + 1) / every);
    const [latitude, longitude] = inCrowd ? pointInBall(random, CROWD, 0.0006) : uniformPoint(random, MAP);
    return {
      player_id: `player-${i % 97}`,
      latitude: latitude!,
      longitude: longitude!,
      timestamp: iso(start + Math.floor((i * 10_000) / n)),
    };
  });
}

const strip = (hs: Array<Record<string, unknown>>) => hs.map(({ shardId: _, ...h }) => h);

describe('hotspots function against dynalite', () => {
  let db: Emulator;
  let client: DynamoDBDocumentClient;
  let tableName: string;
  let rejects: MemoryRejectsSink;
  const detectors = parseDetectors(DETECTORS, 'test detectors');
  const now = () => Date.parse('2026-05-01T12:00:00Z');
  const deps = () => ({
    detectors,
    documentClient: client,
    tableName,
    retentionDays: 7,
    rejects,
    now,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test' }),
  });
  let handler: (event: HotspotsEvent) => Promise<HotspotsResponse>;

  const items = async () => {
    const res = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
    return (res.Items ?? []).sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
  };
  const item = async (pk: string, sk: string) => (await items()).find((i) => i.pk === pk && i.sk === sk);
  /** One tumbling window: a first invoke with the records, then the final invoke without any. */
  const tumble = async (start: number, records: Array<object | string>, invoke = handler, shardId?: string) => {
    const first = await invoke(windowEvent({ windowStart: start, records, ...(shardId ? { shardId } : {}) }));
    expect(first.batchItemFailures).toEqual([]);
    const final = await invoke(windowEvent({ windowStart: start, state: first.state, final: true, ...(shardId ? { shardId } : {}) }));
    expect(final.state).toEqual({});
    return first;
  };

  beforeEach(async () => {
    db = await startDynalite();
    tableName = await createDataTable(db.endpoint);
    client = dynamoDocumentClient({ endpoint: db.endpoint });
    rejects = new MemoryRejectsSink(now);
    const h = createHotspotsHandler(deps());
    handler = (event) => h(event, lambdaContext('stream-sentinel-test-hotspots')) as Promise<HotspotsResponse>;
  });
  afterEach(async () => {
    client.destroy();
    await db.close();
  });

  it('writes each window the hotspots of the sliding window after its last point, marking the one that crosses the threshold', async () => {
    const random = rng(41);
    const windows = [moves(random, T0, 200), moves(random, T0 + 10_000, 200, 80), moves(random, T0 + 20_000, 200)];
    const reference = new HotspotsWindow(OPTIONS);
    const expected: Hotspot[][] = [];
    for (let w = 0; w < 3; w++) {
      await tumble(T0 + w * 10_000, windows[w]!);
      for (const m of windows[w]!) reference.push([m.latitude, m.longitude]);
      expected.push(reference.hotspots());
    }

    const quiet = await item('H#players', iso(T0));
    expect(quiet).toMatchObject({
      type: 'hotspots',
      detector: 'players',
      windowStart: iso(T0),
      windowEnd: iso(T0 + 10_000),
      count: 200,
      threshold: 20,
      hotspots: [],
    });
    expect(quiet).not.toHaveProperty('pendingAlert');

    const crowded = (await item('H#players', iso(T0 + 10_000)))!;
    expect(strip(crowded.hotspots as Array<Record<string, unknown>>)).toEqual(expected[1]);
    const top = (crowded.hotspots as Hotspot[])[0]!;
    expect(
      top.minValues[0]! <= CROWD[0]! && top.maxValues[0]! >= CROWD[0]! && top.minValues[1]! <= CROWD[1]! && top.maxValues[1]! >= CROWD[1]!,
    ).toBe(true);
    expect(top.density).toBeGreaterThanOrEqual(20);
    expect(top.count).toBeGreaterThanOrEqual(80);
    expect(crowded).toMatchObject({
      pendingAlert: 'players',
      shards: { 'shardId-000000000000': { points: 200, found: expected[1]!.length } },
    });
    expect(crowded.expiresAt).toBe(Math.floor(now() / 1000) + 7 * 86400);

    // The crowd's points are still among the last 300 after the next window: the sliding window crossed the
    // tumbling windows through the carried state, so the third window still shows the crowd.
    const after = (await item('H#players', iso(T0 + 20_000)))!;
    expect(strip(after.hotspots as Array<Record<string, unknown>>)).toEqual(expected[2]);
    expect(expected[2]!.length).toBeGreaterThan(0);

    const carried = (await item('HS#players', 'shardId-000000000000'))!;
    expect(carried).toMatchObject({
      type: 'hotspots-window',
      version: 3,
      columns: ['latitude', 'longitude'],
      lastWindow: iso(T0 + 20_000),
    });
    expect((carried.points as Uint8Array).length).toBe(12 + 300 * 2 * 8);
  });

  it('carries the sliding window in DynamoDB, so a cold container continues it exactly', async () => {
    const random = rng(42);
    const first = moves(random, T0, 250, 100);
    const second = moves(random, T0 + 10_000, 60);
    await tumble(T0, first);
    const cold = createHotspotsProcessor(deps());
    await tumble(T0 + 10_000, second, (event) => cold(event));
    const reference = new HotspotsWindow(OPTIONS);
    for (const m of [...first, ...second]) reference.push([m.latitude, m.longitude]);
    const written = (await item('H#players', iso(T0 + 10_000)))!;
    expect(strip(written.hotspots as Array<Record<string, unknown>>)).toEqual(reference.hotspots());
    expect((written.hotspots as unknown[]).length).toBeGreaterThan(0);
  });

  it('buffers points in the state across invokes and writes nothing twice when the final invoke is retried', async () => {
    const random = rng(43);
    const a = await handler(windowEvent({ windowStart: T0, records: moves(random, T0, 120, 60).slice(0, 60) }));
    expect((a.state as { d: Record<string, { p: number[] }> }).d.players!.p).toHaveLength(120);
    const b = await handler(windowEvent({ windowStart: T0, state: a.state, records: moves(random, T0, 60, 40) }));
    expect(await items()).toEqual([]);
    const finalEvent = windowEvent({ windowStart: T0, state: b.state, final: true });
    await handler(finalEvent);
    const once = await items();
    await handler(finalEvent);
    expect(await items()).toEqual(once);
    expect(once.find((i) => i.pk === 'H#players')).toMatchObject({
      count: 120,
      emissions: [expect.stringMatching(/^shardId-000000000000:/)],
      version: 1,
    });
  });

  it('rejects a players record it cannot use, and leaves records of other detectors to the windows function', async () => {
    const bad = { player_id: 'p1', latitude: 'north', longitude: -73.98, timestamp: iso(T0 + 1000) };
    const noTime = { player_id: 'p2', latitude: 40.75, longitude: -73.98, timestamp: 'yesterday' };
    await tumble(T0, [...moves(rng(44), T0, 20), bad, noTime, '2026-05-01T09:00:01+00:00,183A,ABC123']);
    expect(rejects.all.map((r) => [r.detector, r.reason])).toEqual([
      ['players', 'field latitude is not a finite number: "north"'],
      ['players', expect.stringMatching(/^time field timestamp: /)],
    ]);
    expect(await item('H#players', iso(T0))).toMatchObject({ count: 20 });
  });

  it('merges the parts of two shards into one item per window', async () => {
    const random = rng(45);
    await tumble(T0, moves(random, T0, 150, 70), handler, 'shardId-000000000000');
    await tumble(T0, moves(random, T0, 100), handler, 'shardId-000000000001');
    const merged = (await item('H#players', iso(T0)))!;
    expect(merged.count).toBe(250);
    expect(Object.keys(merged.shards as object).sort()).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    const hotspots = merged.hotspots as Array<Hotspot & { shardId: string }>;
    expect(hotspots.length).toBeGreaterThan(0);
    expect(hotspots.map((h) => h.density)).toEqual([...hotspots.map((h) => h.density)].sort((x, y) => y - x));
    expect(merged.pendingAlert).toBe('players');
    expect((await items()).filter((i) => i.pk === 'HS#players').map((i) => i.sk)).toEqual(['shardId-000000000000', 'shardId-000000000001']);
  });

  it('treats a window ended early (state near 1 MB) like a final invoke', async () => {
    const first = await handler(windowEvent({ windowStart: T0, records: moves(rng(46), T0, 50) }));
    const end = await handler(windowEvent({ windowStart: T0, state: first.state, terminatedEarly: true }));
    expect(end.state).toEqual({});
    expect(await item('H#players', iso(T0))).toMatchObject({ count: 50 });
  });
});
