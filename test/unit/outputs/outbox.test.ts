import { mockClient } from 'aws-sdk-client-mock';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { parseDetectors, type RcfDetector } from '../../../shared/detectors';
import {
  OutputNotDeliveredError,
  Outputs,
  resolveTarget,
  windowRow,
  type OutputRecord,
  type OutputSink,
  type OutputTarget,
} from '../../../shared/outputs';
import { chunkRecords, FirehoseOutputSink, KinesisOutputSink, OUTPUT_LIMITS } from '../../../shared/outputs/aws';

const DEFAULTS = { windowSeconds: 10, threshold: 2 };
const ARN = 'arn:aws:kinesis:eu-west-1:123456789012:stream/kda-anomalies';
const detectors = parseDetectors(
  `detectors:
  - name: toll
    format: csv
    csv: { columns: [date, station_id, plate] }
    key: station_id
    aggregates: [{ name: vehicle_count, fn: count }]
    outputs:
      - { kinesis: AnomalyStream, columns: [station_id, vehicle_count, anomaly_score] }
      - { firehose: scores, format: csv }
      - { kinesis: "${ARN}" }
  - name: quiet
    format: json
    key: k
`,
  'test',
  DEFAULTS,
) as RcfDetector[];
const toll = detectors[0]!;
const T = Date.parse('2026-03-01T12:00:00Z');
const row = (key: string, score: number) =>
  windowRow(toll, { key, startMs: T, endMs: T + 10_000, aggregates: { vehicle_count: 7 }, score });
const text = (r: OutputRecord) => new TextDecoder().decode(r.data);

class MemorySink implements OutputSink {
  readonly puts: OutputRecord[][] = [];
  constructor(private readonly fail?: Error) {}
  async put(records: readonly OutputRecord[]): Promise<void> {
    if (this.fail) throw this.fail;
    this.puts.push([...records]);
  }
}

