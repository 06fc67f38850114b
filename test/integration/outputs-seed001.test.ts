import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { dynamoDocumentClient } from '../../shared/aws/dynamodb';
import { firehoseClient } from '../../shared/aws/firehose';
import { kinesisClient } from '../../shared/aws/kinesis';
import { parseDetectors } from '../../shared/detectors';
import { MemoryRejectsSink } from '../../shared/rejects';
import { ModelCache } from '../../shared/windows';
import { Outputs } from '../../shared/outputs';
import { awsSinks } from '../../shared/outputs/aws';
import { createWindowsHandler, type WindowsResponse } from '../../functions/windows/handler';
import { createDataTable, createStream, startDynalite, startKinesalite, type Emulator } from '../support/emulators';
import { lambdaContext, windowEvent } from '../factories/kinesis';
import { payloads, python27, readStream, sendNotification, type LambdaRun } from '../fixtures/seed001/consumer';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

/**
 * Issue 15 item 2's acceptance test: seed 001's workshop, end to end. The windows function runs the workshop's
 * detector (vehicles per station per 10 s, RANDOM_CUT_FOREST(…, 1, 10, 10, 2)) with a KDA-shaped Kinesis output
 * into kinesalite; then the workshop's SendNotification Lambda — the seed's Python, as written
 * (test/fixtures/seed001/send_notification.py), under Python 2.7 like the workshop's runtime — reads Lambda Kinesis
 * events made of exactly what our output put on the stream, with SNS captured. It must parse every record and text
 * exactly the windows scoring above its ANOMALY_THRESHOLD = 2.5.
 */

const PREFIX = 'stream-sentinel-test-';
const OUTPUT_STREAM = `${PREFIX}AnomalyStream`;

// The workshop SQL as import-sql translates it (docs/migration.md), plus the output the workshop template had.
const WORKSHOP = `
detectors:
  - name: anomaly-score-sql-stream
    format: csv
    csv: { columns: [date, station_id, plate] }
    windowSeconds: 10
    key: station_id
    aggregates: [{ name: vehicle_count, fn: count }]
    rcf: { numberOfTrees: 1, subSampleSize: 10, timeDecay: 10, shingleSize: 2 }
    threshold: 2.5
    alertOn: score
    outputs: [{ kinesis: AnomalyStream, format: json, columns: [station_id, vehicle_count, anomaly_score] }]
`;

/** The KDG template's stations and weights (seed 001), and the "all traffic diverted to one exit" weights. */
const STATIONS = ['183A', 'SH130', 'TX45', 'TX290', 'Exit79', 'Exit29', 'Exit620', 'Exit66', '35North', '35South'];
const NORMAL = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.09, 0.01];
const DIVERTED = [0.02, 0.04, 0.05, 0.06, 0.02, 0.02, 0.02, 0.02, 0.02, 0.1];
const PLATES = ['6LD7N', 'JQ3QZ5', 'J80DP4', 'T4OFLD', 'AECZV8', 'EDMTT', 'ULORSTX', 'XHRRET', 'UMC6IZ', 'XSUEJA'];

