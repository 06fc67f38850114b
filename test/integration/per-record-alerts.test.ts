import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { parseDetectors } from '../../shared/detectors';
import { MemoryRejectsSink } from '../../shared/rejects';
import { ModelCache } from '../../shared/windows';
import { DynamoRecordResultStore } from '../../shared/per-record/dynamo';
import { createWindowsHandler, type WindowsEvent, type WindowsResponse } from '../../functions/windows/handler';
import { lambdaContext, windowEvent } from '../factories/kinesis';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { bodies, startAlertsHarness, type AlertsHarness } from './alerts-fixtures';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

/**
 * Per-record anomalies reach the alerts function (issue 15 item 1): a record of a `kind: records` detector that
 * scores at or above the threshold is stored as a `P#` item carrying the pending-alerts marker, and the alerts
 * function claims it and sends one message naming the record (time, key, input columns) — once, even when the
 * windows function's invoke is retried and the alerts function runs again. Against dynalite; SNS captured.
 */

const DETECTORS = parseDetectors(
  `
detectors:
  - name: counts
    kind: records
    format: json
    key: station_id
    time: t
    features: [vehicle_count]
    rcf: { numberOfTrees: 50, subSampleSize: 64, timeDecay: 1000 }
    threshold: 2.5
    storeAbove: 1
`,
  'per-record alerts test',
);
const T0 = Date.parse('2026-01-01T00:00:00Z');
const WINDOWS = 3;
const PER_WINDOW = 40;
const OUTLIER_MS = T0 + 2 * 10_000 + 5_000;

/** Two stations of quiet traffic (a fixed cycle, so every run is the same); S1 has one outlier in the last window. */
function windowRecords(w: number): object[] {
  const records: object[] = [];
  for (let i = 0; i < PER_WINDOW; i++)
    for (const s of ['S0', 'S1']) {
      const outlier = w === WINDOWS - 1 && s === 'S1' && i === 20;
      const t = outlier ? OUTLIER_MS : T0 + w * 10_000 + i * 200;
      records.push({
        station_id: s,
        t: new Date(t).toISOString(),
        vehicle_count: outlier ? 400 : 20 + ((i * 7 + (s === 'S1' ? 3 : 0)) % 6),
      });
    }
  return records;
}

