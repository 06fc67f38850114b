import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { evaluateItem, formatGroup, groupAlerts } from '../../shared/alerts';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { parseDetectors } from '../../shared/detectors';
import type { TumblingWindowProcessor } from '../../shared/lambda/tumbling-window';
import { MemoryRejectsSink } from '../../shared/rejects';
import { toPendingItem } from '../../shared/store/alert-items';
import { ModelCache } from '../../shared/windows';
import { createWindowsProcessor } from '../../functions/windows/handler';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { windowEvent } from '../factories/kinesis';

/**
 * The anomaly grade wired into the windows function (issue 16), through the real processor against dynalite: each
 * scored window item carries the key's grade, the usual value of each feature and the rule that decided pendingAlert;
 * after the forest's and the grade's warm-ups an anomaly is alerted by the default (grade) rule; a suppression rule
 * silences one and the item says why; and containers that go cold every window, rebuilding forest and grade state
 * from the model's last save plus the windows since, write the same grades as one warm container.
 */

const DETECTORS = parseDetectors(
  `
detectors:
  - name: clicks
    format: json
    key: page
    windowSeconds: 10
    aggregates: [count]
    rcf: { numberOfTrees: 30, subSampleSize: 32, timeDecay: 1000 }
  - name: clicks_quiet
    format: json
    key: page
    windowSeconds: 10
    aggregates: [count]
    rcf: { numberOfTrees: 30, subSampleSize: 32, timeDecay: 1000 }
    suppress:
      - { feature: count, minRelative: 20 }
`,
  'grade test',
);

const START = Date.parse('2026-03-01T00:00:00Z');
/** Forest warm-up (32 windows at score 0) + the grade's 200 scored windows + some graded normal traffic. */
const ANOMALY = 32 + 200 + 24;
const WINDOWS = ANOMALY + 4;
const ANOMALY_COUNT = 80;

/** Normal clicks per window: page a about 5, page b about 50 (deterministic, a little noisy). */
const countOf = (page: 'a' | 'b', w: number): number => {
  if (page === 'a' && w === ANOMALY) return ANOMALY_COUNT;
  const jitter = (w * 7919 + (page === 'a' ? 13 : 71)) % 5;
  return page === 'a' ? 3 + jitter : 48 + jitter;
};

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

type Item = Record<string, unknown>;

/** Every window into a fresh table; `cold`: a new container (empty forest cache) for every window. */
async function run(options: { cold: boolean; modelSaveEvery: number }): Promise<{ windows: Map<string, Item>; models: Item[] }> {
  const tableName = await createDataTable(db.endpoint);
  const deps = { detectors: DETECTORS, documentClient: client, tableName, modelSaveEvery: options.modelSaveEvery, now: () => START };
  const warm = createWindowsProcessor({ ...deps, rejects: new MemoryRejectsSink(), cache: new ModelCache(16) });
  for (let w = 0; w < WINDOWS; w++) {
    const process: TumblingWindowProcessor = options.cold
      ? createWindowsProcessor({ ...deps, rejects: new MemoryRejectsSink(), cache: new ModelCache(16) })
      : warm;
    const windowStart = START + w * 10_000;
    const records = (['a', 'b'] as const).flatMap((page) => Array.from({ length: countOf(page, w) }, () => ({ page })));
    const first = await process(windowEvent({ windowStart, records }));
    const last = await process(windowEvent({ windowStart, state: first.state, final: true }));
    expect(last.batchItemFailures).toEqual([]);
  }
  const windows = new Map<string, Item>();
  const models: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of res.Items ?? []) {
      if (item.type === 'window') windows.set(`${item.detector}|${item.key}|${item.windowStart}`, item);
      if (item.type === 'model') models.push(item);
    }
    start = res.LastEvaluatedKey;
  } while (start);
  return { windows, models };
}

const at = (w: number) => new Date(START + w * 10_000).toISOString();