/** mulberry32: the same traffic on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(items: readonly T[], weights: readonly number[], r: number): T => {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = r * total;
  for (let i = 0; i < items.length; i++) if ((x -= weights[i]!) < 0) return items[i]!;
  return items[items.length - 1]!;
};

const python = python27();

describe("seed 001's SendNotification Lambda reading a detector's Kinesis output", () => {
  let db: Emulator;
  let kinesis: Emulator;
  let tableName: string;
  beforeAll(async () => {
    [db, kinesis] = await Promise.all([startDynalite(), startKinesalite()]);
    tableName = await createDataTable(db.endpoint);
    await createStream(kinesis.endpoint, OUTPUT_STREAM, 2);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([db?.close(), kinesis?.close()]);
  });

  it('finds Python 2.7, the runtime the workshop Lambda is written for (set PYTHON27 to point at one)', () => {
    expect(python).toBeDefined();
  });

  it('works as written: every record parsed, an SMS for exactly the windows scored above 2.5', async () => {
    const detectors = parseDetectors(WORKSHOP, 'workshop');
    const documentClient = dynamoDocumentClient({ endpoint: db.endpoint });
    const outputKinesis = kinesisClient({ endpoint: kinesis.endpoint });
    const outputs = new Outputs(
      detectors.filter((d) => d.kind === 'rcf'),
      awsSinks({ kinesis: () => outputKinesis, firehose: () => firehoseClient({ endpoint: kinesis.endpoint }) }),
      PREFIX,
    );
    const now = () => Date.parse('2026-03-01T13:00:00Z');
    const handler = createWindowsHandler({
      detectors,
      documentClient,
      tableName,
      retentionDays: 7,
      rejects: new MemoryRejectsSink(now),
      now,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'Test' }),
      cache: new ModelCache(64),
      outputs,
    });

    // 40 windows of the KDG's normal traffic (20 records/s), then 4 with all traffic diverted to one exit.
    const random = rng(1);
    const T0 = Date.parse('2026-03-01T12:00:00Z');
    for (let w = 0; w < 44; w++) {
      const start = T0 + w * 10_000;
      const weights = w < 40 ? NORMAL : DIVERTED;
      const records = Array.from({ length: 200 }, (_, i) => ({
        data: `${start + i * 50},${pick(STATIONS, weights, random())},${pick(
          PLATES,
          NORMAL.map(() => 0.1),
          random(),
        )}`,
        arrivalMs: start + i * 50,
      }));
      const response = (await handler(windowEvent({ windowStart: start, records, final: true }), lambdaContext())) as WindowsResponse;
      expect(response.batchItemFailures).toEqual([]);
    }

    const onStream = await readStream(outputKinesis, OUTPUT_STREAM);
    // KDA's shape: one JSON object per record, the output stream's columns spelt as its CREATE STREAM spelt them.
    const rows = payloads(onStream);
    for (const row of rows) expect(Object.keys(row)).toEqual(['station_id', 'vehicle_count', 'anomaly_score']);

    // One record per scored window, with the window's station, count and score.
    const items = (await documentClient.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];
    const scored = items.filter((i) => i.type === 'window' && typeof i.score === 'number');
    expect(scored.length).toBeGreaterThan(400);
    const asRow = (x: Record<string, unknown>) => `${x.station_id}|${x.vehicle_count}|${x.anomaly_score}`;
    expect(rows.map(asRow).sort()).toEqual(
      scored
        .map((i) =>
          asRow({ station_id: i.key, vehicle_count: (i.aggregates as Record<string, number>).vehicle_count, anomaly_score: i.score }),
        )
        .sort(),
    );

    // The seed's Lambda, batches of 100 as an event source mapping would deliver them.
    const runs: LambdaRun[] = [];
    for (let i = 0; i < onStream.length; i += 100) runs.push(await sendNotification(python!, { Records: onStream.slice(i, i + 100) }));
    expect(runs.map((r) => r.result)).toEqual(
      runs.map((_, i) => `Successfully processed ${Math.min(100, onStream.length - i * 100)} records.`),
    );
    expect(runs.flatMap((r) => r.printed.split('\n').filter((l) => l.startsWith('Decoded payload: ')))).toHaveLength(rows.length);

    const published = runs.flatMap((r) => r.published);
    const above = rows.filter((r) => (r.anomaly_score as number) > 2.5);
    // The diverted traffic scores above the workshop's threshold; warm-up windows score 0, as KDA's did.
    expect(above.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.anomaly_score === 0).length).toBeGreaterThan(0);
    expect(published).toHaveLength(above.length);
    for (const p of published) {
      expect(p.PhoneNumber).toBe('+15120000000');
      expect(p.Message).toMatch(
        /^Anomalous data detected at station [A-Za-z0-9]+\. Total vehicles detected was \d+\. The anomaly score was [0-9.]+, which is greater than your configured threshold of 2\.5$/,
      );
    }
    const texted = published.map((p) => /station (\S+)\. Total vehicles detected was (\d+)\./.exec(p.Message)!.slice(1).join('|')).sort();
    expect(texted).toEqual(above.map((r) => `${r.station_id}|${r.vehicle_count}`).sort());
    // The diverted windows are among them (the last four windows of the stations traffic moved to or from).
    expect(above.some((r) => ['35South', '183A'].includes(r.station_id as string))).toBe(true);

    documentClient.destroy();
    outputKinesis.destroy();
  }, 240_000);
});