describe('output targets and the outbox', () => {
  it("resolves a declared name to the stage's stream and an ARN to the existing stream", () => {
    expect(resolveTarget({ kinesis: 'AnomalyStream', format: 'json' }, 'svc-dev-')).toEqual({
      service: 'kinesis',
      name: 'svc-dev-AnomalyStream',
      id: 'kinesis:svc-dev-AnomalyStream',
    });
    expect(resolveTarget({ kinesis: ARN, format: 'json' }, 'svc-dev-')).toEqual({
      service: 'kinesis',
      name: 'kda-anomalies',
      arn: ARN,
      id: 'kinesis:kda-anomalies',
    });
    expect(resolveTarget({ firehose: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/out', format: 'csv' }, 'p-')).toMatchObject({
      service: 'firehose',
      name: 'out',
    });
  });

  it("puts each result once per output in the output's format, Firehose records one line each, and counts them", async () => {
    const sinks = new Map<string, MemorySink>();
    const outputs = new Outputs(detectors, (t: OutputTarget) => sinks.set(t.id, new MemorySink()).get(t.id)!, 'svc-dev-');
    expect(outputs.has('toll')).toBe(true);
    expect(outputs.has('quiet')).toBe(false);
    const emission = outputs.emission();
    emission.add(row('A', 1.5));
    emission.add(row('B', 3));
    const stats = await emission.flush();
    expect(stats).toEqual({
      records: { 'kinesis:svc-dev-AnomalyStream': 2, 'firehose:svc-dev-scores': 2, 'kinesis:kda-anomalies': 2 },
      total: 6,
    });
    const [declared] = sinks.get('kinesis:svc-dev-AnomalyStream')!.puts;
    expect(declared!.map(text)).toEqual([
      '{"station_id":"A","vehicle_count":7,"anomaly_score":1.5}',
      '{"station_id":"B","vehicle_count":7,"anomaly_score":3}',
    ]);
    expect(declared!.map((r) => r.partitionKey)).toEqual(['A', 'B']);
    expect(sinks.get('firehose:svc-dev-scores')!.puts[0]!.map(text)).toEqual(['A,7,1.5\n', 'B,7,3\n']);
    expect(sinks.get('kinesis:kda-anomalies')!.puts[0]!.map(text)).toEqual([
      '{"station_id":"A","vehicle_count":7,"ANOMALY_SCORE":1.5}',
      '{"station_id":"B","vehicle_count":7,"ANOMALY_SCORE":3}',
    ]);
    // Flushed: a second flush sends nothing.
    expect(await emission.flush()).toEqual({ records: {}, total: 0 });
  });

  it('fails the emission when a target refuses, after the other targets were tried', async () => {
    const good = new MemorySink();
    const outputs = new Outputs(detectors, (t) =>
      t.service === 'firehose' ? new MemorySink(new OutputNotDeliveredError('firehose down')) : good,
    );
    const emission = outputs.emission();
    emission.add(row('A', 1));
    await expect(emission.flush()).rejects.toThrow('firehose down');
    expect(good.puts).toHaveLength(2);
  });
});

describe('AWS output sinks', () => {
  const kinesis = mockClient(KinesisClient);
  const firehose = mockClient(FirehoseClient);
  beforeEach(() => {
    kinesis.reset();
    firehose.reset();
  });
  const records = (n: number): OutputRecord[] =>
    Array.from({ length: n }, (_, i) => ({ data: new TextEncoder().encode(`{"i":${i}}`), partitionKey: `k${i}` }));
  const noSleep = { sleep: async () => {}, random: () => 0 };

  it('splits calls at 500 records and at the per-call bytes, and refuses a record over the record limit', () => {
    expect(chunkRecords(records(1201), OUTPUT_LIMITS.kinesis, 'k').map((c) => c.length)).toEqual([500, 500, 201]);
    const big = { data: new Uint8Array(900 * 1024), partitionKey: 'p' };
    expect(chunkRecords([big, big, big, big, big, big], OUTPUT_LIMITS.kinesis, 'k').map((c) => c.length)).toEqual([5, 1]);
    expect(() => chunkRecords([{ data: new Uint8Array(1024 * 1024), partitionKey: 'p' }], OUTPUT_LIMITS.kinesis, 'kinesis:x')).toThrow(
      /over kinesis:x's record limit/,
    );
  });

  it('sends again only the records PutRecords reports as failed, to the stream named by ARN when given one', async () => {
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 1,
        Records: [
          { SequenceNumber: '1', ShardId: 's' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' },
        ],
      })
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '2', ShardId: 's' }] });
    const sink = new KinesisOutputSink(
      new KinesisClient({ region: 'us-east-1' }),
      resolveTarget({ kinesis: ARN, format: 'json' }, ''),
      noSleep,
    );
    await sink.put(records(2));
    const calls = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => [c.StreamARN, c.StreamName, c.Records!.map((r) => r.PartitionKey)])).toEqual([
      [ARN, undefined, ['k0', 'k1']],
      [ARN, undefined, ['k1']],
    ]);
  });

  it('fails with what was not delivered when the attempts run out, so that Lambda retries the batch', async () => {
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 1, RequestResponses: [{ ErrorCode: 'ServiceUnavailableException' }] });
    const sink = new FirehoseOutputSink(
      new FirehoseClient({ region: 'us-east-1' }),
      resolveTarget({ firehose: 'scores', format: 'json' }, 'p-'),
      {
        ...noSleep,
        attempts: 3,
      },
    );
    const error = await sink.put(records(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputNotDeliveredError);
    expect((error as Error).message).toBe(
      'firehose:p-scores: 1 result record(s) not delivered after 3 attempts (ServiceUnavailableException); the invoke fails so that Lambda retries the batch',
    );
    expect(firehose.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input.DeliveryStreamName)).toEqual([
      'p-scores',
      'p-scores',
      'p-scores',
    ]);
  });
});
