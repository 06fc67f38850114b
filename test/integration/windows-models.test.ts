import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { parseDetectors } from '../../shared/detectors';
import type { TumblingWindowProcessor } from '../../shared/lambda/tumbling-window';
import { MemoryRejectsSink } from '../../shared/rejects';
import { ModelCache } from '../../shared/windows';
import { createWindowsProcessor } from '../../functions/windows/handler';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { windowEvent } from '../factories/kinesis';

/**
 * Model state is always right (issue 14): many more keys on a shard than a container caches, and containers that take
 * turns on a shard (as Lambda's do), must give the scores one container with every forest cached gives, with no
 * conflict and every window's count exact.
 */

const KEYS = 1000;
/** Enough for every forest to pass its warm-up (subSampleSize 10 updates) and score the last windows. */
const WINDOWS = 12;
const CACHE = 50;
const START = Date.parse('2026-03-01T00:00:00Z');

const detectors = parseDetectors(
  `
detectors:
  - name: load
    format: json
    key: station
    windowSeconds: 10
    aggregates: [count, avg(v)]
    rcf: { numberOfTrees: 5, subSampleSize: 10 }
`,
  'models test',
);

const key = (k: number) => `s${String(k).padStart(4, '0')}`;
/** Records of one key in window w: 1–3, values that differ by key and window (deterministic). */
const recordsOf = (k: number, w: number) =>
  Array.from({ length: 1 + ((k + w) % 3) }, (_, i) => ({
    station: key(k),
    v: ((k * 7 + w * 13 + i * 5) % 23) + (k % 10 === 0 && w === WINDOWS - 1 ? 100 : 0),
  }));

let db: Emulator;
let client: DynamoDBDocumentClient;

beforeAll(async () => {
  db = await startDynalite();
  client = dynamoDocumentClient({ endpoint: db.endpoint });
});
afterAll(async () => {
  client.destroy();
  await db.close();
});

/** Write units the table's adapters consumed, per window (as dynalite counts them: ceil(item KB), table only). */
function countWriteUnits(documentClient: DynamoDBDocumentClient, perWindow: number[]): void {
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const write = 'Item' in input || 'UpdateExpression' in input;
      if (write) input.ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      const used = (out.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity?.CapacityUnits;
      if (write) perWindow[perWindow.length - 1]! += used ?? 0;
      return out;
    },
    { step: 'initialize', name: 'countWriteUnits' },
  );
}

interface Run {
  items: Map<string, Record<string, unknown>>;
  /** Write units per window, all keys. */
  writeUnits: number[];
}

/** Runs the windows, window w on container w % containers (each with its own cache), into a fresh table. */
async function run(containers: number, cacheSize: number, modelSaveEvery: number): Promise<Run> {
  const tableName = await createDataTable(db.endpoint);
  const writeUnits: number[] = [];
  const documentClient = dynamoDocumentClient({ endpoint: db.endpoint });
  countWriteUnits(documentClient, writeUnits);
  const processors: TumblingWindowProcessor[] = Array.from({ length: containers }, () =>
    createWindowsProcessor({
      detectors,
      documentClient,
      tableName,
      rejects: new MemoryRejectsSink(),
      cache: new ModelCache(cacheSize),
      modelSaveEvery,
      now: () => START,
    }),
  );
  for (let w = 0; w < WINDOWS; w++) {
    writeUnits.push(0);
    const process = processors[w % containers]!;
    const windowStart = START + w * 10_000;
    const records = Array.from({ length: KEYS }, (_, k) => recordsOf(k, w)).flat();
    const first = await process(windowEvent({ windowStart, records }));
    const last = await process(windowEvent({ windowStart, state: first.state, final: true }));
    expect(last.batchItemFailures).toEqual([]);
  }
  const items = new Map<string, Record<string, unknown>>();
  let start: Record<string, unknown> | undefined;
  do {
    const res = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of res.Items ?? []) if (item.type === 'window') items.set(`${item.pk}|${item.sk}`, item);
    start = res.LastEvaluatedKey;
  } while (start);
  documentClient.destroy();
  return { items, writeUnits };
}

