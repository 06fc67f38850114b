import { PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { parseDetectors } from '../../shared/detectors';
import { MemoryRejectsSink } from '../../shared/rejects';
import { CarryConflictError, ModelCache } from '../../shared/windows';
import { DynamoCarryStore } from '../../shared/store';
import { createWindowsHandler, type WindowsEvent, type WindowsResponse } from '../../functions/windows/handler';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { lambdaContext } from '../factories/kinesis';
import { countsByWindow, lambdaWindows, producedEvent, produceRecords, type ProducerConditions } from '../factories/producers';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

/**
 * Event-time windows scored whole (issue 14), through the windows function with Lambda-shaped tumbling-window events
 * against dynalite: producers with clock skew, batching and latency; a window is scored on its final count when the
 * detector's lateness covers the delay, and a final invoke that fails after writing its carry is redelivered exactly.
 */

const detector = (name: string, lateness: number) => `
  - name: ${name}
    format: csv
    csv: { columns: [date, station] }
    key: station
    time: date
    windowSeconds: 10
    lateness: ${lateness}
    aggregates: [count]
    rcf: { numberOfTrees: 10, subSampleSize: 16, timeDecay: 1000 }`;
const DETECTORS = `detectors:${detector('l0', 0)}${detector('l5', 5)}${detector('l8', 8)}${detector('l12', 12)}\n`;

const T0 = Date.parse('2026-03-01T12:00:00Z');
const SHARD = 'shardId-000000000007';

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

  // The latest a record arrives after its own timestamp: its clock's lag, the flush interval and the latency.
  const conditions: Array<[string, ProducerConditions, number]> = [
    ['latency U(0, 3 s)', { latencyMs: 3000 }, 3],
    ['clocks ±4 s off and latency U(0, 3 s)', { latencyMs: 3000, skewsMs: [-4000, 4000, 0, -2500, 1500, -4000] }, 7],
    ['5-s batching and latency U(0, 3 s)', { latencyMs: 3000, batchMs: 5000 }, 8],
    [
      'clocks ±4 s off, 5-s batching and latency U(0, 3 s)',
      { latencyMs: 3000, batchMs: 5000, skewsMs: [-4000, 4000, 0, -2500, 1500, -4000] },
      12,
    ],
  ];

  it.each(conditions)(
    '%s: every window of a detector whose lateness covers the delay is scored on its final count',
    async (_, c, delayS) => {
      const records = produceRecords({ ...c, seed: delayS });
      const invoke = handler(client);
      for (const { startMs, parts } of lambdaWindows(records)) {
        const partial = await invoke(producedEvent(SHARD, startMs, parts[0]!, {}, false));
        const final = await invoke(producedEvent(SHARD, startMs, parts[1]!, partial.state, true));
        expect(final.batchItemFailures).toEqual([]);
      }
      const expected = countsByWindow(records);
      for (const [name, lateness] of [
        ['l0', 0],
        ['l5', 5],
        ['l8', 8],
        ['l12', 12],
      ] as const) {
        const stored = await windowsOf(name);
        // Every (station, window) that had records, with all of them (late merges included) whatever the lateness.
        expect([name, [...stored.keys()].sort()]).toEqual([name, [...expected.keys()].sort()]);
        for (const [id, count] of expected) expect([name, id, stored.get(id)!.count]).toEqual([name, id, count]);
        if (lateness < delayS) continue;
        // Scored on all of them: the count at scoring time (count minus late records) is the final count.
        for (const [id, count] of expected) {
          const w = stored.get(id)!;
          expect([name, id, Number(w.count) - Number(w.lateRecords), w.late, w.scored]).toEqual([name, id, count, false, true]);
        }
      }
      // Lateness 0 is not enough for any of these producers: the scenario does deliver records after their window's Lambda window.
      expect([...(await windowsOf('l0')).values()].some((w) => Number(w.lateRecords) > 0)).toBe(true);
      // Nothing is left held once the stream has moved past every window.
      const carries = (await items()).filter((i) => i.type === 'carry');
      expect(carries.some((i) => i.pk === 'K#l12')).toBe(true);
      expect(carries.map((i) => [i.sk, i.windows])).toEqual(carries.map(() => [SHARD, 0]));
    },
  );

  it('redelivers a final invoke that failed after writing its carry: no window lost, doubled or rescored', async () => {
    const records = produceRecords({ latencyMs: 3000, batchMs: 5000, skewsMs: [-4000, 4000, 0, -2500, 1500, -4000], seconds: 60, seed: 2 });
    // The carry write lands but its response is lost, once, at a final invoke that holds windows.
    let failed = false;
    const flaky = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: unknown) => {
          const out = await target.send(command as never);
          const item = command instanceof PutCommand ? command.input.Item : undefined;
          if (!failed && item?.pk === 'K#l12' && Number(item.windows) > 0 && String(item.emission).length > 0) {
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
      const partial = await invoke(producedEvent(SHARD, startMs, parts[0]!, {}, false));
      const final = producedEvent(SHARD, startMs, parts[1]!, partial.state, true);
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
    const expected = countsByWindow(records);
    const covered = await windowsOf('l12');
    expect([...covered.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, count] of expected) {
      const w = covered.get(id)!;
      expect([id, w.count, w.lateRecords, w.late]).toEqual([id, count, 0, false]);
    }
    // Every window went in fresh (scored in order by one emission), none as a late merge: one forest per station.
    for (const w of covered.values()) expect([w.key, w.sk, typeof w.fresh]).toEqual([w.key, w.sk, 'string']);
    const models = (await items()).filter((i) => i.type === 'model' && String(i.pk).startsWith('M#l12#'));
    expect(models.length).toBe(6);
  });

  it('stores a carry as written (an empty extreme as null) and refuses a write whose read emission is no longer there', async () => {
    const store = new DynamoCarryStore({ client, tableName, retentionDays: 7, now: () => T0 });
    expect(await store.get('l12', SHARD)).toBeUndefined();
    await store.put('l12', SHARD, { emission: 'e1', w: { 'l12|1772366400|__proto__': [2, 5, 1, 4, 0, 0, 0] } }, undefined);
    await expect(store.put('l12', SHARD, { emission: 'e2', w: {} }, undefined)).rejects.toBeInstanceOf(CarryConflictError);
    await expect(store.put('l12', SHARD, { emission: 'e2', w: {} }, 'e0')).rejects.toBeInstanceOf(CarryConflictError);
    await store.put('l12', SHARD, { emission: 'e2', w: { 'l12|1772366410|A': [1, 3, Infinity, -Infinity] } }, 'e1');
    expect(await store.get('l12', SHARD)).toEqual({ emission: 'e2', w: { 'l12|1772366410|A': [1, 3, null, null] } });
  });
});
