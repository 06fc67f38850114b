import { BatchWriteCommand, GetCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { Logger } from '@aws-lambda-powertools/logger';
import { dynamoDocumentClient } from '../../shared/aws/dynamodb';
import { parseDetectors } from '../../shared/detectors';
import { createAlertsRunner, type AlertsDeps } from '../../shared/alerts/adapters/runner';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:stream-sentinel-test-alerts';
export const T0 = Date.parse('2026-01-01T00:00:00Z');
export const iso = (ms: number): string => new Date(ms).toISOString();

export const DETECTORS = parseDetectors(
  `
detectors:
  - name: toll-stations
    format: csv
    csv: { columns: [date, station, plate] }
    key: station
    time: date
    aggregates: [count]
    threshold: 3.5
    message: 'Anomalous data detected at station {key}. Total vehicles detected was {count}. The anomaly score was {score}, at or above your configured threshold of {threshold}.'
  - name: wind-speed
    format: json
    key: location
    aggregates: [avg(speed), max(speed)]
    threshold: 3
  - name: pickups
    kind: hotspots
    format: json
    columns: [latitude, longitude]
    windowSize: 100
    scanRadius: 0.01
    minPoints: 5
    threshold: 4
`,
  'alerts test detectors',
);

export interface WindowSeed {
  detector?: string;
  key: string;
  startMs?: number;
  score?: number | string;
  threshold?: number;
  count?: number;
  pending?: boolean;
  extra?: Record<string, unknown>;
}

/** A window item as the windows function writes it (docs/data-model.md). */
export function windowItem(s: WindowSeed): Record<string, unknown> {
  const detector = s.detector ?? 'toll-stations';
  const start = s.startMs ?? T0;
  const count = s.count ?? 412;
  return {
    pk: `W#${detector}#${s.key}`,
    sk: iso(start),
    type: 'window',
    detector,
    key: s.key,
    windowStart: iso(start),
    windowEnd: iso(start + 10_000),
    count,
    aggregates: detector === 'wind-speed' ? { avg_speed: 31.5, max_speed: 48.25 } : { count },
    score: s.score ?? 5,
    attribution:
      detector === 'wind-speed'
        ? [
            { column: 'max_speed', score: 3, direction: 'HIGH' },
            { column: 'avg_speed', score: 1, direction: 'HIGH' },
          ]
        : [{ column: 'count', score: 5, direction: 'HIGH' }],
    threshold: s.threshold ?? (detector === 'wind-speed' ? 3 : 3.5),
    scored: true,
    late: false,
    lateRecords: 0,
    silent: false,
    ...(s.pending === false ? {} : { pendingAlert: detector }),
    expiresAt: Math.floor(start / 1000) + 86400,
    ...s.extra,
  };
}

export interface AlertsHarness {
  db: Emulator;
  client: DynamoDBDocumentClient;
  tableName: string;
  sns: AwsClientStub<SNSClient>;
  /** Errors the next publishes fail with, in order (SNS throttling, an outage). */
  failNextPublishes: Error[];
  /** Publish inputs in the order SNS accepted them. */
  published: PublishCommandInput[];
  clock: { now: number };
  put(items: Array<Record<string, unknown>>): Promise<void>;
  get(pk: string, sk: string): Promise<Record<string, unknown> | undefined>;
  pending(): Promise<Array<{ pk: string; sk: string }>>;
  runner(overrides?: Partial<AlertsDeps>): ReturnType<typeof createAlertsRunner>;
  close(): Promise<void>;
}

export async function startAlertsHarness(): Promise<AlertsHarness> {
  const db = await startDynalite();
  const tableName = await createDataTable(db.endpoint);
  const client = dynamoDocumentClient({ endpoint: db.endpoint });
  const sns = mockClient(SNSClient);
  const published: PublishCommandInput[] = [];
  const failNextPublishes: Error[] = [];
  let n = 0;
  sns.on(PublishCommand).callsFake((input: PublishCommandInput) => {
    const failure = failNextPublishes.shift();
    if (failure) throw failure;
    published.push(input);
    return { MessageId: `msg-${++n}` };
  });
  const clock = { now: T0 + 60_000 };
  return {
    db,
    client,
    tableName,
    sns,
    failNextPublishes,
    published,
    clock,
    put: async (items) => {
      for (let i = 0; i < items.length; i += 25) {
        await client.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }),
        );
      }
    },
    get: async (pk, sk) => (await client.send(new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }))).Item,
    pending: async () => {
      const out: Array<{ pk: string; sk: string }> = [];
      let start: Record<string, unknown> | undefined;
      do {
        const res = await client.send(new ScanCommand({ TableName: tableName, IndexName: 'pending-alerts', ExclusiveStartKey: start }));
        out.push(...(res.Items ?? []).map((i) => ({ pk: i.pk as string, sk: i.sk as string })));
        start = res.LastEvaluatedKey;
      } while (start);
      return out;
    },
    runner: (overrides = {}) =>
      createAlertsRunner({
        documentClient: client,
        tableName,
        topicArn: TOPIC_ARN,
        detectors: DETECTORS,
        cooldownSeconds: 900,
        digestThreshold: 5,
        claimTimeoutSeconds: 300,
        now: () => clock.now,
        logger: new Logger({ logLevel: 'SILENT' }),
        ...overrides,
      }),
    close: async () => {
      sns.restore();
      client.destroy();
      await db.close();
    },
  };
}

/** The JSON per-protocol message SNS was given; `email` is what SNS sends email subscribers (their own key, else `default`). */
export function bodies(input: PublishCommandInput): { default: string; email: string; sms: string } {
  const parsed = JSON.parse(input.Message ?? '{}') as { default: string; email?: string; sms: string };
  return { ...parsed, email: parsed.email ?? parsed.default };
}
