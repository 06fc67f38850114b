import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { dynamoClient, dynamoDocumentClient } from '../../../shared/aws/clients';
import { parseDetectors } from '../../../shared/detectors';
import { withConditions, type ProducerConditions } from '../../../shared/producers/realism';
import { MemoryRejectsSink } from '../../../shared/rejects';
import { ModelCache } from '../../../shared/windows';
import { createWindowsProcessor } from '../../../functions/windows/handler';
import { TableReader } from '../../../local/dashboard/data';
import { reportWindows } from '../../../local/report';
import { createDataTable, startDynalite, type Emulator } from '../../support/emulators';
import { countsByWindow, lambdaWindows, producedEvent, type ProducedRecord } from '../../factories/producers';

/**
 * `scoredCount` as the local-mode report reads it (the dashboard's table reader, then reportWindows): the windows function's own code with Lambda-shaped tumbling-window
 * events against dynalite, fed by the field producers of `--latency/--flush/--clock-skew` (shared/producers/realism.ts).
 * Without the watermark (local mode) some windows are scored on part of their records; with it (the deployed
 * function, lateness 12 s covering every delay here) every window is scored on its final count.
 */

const DETECTORS = parseDetectors(
  `detectors:
  - name: toll
    format: csv
    csv: { columns: [date, station] }
    key: station
    time: date
    windowSeconds: 10
    lateness: 12
    aggregates: [count]
    rcf: { numberOfTrees: 10, subSampleSize: 16, timeDecay: 1000 }
`,
  'test detectors',
);
const T0 = Date.parse('2026-03-01T12:00:00Z');
// At most 4 s (clock behind) + 5 s (flush) + 3 s (latency) = 12 s after a record's own time: the lateness above.
const CONDITIONS: ProducerConditions = {
  latency: { kind: 'uniform', minMs: 0, maxMs: 3000 },
  flushMs: 5000,
  clockSkew: { kind: 'spread', ms: 4000 },
  seed: 3,
};

/** Six stations, a record every 0.5 s each, through the producers' conditions; in arrival order. */
function fieldRecords(): ProducedRecord[] {
  const made: Array<{ data: string; partitionKey: string; eventTime: Date }> = [];
  for (let t = T0; t < T0 + 120_000; t += 500) {
    for (const station of ['A', 'B', 'C', 'D', 'E', 'F']) {
      const eventTime = new Date(t);
      made.push({ data: `${eventTime.toISOString()},${station}`, partitionKey: station, eventTime });
    }
  }
  return [...withConditions(made, CONDITIONS)].map((r) => ({
    station: r.partitionKey,
    eventMs: r.eventTime.getTime(),
    arrivalMs: r.arrivalMs,
  }));
}

describe('scoredCount from window items under late producers', () => {
  let db: Emulator;
  let client: DynamoDBDocumentClient;
  let reader: DynamoDBClient;
  beforeAll(async () => {
    db = await startDynalite();
    client = dynamoDocumentClient({ endpoint: db.endpoint });
    reader = dynamoClient({ endpoint: db.endpoint });
  });
  afterAll(async () => {
    client.destroy();
    reader.destroy();
    await db.close();
  });

  /** Runs the records through the windows function and reads back each window's count and scoredCount. */
  async function run(records: ProducedRecord[], eventTimeWatermark: boolean) {
    const tableName = await createDataTable(db.endpoint);
    const process_ = createWindowsProcessor({
      detectors: DETECTORS,
      documentClient: client,
      tableName,
      rejects: new MemoryRejectsSink(),
      logger: new Logger({ logLevel: 'SILENT' }),
      cache: new ModelCache(64),
      eventTimeWatermark,
    });
    for (const { startMs, parts } of lambdaWindows(records)) {
      const partial = await process_(producedEvent('shardId-0', startMs, parts[0]!, {}, false));
      await process_(producedEvent('shardId-0', startMs, parts[1]!, partial.state, true));
    }
    const windows = reportWindows(await new TableReader(reader, tableName, { keysTtlMs: 0 }).all());
    return new Map(windows.map((w) => [`${w.key}|${w.windowStart}`, { count: w.count, scoredCount: w.scoredCount }]));
  }

  it('without the watermark: every record counted, some windows scored on part of them', async () => {
    const records = fieldRecords();
    const windows = await run(records, false);
    expect(Object.fromEntries([...windows].map(([id, w]) => [id, w.count]))).toEqual(Object.fromEntries(countsByWindow(records)));
    const partial = [...windows.values()].filter((w) => w.scoredCount !== undefined && w.scoredCount < w.count);
    expect(partial.length).toBeGreaterThan(windows.size / 2);
    for (const w of windows.values()) if (w.scoredCount !== undefined) expect(w.scoredCount).toBeLessThanOrEqual(w.count);
  });

  it('with the watermark and a lateness covering the delays: every window scored on its final count', async () => {
    const records = fieldRecords();
    const windows = await run(records, true);
    expect(Object.fromEntries([...windows].map(([id, w]) => [id, w.count]))).toEqual(Object.fromEntries(countsByWindow(records)));
    for (const w of windows.values()) expect(w.scoredCount).toBe(w.count);
  });
});
