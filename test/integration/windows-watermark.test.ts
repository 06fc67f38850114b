import { PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { parseDetectors } from '../../shared/detectors';
import { MemoryRejectsSink } from '../../shared/rejects';
import { ModelCache } from '../../shared/windows';
import { createWindowsHandler, type WindowsEvent, type WindowsResponse } from '../../functions/windows/handler';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { lambdaContext, windowEvent } from '../factories/kinesis';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

/**
 * Event-time windows scored whole (issue 14), through the windows function with Lambda-shaped tumbling-window events
 * against dynalite: producers with clock skew, batching and latency; a window is scored on its final count when the
 * detector's lateness covers the delay, and a final invoke that fails after writing its carry is redelivered exactly.
 */

const DETECTORS = `
detectors:
  - name: covered
    format: csv
    csv: { columns: [date, station] }
    key: station
    time: date
    windowSeconds: 10
    lateness: 12
    aggregates: [count]
    rcf: { numberOfTrees: 10, subSampleSize: 16, timeDecay: 1000 }
  - name: uncovered
    format: csv
    csv: { columns: [date, station] }
    key: station
    time: date
    windowSeconds: 10
    lateness: 0
    aggregates: [count]
    rcf: { numberOfTrees: 10, subSampleSize: 16, timeDecay: 1000 }
`;

const T0 = Date.parse('2026-03-01T12:00:00Z');
const LAMBDA_MS = 10_000;
const SHARD = 'shardId-000000000007';

/** mulberry32: the scenario is the same on every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Produced {
  station: string;
  eventMs: number;
  arrivalMs: number;
}

/**
 * Stations whose clocks are off by up to ±4 s, each flushing its buffer every 5 s (its own phase), each record then
 * taking U(0, 3 s) to arrive: a record arrives at most 4 + 5 + 3 = 12 s after its own timestamp.
 */
function produce(seed: number, seconds = 120): Produced[] {
  const random = rng(seed);
  const skews: Record<string, number> = { A: -4000, B: 4000, C: 0, D: -2500, E: 1500, F: -4000 };
  const out: Produced[] = [];
  for (const [station, skew] of Object.entries(skews)) {
    const phase = Math.floor(random() * 5000);
    for (let t = T0 + random() * 800; t < T0 + seconds * 1000; t += 200 + random() * 1300) {
      const flush = phase + Math.ceil((t - phase) / 5000) * 5000;
      out.push({ station, eventMs: Math.round(t + skew), arrivalMs: Math.round(flush + random() * 3000) });
    }
  }
  return out.sort((a, b) => a.arrivalMs - b.arrivalMs);
}

const line = (p: Produced) => `${new Date(p.eventMs).toISOString()},${p.station}`;

/** Lambda's tumbling windows by arrival, each as a partial invoke and a final one, then empty final invokes to flush. */
function lambdaWindows(records: Produced[], flushWindows = 4): Array<{ startMs: number; parts: Produced[][] }> {
  const first = Math.floor(records[0]!.arrivalMs / LAMBDA_MS) * LAMBDA_MS;
  const last = Math.floor(records[records.length - 1]!.arrivalMs / LAMBDA_MS) * LAMBDA_MS + flushWindows * LAMBDA_MS;
  const out: Array<{ startMs: number; parts: Produced[][] }> = [];
  for (let start = first; start <= last; start += LAMBDA_MS) {
    const inside = records.filter((r) => r.arrivalMs >= start && r.arrivalMs < start + LAMBDA_MS);
    const half = Math.ceil(inside.length / 2);
    out.push({ startMs: start, parts: [inside.slice(0, half), inside.slice(half)] });
  }
  return out;
}

const eventOf = (startMs: number, part: Produced[], state: Record<string, unknown>, final: boolean): WindowsEvent =>
  windowEvent({
    windowStart: startMs,
    shardId: SHARD,
    state,
    final,
    records: part.map((p) => ({ data: line(p), partitionKey: p.station, arrivalMs: p.arrivalMs })),
  });

/** (station, window start) → records, by event time: what every window's final count must be. */
function expectedCounts(records: Produced[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of records) {
    const id = `${r.station}|${new Date(Math.floor(r.eventMs / 10_000) * 10_000).toISOString()}`;
    out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

describe('event-time windows held to their watermark (windows function, dynalite)', () => {
  let db: Emulator;
  let client: DynamoDBDocumentClient;
  let tableName: string;
  beforeEach(async () => {
    db = await startDynalite();
    tableName = await createDataTable(db.endpoint);
    client = dynamoDocumentClient({ endpoint: db.endpoint });
  });
  afterEach(async () => {
    client.destroy();
    await db.close();
  });

  const handler = (documentClient: DynamoDBDocumentClient) => {
    const now = () => T0;
    const h = createWindowsHandler({
      detectors: parseDetectors(DETECTORS, 'test detectors'),
      documentClient,
      tableName,
      retentionDays: 7,
      rejects: new MemoryRejectsSink(now),
      now,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'Test' }),
      cache: new ModelCache(64),
      eventTimeWatermark: true,
    });
    return (event: WindowsEvent) => h(structuredClone(event), lambdaContext()) as Promise<WindowsResponse>;
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

  const windowsOf = async (detector: string) =>
    new Map(
      (await items())
        .filter((i) => i.type === 'window' && i.detector === detector)
        .map((i): [string, Record<string, unknown>] => [`${String(i.key)}|${String(i.sk)}`, i]),
    );

  it('scores every window on its final count when lateness covers skew, batching and latency; without it some are partial', async () => {
    const records = produce(1);
    const invoke = handler(client);
    for (const { startMs, parts } of lambdaWindows(records)) {
      const partial = await invoke(eventOf(startMs, parts[0]!, {}, false));
      const final = await invoke(eventOf(startMs, parts[1]!, partial.state, true));
      expect(final.batchItemFailures).toEqual([]);
    }
    const expected = expectedCounts(records);
    const covered = await windowsOf('covered');
    // Every (station, window) that had records, and each scored on all of them: count at scoring = final count.
    expect([...covered.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, count] of expected) {
      const w = covered.get(id)!;
      expect([id, w.count, Number(w.count) - Number(w.lateRecords), w.late, w.scored]).toEqual([id, count, count, false, true]);
    }
    // The same records with lateness 0: counts still exact (late merges) but some windows scored on part of them.
    const uncovered = await windowsOf('uncovered');
    for (const [id, count] of expected) expect([id, uncovered.get(id)?.count]).toEqual([id, count]);
    const partial = [...uncovered.values()].filter((w) => Number(w.lateRecords) > 0);
    expect(partial.length).toBeGreaterThan(0);
    // Nothing is left held once the stream has moved past every window.
    const carries = (await items()).filter((i) => i.type === 'carry');
    expect(carries.some((c) => c.pk === 'K#covered')).toBe(true);
    expect(carries.map((c) => [c.sk, c.windows])).toEqual(carries.map(() => [SHARD, 0]));
  });

  it('redelivers a final invoke that failed after writing its carry: no window lost, doubled or rescored', async () => {
    const records = produce(2, 60);
    // The carry write lands but its response is lost, once, at a final invoke that holds windows.
    let failed = false;
    const flaky = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          const out = await target.send(command as never);
          const item = command instanceof PutCommand ? command.input.Item : undefined;
          if (!failed && item?.pk === 'K#covered' && Number(item.windows) > 0 && String(item.emission).length > 0) {
            failed = true;
            throw Object.assign(new Error('socket hang up after the write'), { name: 'TimeoutError' });
          }
          return out;
        };
      },
    });
    const invoke = handler(flaky);
    let redelivered = 0;
    for (const { startMs, parts } of lambdaWindows(records)) {
      const partial = await invoke(eventOf(startMs, parts[0]!, {}, false));
      const final = eventOf(startMs, parts[1]!, partial.state, true);
      const wasFailed = failed;
      try {
        await invoke(final);
      } catch (error) {
        expect(wasFailed).toBe(false);
        expect((error as Error).message).toContain('socket hang up');
        // Lambda redelivers the same final invoke: same state, same records.
        await invoke(final);
        redelivered++;
      }
    }
    expect(redelivered).toBe(1);
    const expected = expectedCounts(records);
    const covered = await windowsOf('covered');
    expect([...covered.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, count] of expected) {
      const w = covered.get(id)!;
      expect([id, w.count, w.lateRecords, w.late]).toEqual([id, count, 0, false]);
    }
    // Every key's forest learned each window once: its last window is the newest, written by one emission each.
    const models = (await items()).filter((i) => i.type === 'model' && String(i.pk).startsWith('M#covered#'));
    expect(models.length).toBe(6);
  });
});