describe('per-record anomalies as alerts', () => {
  let h: AlertsHarness;
  beforeAll(async () => {
    h = await startAlertsHarness();
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  const handler = () =>
    createWindowsHandler({
      detectors: DETECTORS,
      documentClient: h.client,
      tableName: h.tableName,
      retentionDays: 7,
      rejects: new MemoryRejectsSink(),
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'Test' }),
      cache: new ModelCache(16),
    });

  it('sends one message for the anomalous record, naming its time, key and input columns, and never sends it again', async () => {
    const windows = handler();
    let last: WindowsEvent | undefined;
    for (let w = 0; w < WINDOWS; w++) {
      const event = windowEvent({ windowStart: T0 + w * 10_000, final: true, records: windowRecords(w) });
      const response = (await windows(event, lambdaContext())) as WindowsResponse;
      expect(response.batchItemFailures).toEqual([]);
      last = event;
    }

    const pending = await h.pending();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.pk).toBe('P#counts#S1');
    expect(await h.get(pending[0]!.pk, pending[0]!.sk)).toMatchObject({
      type: 'record',
      time: new Date(OUTLIER_MS).toISOString(),
      features: { vehicle_count: 400 },
      pendingAlert: 'counts',
    });

    // No cooldown: "once" must hold without one holding back a second message.
    const run = h.runner({ detectors: DETECTORS, cooldownSeconds: 0 });
    const first = await run();
    expect(first).toMatchObject({ claimed: 1, sent: 1, notified: 1, skipped: 0 });
    expect(h.published).toHaveLength(1);
    const message = bodies(h.published[0]!);
    expect(h.published[0]!.Subject).toContain('Anomalous record in counts at S1');
    expect(message.default).toMatch(
      /^counts: an unusual record at 2026-01-01 00:00:25 UTC: score \d+\.\d+ \(threshold 2\.5\); vehicle_count unusual\n/,
    );
    expect(message.default).toContain('Key:        S1');
    expect(message.default).toContain('Record:     at 2026-01-01 00:00:25 UTC');
    expect(message.default).toContain('Input:      vehicle_count 400');
    expect(message.default).toContain(`pk P#counts#S1, sk ${pending[0]!.sk}`);
    expect(message.sms.length).toBeLessThanOrEqual(160);
    expect(h.published[0]!.MessageAttributes?.key?.StringValue).toBe('S1');

    const item = await h.get(pending[0]!.pk, pending[0]!.sk);
    expect(item).toMatchObject({ notifiedAt: expect.any(String), messageId: 'msg-1' });
    expect(item).not.toHaveProperty('pendingAlert');

    // Lambda retries the last batch (a warm container and a cold one): the stored record is not marked again.
    expect(((await windows(last!, lambdaContext())) as WindowsResponse).batchItemFailures).toEqual([]);
    expect(((await handler()(last!, lambdaContext())) as WindowsResponse).batchItemFailures).toEqual([]);
    // Whatever the retries scored (the warm forest had learned the outlier), the store itself never re-marks it:
    const notified = (await h.get(pending[0]!.pk, pending[0]!.sk))!;
    const store = new DynamoRecordResultStore({ client: h.client, tableName: h.tableName, retentionDays: 7 });
    await store.putAnomalies([
      {
        detector: 'counts',
        forestKey: 'S1',
        timeMs: OUTLIER_MS,
        sequenceNumber: String(notified.sequenceNumber),
        index: 0,
        shardId: String(notified.shardId),
        score: 4,
        threshold: 2.5,
        features: { vehicle_count: 400 },
        alert: true,
      },
    ]);
    expect(store.writeUnits).toBe(0);
    expect(await h.get(pending[0]!.pk, pending[0]!.sk)).toMatchObject({ messageId: 'msg-1' });
    expect(await h.pending()).toEqual([]);
    expect(await run()).toMatchObject({ claimed: 0, sent: 0 });
    expect(await run()).toMatchObject({ claimed: 0, sent: 0 });
    expect(h.published).toHaveLength(1);
  }, 120_000);

  it('shows what came from the record through safeText: control characters escaped, long keys cut', async () => {
    const key = `S\u0007${'x'.repeat(700)}`;
    const time = '2026-01-01T00:05:00.000Z';
    await h.put([
      {
        pk: `P#counts#${key}`,
        sk: `${time}#9#0`,
        type: 'record',
        detector: 'counts',
        key,
        time,
        score: 3,
        threshold: 2.5,
        features: { 'vehicle\u001b[31m_count': 401 },
        pendingAlert: 'counts',
      },
    ]);
    const before = h.published.length;
    expect(await h.runner({ detectors: DETECTORS, cooldownSeconds: 0 })()).toMatchObject({ sent: 1 });
    const text = bodies(h.published[before]!).default;
    // No control character but the line breaks the message is made of.
    expect([...text].filter((c) => c !== '\n' && c.charCodeAt(0) < 0x20)).toEqual([]);
    expect(text).toContain('Key:        S\\u0007xxx');
    expect(text).not.toContain('x'.repeat(600));
    expect(text).toContain('Input:      vehicle\\u001B[31m_count 401');
    expect(text).toContain('Record:     at 2026-01-01 00:05:00 UTC');
  });

  it('marks only the stored records at or above the threshold: those between storeAbove and it are kept, not alerted', async () => {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await h.client.send(new ScanCommand({ TableName: h.tableName, ExclusiveStartKey: start }));
      items.push(...(res.Items ?? []).filter((i) => i.type === 'record' && i.detector === 'counts' && String(i.key).length < 10));
      start = res.LastEvaluatedKey;
    } while (start);
    const below = items.filter((i) => (i.score as number) < 2.5);
    expect(below.length).toBeGreaterThan(0);
    for (const i of below) expect(i).not.toHaveProperty('pendingAlert');
    for (const i of below) expect(i).not.toHaveProperty('notifiedAt');
    const above = items.filter((i) => (i.score as number) >= 2.5);
    expect(above.map((i) => [i.key, i.notifiedAt !== undefined, i.pendingAlert])).toEqual([['S1', true, undefined]]);
  });
});