describe('forests of more keys than a container caches, on containers that take turns', () => {
  let reference: Map<string, Record<string, unknown>>;

  beforeAll(async () => {
    // One container that caches every forest: each learns in memory, never rebuilt, and takes back its saves (every
    // 4 windows, as the runs compared with it: a save is where every container's forest is the saved one read back).
    reference = (await run(1, KEYS + 10, 4)).items;
  }, 900_000);

  const idOf = (k: number, w: number) => `W#load#${key(k)}|${new Date(START + w * 10_000).toISOString()}`;

  const expectSameWindows = (got: Map<string, Record<string, unknown>>) => {
    expect(got.size).toBe(KEYS * WINDOWS);
    for (let w = 0; w < WINDOWS; w++) {
      for (let k = 0; k < KEYS; k++) {
        const id = idOf(k, w);
        const item = got.get(id);
        expect({ id, count: item?.count, late: item?.late }).toEqual({ id, count: recordsOf(k, w).length, late: false });
        expect({ id, score: item?.score }).toEqual({ id, score: reference.get(id)!.score });
      }
    }
  };

  it('the reference run writes every window with its exact count, and scores the windows after the warm-up', () => {
    expect(reference.size).toBe(KEYS * WINDOWS);
    const lastTwo = Array.from({ length: KEYS }, (_, k) => [
      reference.get(idOf(k, WINDOWS - 2))!,
      reference.get(idOf(k, WINDOWS - 1))!,
    ]).flat();
    // Not a comparison of warm-up zeros: the forests have learned enough to score.
    expect(lastTwo.filter((i) => typeof i.score === 'number' && i.score > 0).length).toBeGreaterThan(KEYS * 1.9);
  });

  it(`two containers taking turns on the shard, each caching ${CACHE} of the ${KEYS} forests and saving every 4 windows, score every window as the reference does`, async () => {
    const { items, writeUnits } = await run(2, CACHE, 4);
    expectSameWindows(items);
    const steady = writeUnits.slice(1);
    console.info(
      `write units per key-window (forests of ${detectors.length} detector, 5 trees × 10 samples, saved every 4 windows): first window ${(writeUnits[0]! / KEYS).toFixed(2)}, windows 1–${WINDOWS - 1}: ${(steady.reduce((a, b) => a + b, 0) / (KEYS * steady.length)).toFixed(3)}`,
    );
  }, 900_000);
});

describe('an emission that failed after writing some of a key’s windows', () => {
  it('is redelivered to a cold container that writes and learns the rest exactly as an emission that never failed', async () => {
    const windows = 3;
    const key0 = key(0);
    const records = Array.from({ length: windows }, (_, w) =>
      recordsOf(0, w).map((data, i) => ({ data, arrivalMs: START + w * 10_000 + i })),
    ).flat();
    // One Lambda window holding three of the detector's windows (a backlog): one emission writes all three.
    const delivered = windowEvent({ windowStart: START, windowSeconds: 30, records, final: true });
    // Lambda redelivers the same event (the same sequence numbers, so the same emission id).
    const event = () => structuredClone(delivered);
    const scanWindows = async (tableName: string) => {
      const res = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
      return (res.Items ?? [])
        .filter((i) => i.type === 'window')
        .map(({ sk, count, score, late, scored }) => ({ sk, count, score, late, scored }))
        .sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
    };
    const deps = (tableName: string, documentClient: DynamoDBDocumentClient) => ({
      detectors,
      documentClient,
      tableName,
      rejects: new MemoryRejectsSink(),
      cache: new ModelCache(10),
      modelSaveEvery: 30,
      now: () => START,
    });

    const clean = await createDataTable(db.endpoint);
    await createWindowsProcessor(deps(clean, client))(event());

    const failing = await createDataTable(db.endpoint);
    const flaky = dynamoDocumentClient({ endpoint: db.endpoint });
    let failed = false;
    flaky.middlewareStack.add(
      (next) => async (args) => {
        type Item = { pk?: string; sk?: string };
        const input = args.input as { Item?: Item; RequestItems?: Record<string, Array<{ PutRequest?: { Item?: Item } }>> };
        const first = (item: Item | undefined) => item?.pk === `W#load#${key0}` && item.sk === new Date(START).toISOString();
        const unavailable = () => Object.assign(new Error('service unavailable'), { name: 'InternalServerError' });
        // The first window's put fails once; the other two are written before the invoke fails.
        if (!failed && first(input.Item)) {
          failed = true;
          throw unavailable();
        }
        // Fresh windows may go in one batch write: the others in it land, the call fails.
        const [table, puts] = Object.entries(input.RequestItems ?? {})[0] ?? [];
        if (!failed && table && Array.isArray(puts) && puts.some((r) => first(r.PutRequest?.Item))) {
          failed = true;
          const rest = puts.filter((r) => !first(r.PutRequest?.Item));
          if (rest.length) await next({ ...args, input: { ...input, RequestItems: { [table]: rest } } });
          throw unavailable();
        }
        return next(args);
      },
      { step: 'initialize', name: 'failOnce' },
    );
    await expect(createWindowsProcessor(deps(failing, flaky))(event())).rejects.toThrow('service unavailable');
    flaky.destroy();
    expect((await scanWindows(failing)).map((w) => w.sk)).toHaveLength(windows - 1);
    // Lambda redelivers the same event; here to a cold container.
    await createWindowsProcessor(deps(failing, client))(event());
    expect(await scanWindows(failing)).toEqual(await scanWindows(clean));
  }, 120_000);
});
