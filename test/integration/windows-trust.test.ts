import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { parseDetectors } from '../../shared/detectors';
import { MemoryRejectsSink } from '../../shared/rejects';
import { ModelCache } from '../../shared/windows';
import { createWindowsProcessor } from '../../functions/windows/processor';
import type { TumblingWindowProcessor } from '../../shared/lambda/tumbling-window';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { tollDetectorYaml } from '../factories/detectors';
import { windowEvent } from '../factories/kinesis';

/**
 * A warm container scores with its cached forests without reading each key's items only while the shard's head says
 * it ran the shard's last emission (shared/windows/trust.ts). These runs take that path and leave it: containers
 * taking turns, an emission that failed and was never redelivered, another shard writing a key's window.
 */

const DETECTORS = parseDetectors(
  tollDetectorYaml({ rcf: { numberOfTrees: 10, subSampleSize: 10, timeDecay: 100 }, threshold: 2.5 }),
  'trust test detectors',
);

const T0 = Date.parse('2026-03-01T12:00:00Z');
const KEYS = ['A', 'B', 'C', 'D', 'E'];
const SHARD0 = 'shardId-000000000000';
const SHARD1 = 'shardId-000000000001';
const csv = (ms: number, station: string, i: number) => `${new Date(ms).toISOString()},${station},P${i}`;

/** Window w's records: a few vehicles per station, varying with the window so the forests see different counts. */
const recordsOf = (w: number, keys = KEYS) =>
  keys.flatMap((k, ki) => Array.from({ length: 1 + ((w * 7 + ki * 3) % 5) }, (_, i) => csv(T0 + w * 10_000 + i, k, i)));

interface Container {
  run: TumblingWindowProcessor;
  queries: number;
  client: DynamoDBDocumentClient;
}

describe('cached forests trusted by the shard head', () => {
  let db: Emulator;
  const clients: DynamoDBDocumentClient[] = [];
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await db.close();
  });

  /** One container: its own client (to count its Queries) and its own forest cache. */
  const container = (tableName: string, fail?: (input: Record<string, unknown>) => boolean): Container => {
    const client = dynamoDocumentClient({ endpoint: db.endpoint });
    clients.push(client);
    const c: Container = { run: undefined as unknown as TumblingWindowProcessor, queries: 0, client };
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') c.queries++;
        if (fail?.(args.input as Record<string, unknown>))
          throw Object.assign(new Error('service unavailable'), { name: 'ValidationException' });
        return next(args);
      },
      { step: 'initialize', name: 'countQueries' },
    );
    c.run = createWindowsProcessor({
      detectors: DETECTORS,
      documentClient: client,
      tableName,
      rejects: new MemoryRejectsSink(),
      cache: new ModelCache(100),
      modelSaveEvery: 4,
      // Trust and batched puts are for shards that hold all of a key's records (WINDOW_KEYS_PARTITIONED).
      keysPartitioned: true,
      now: () => T0,
    });
    return c;
  };

  const emit = async (c: Container, w: number, shardId = SHARD0, keys = KEYS) => {
    const start = T0 + w * 10_000;
    const partial = await c.run(windowEvent({ windowStart: start, records: recordsOf(w, keys), shardId }));
    const before = c.queries;
    await c.run(windowEvent({ windowStart: start, state: partial.state, final: true, shardId }));
    return c.queries - before;
  };

  const windowsOf = async (tableName: string) => {
    const res = await clients[0]!.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
    return (res.Items ?? [])
      .filter((i) => i.type === 'window')
      .map(({ pk, sk, count, score, late, lateRecords }) => ({ pk, sk, count, score, late, lateRecords }))
      .sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
  };

  it('containers taking turns score every window as one container does, reading no key items while a container keeps the shard', async () => {
    const reference = await createDataTable(db.endpoint);
    const one = container(reference);
    for (let w = 0; w < 16; w++) await emit(one, w);

    const table = await createDataTable(db.endpoint);
    const a = container(table);
    const b = container(table);
    const turns = 'AAABAAABBAAAAB AB'.replace(/ /g, 'A');
    const queries: number[] = [];
    for (let w = 0; w < 16; w++) queries.push(await emit(turns[w] === 'A' ? a : b, w));

    expect(await windowsOf(table)).toEqual(await windowsOf(reference));
    // The reference container kept the shard throughout: after its first window, no key was read one by one.
    // Here a container reads every key after the other one ran, and none while it keeps the shard.
    for (let w = 1; w < 16; w++) {
      const keptShard = turns[w] === turns[w - 1];
      expect([w, queries[w]! === 0]).toEqual([w, keptShard]);
    }
  }, 120_000);

  it('an emission that failed after writing some windows and was never redelivered makes the head container read every key again', async () => {
    const table = await createDataTable(db.endpoint);
    const a = container(table);
    let failing = true;
    // B's batch write of the fresh windows fails: the models and the head claim are written, the windows are not.
    const b = container(table, (input) => failing && 'RequestItems' in input && JSON.stringify(input).includes('PutRequest'));
    for (let w = 0; w < 3; w++) await emit(a, w);
    expect(await emit(a, 3)).toBe(0);
    await expect(emit(b, 4)).rejects.toThrow('service unavailable');
    failing = false;
    // Lambda gave up on window 4 (its records went to the failure queue); A gets window 5.
    expect(await emit(a, 5)).toBe(KEYS.length);
    // And keeps the shard from there.
    expect(await emit(a, 6)).toBe(0);
  }, 120_000);

  it('a key whose window another shard wrote is read and merged, counts exact', async () => {
    const table = await createDataTable(db.endpoint);
    const a = container(table);
    const other = container(table);
    for (let w = 0; w < 4; w++) await emit(a, w);
    // Shard 1 sees station C in window 4 first (a producer that does not partition by station).
    await emit(other, 4, SHARD1, ['C']);
    const queries = await emit(a, 4);
    // A's cache is current on shard 0, but C's slot was taken: C alone is read (its items since the cached forest's
    // last window, which show the other shard's window, then those since its save, to rebuild it).
    expect(queries).toBe(2);
    const items = await windowsOf(table);
    const c4 = items.find((i) => i.pk === 'W#toll#C' && i.sk === new Date(T0 + 40_000).toISOString())!;
    const fromShard1 = recordsOf(4, ['C']).length;
    const fromShard0 = recordsOf(4).filter((r) => r.includes(',C,')).length;
    expect(c4).toMatchObject({ count: fromShard1 + fromShard0, late: true, lateRecords: fromShard0 });
    // The other keys' window 4 went the trusted way, each once.
    expect(items.filter((i) => i.sk === new Date(T0 + 40_000).toISOString())).toHaveLength(KEYS.length);
  }, 120_000);
});