describe('the anomaly grade in the windows function', () => {
  let reference: Awaited<ReturnType<typeof run>>;
  const item = (detector: string, page: string, w: number) => reference.windows.get(`${detector}|${page}|${at(w)}`)!;

  beforeAll(async () => {
    reference = await run({ cold: false, modelSaveEvery: 16 });
  }, 600_000);

  it('stores each scored window’s grade, the usual value of each feature per key and the rule used', () => {
    expect(reference.windows.size).toBe(2 * 2 * WINDOWS);
    for (const it of reference.windows.values()) {
      expect(it.scored).toBe(true);
      expect(it.alertOn).toBe('grade');
      expect(typeof it.grade).toBe('number');
      expect(it.grade as number).toBeGreaterThanOrEqual(0);
      expect(it.grade as number).toBeLessThanOrEqual(1);
      expect(Object.keys(it.expected as object)).toEqual(['count']);
    }
    // Just before the anomaly, "usual" is each key's own level: about 5 for page a, about 50 for page b.
    const usualA = (item('clicks', 'a', ANOMALY).expected as { count: number }).count;
    const usualB = (item('clicks', 'b', ANOMALY).expected as { count: number }).count;
    expect(usualA).toBeGreaterThanOrEqual(3);
    expect(usualA).toBeLessThanOrEqual(7);
    expect(usualB).toBeGreaterThanOrEqual(48);
    expect(usualB).toBeLessThanOrEqual(52);
    // The grade state is saved beside the forest.
    const model = reference.models.find((m) => m.detector === 'clicks' && m.key === 'a')!;
    expect(JSON.parse(model.grade as string)).toMatchObject({ n: expect.any(Number), e: [expect.any(Number)] });
  });

  it('grades nothing and alerts nothing during the warm-ups', () => {
    for (let w = 0; w < 32 + 200; w++) {
      expect(item('clicks', 'a', w).grade).toBe(0);
      expect(item('clicks', 'a', w).pendingAlert).toBeUndefined();
    }
  });

  it('alerts the anomaly after the warm-up by the grade rule, and no normal window of either key', () => {
    const anomaly = item('clicks', 'a', ANOMALY);
    expect(anomaly.count).toBe(ANOMALY_COUNT);
    expect(anomaly.grade as number).toBeGreaterThan(0);
    expect(anomaly.pendingAlert).toBe('clicks');
    const alerted = [...reference.windows.values()]
      .filter((i) => i.detector === 'clicks' && i.pendingAlert)
      .map((i) => `${i.key} ${i.windowStart}`);
    expect(alerted).toEqual([`a ${at(ANOMALY)}`]);
  });

  it('gives the alerts function an alert that says the grade and the usual count', () => {
    const anomaly = item('clicks', 'a', ANOMALY);
    const verdict = evaluateItem(toPendingItem({ pk: String(anomaly.pk), sk: String(anomaly.sk) }, anomaly), { defaultThreshold: 2 });
    if (!('send' in verdict)) throw new Error(`expected an alert, got: ${verdict.skip}`);
    const usual = (anomaly.expected as { count: number }).count;
    const message = formatGroup(groupAlerts([verdict.send])[0]!).message;
    expect(message).toContain(`count ${ANOMALY_COUNT} (usually about `);
    expect(message).toMatch(/Grade: +0\.\d\d of 1/);
    expect(usual).toBeLessThan(10);
  });

  it('does not alert a deviation a suppression rule ignores, and the item says why', () => {
    const quiet = item('clicks_quiet', 'a', ANOMALY);
    // The grade rule fired (the forests differ: each detector's key gets its own seed).
    expect(quiet.grade as number).toBeGreaterThan(0);
    expect(quiet.pendingAlert).toBeUndefined();
    expect(quiet.suppressed).toMatch(/^count 80 is within 2000% of usual /);
  });

  it('is rebuilt exactly on containers that go cold every window (forest and grade state from the last of the saves every 16 windows plus the windows since): identical grades, usual values and alerts', async () => {
    const cold = await run({ cold: true, modelSaveEvery: 16 });
    const pick = (i: Item) => ({
      score: i.score,
      grade: i.grade,
      expected: i.expected,
      pendingAlert: i.pendingAlert,
      suppressed: i.suppressed,
    });
    expect(cold.windows.size).toBe(reference.windows.size);
    for (const [id, it] of reference.windows) expect([id, pick(cold.windows.get(id)!)]).toEqual([id, pick(it)]);
  }, 600_000);
});
