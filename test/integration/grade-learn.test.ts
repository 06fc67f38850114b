import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { parseDetectors, rcfDetectors } from '../../shared/detectors';
import { MemoryRejectsSink } from '../../shared/rejects';
import { DynamoModelStore } from '../../shared/store';
import { compileDetector, ModelCache } from '../../shared/windows';
import { learnFromHistory } from '../../shared/windows/learn';
import { createWindowsProcessor } from '../../functions/windows/handler';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { windowEvent } from '../factories/kinesis';

/**
 * Warm start from history (issue 16): a key's archived records learned into its forest and grade state without
 * alerting — no window item, no pendingAlert, only the model item — so its first live anomaly is graded and alerted,
 * where a key without history is still in its warm-ups. Through learnFromHistory and the real windows processor.
 */

const DETECTORS = parseDetectors(
  `
detectors:
  - name: clicks
    format: json
    key: page
    time: { field: ts, format: epochMillis }
    windowSeconds: 10
    aggregates: [count]
    rcf: { numberOfTrees: 30, subSampleSize: 32, timeDecay: 1000 }
`,
  'learn test',
);

const START = Date.parse('2026-03-01T00:00:00Z');
/** Past the forest's (32) and the grade's (200) warm-ups. */
const HISTORY = 32 + 200 + 16;
const LIVE = 6;
const ANOMALY = HISTORY + 3;
const at = (w: number) => new Date(START + w * 10_000).toISOString();
const countOf = (w: number) => (w === ANOMALY ? 80 : 3 + ((w * 7919 + 13) % 5));

const recordsOf = (page: string, w: number) => Array.from({ length: countOf(w) }, (_, i) => ({ page, ts: START + w * 10_000 + i }));

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

async function scan(tableName: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    out.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
}

/** Live windows HISTORY… for pages `learned` (which has history) and `fresh` (which has none). */
async function live(tableName: string): Promise<void> {
  const process = createWindowsProcessor({
    detectors: DETECTORS,
    documentClient: client,
    tableName,
    rejects: new MemoryRejectsSink(),
    cache: new ModelCache(16),
    now: () => START + HISTORY * 10_000,
  });
  for (let w = HISTORY; w < HISTORY + LIVE; w++) {
    const records = [...recordsOf('learned', w), ...recordsOf('fresh', w)];
    const first = await process(windowEvent({ windowStart: START + w * 10_000, records }));
    const last = await process(windowEvent({ windowStart: START + w * 10_000, state: first.state, final: true }));
    expect(last.batchItemFailures).toEqual([]);
  }
}

describe('learning a key’s history before it goes live', () => {
  let tableName: string;
  let learned: Awaited<ReturnType<typeof learnFromHistory>>;

  beforeAll(async () => {
    tableName = await createDataTable(db.endpoint);
    const records = Array.from({ length: HISTORY }, (_, w) => recordsOf('learned', w)).flatMap((objects) =>
      objects.map((o, i) => ({
        data: Buffer.from(JSON.stringify(o)).toString('base64'),
        sequenceNumber: `${o.ts}${i}`,
        arrivalMs: START + HISTORY * 10_000,
      })),
    );
    learned = await learnFromHistory({
      records,
      compiled: rcfDetectors(DETECTORS).map(compileDetector),
      models: new DynamoModelStore({ client, tableName, retentionDays: 7 }),
      runId: 'learn-1',
    });
  }, 300_000);

  it('writes the key’s model with its grade state and nothing else: no window item, no alert', async () => {
    expect(learned).toMatchObject({ keys: 1, skippedKeys: [], windowsWritten: HISTORY, modelsSaved: 1, rejects: 0 });
    const items = await scan(tableName);
    expect(items.map((i) => i.type)).toEqual(['model']);
    expect(items[0]).toMatchObject({ detector: 'clicks', key: 'learned', lastWindow: at(HISTORY - 1) });
    const state = JSON.parse(items[0]!.grade as string) as { n: number };
    expect(state.n).toBeGreaterThanOrEqual(200);
  });

  it('grades and alerts the learned key’s first live anomaly, while a key without history is still warming up', async () => {
    await live(tableName);
    const windows = (await scan(tableName)).filter((i) => i.type === 'window');
    const of = (page: string) => windows.filter((i) => i.key === page);
    expect(
      of('learned')
        .filter((i) => i.pendingAlert)
        .map((i) => i.windowStart),
    ).toEqual([at(ANOMALY)]);
    expect(of('learned').find((i) => i.windowStart === at(ANOMALY))!.grade as number).toBeGreaterThan(0);
    expect(of('fresh')).toHaveLength(LIVE);
    for (const w of of('fresh')) {
      expect(w.score).toBe(0);
      expect(w.grade).toBe(0);
      expect(w.pendingAlert).toBeUndefined();
    }
  });

  it('leaves a key that already has a model alone', async () => {
    const again = await learnFromHistory({
      records: [
        { data: Buffer.from(JSON.stringify({ page: 'learned', ts: START })).toString('base64'), sequenceNumber: '1', arrivalMs: START },
      ],
      compiled: rcfDetectors(DETECTORS).map(compileDetector),
      models: new DynamoModelStore({ client, tableName, retentionDays: 7 }),
      runId: 'learn-2',
    });
    expect(again).toMatchObject({ keys: 0, skippedKeys: ['clicks/learned'], modelsSaved: 0 });
  });
});
