import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { retryFailedEntries, RetryFailedError, sdkAttempts, type EntryFailure } from '../io/retry';
import { OutputNotDeliveredError, type OutputRecord, type OutputSink, type OutputTarget, type SinkFactory } from './outbox';

/**
 * The output sinks over AWS: Kinesis PutRecords and Firehose PutRecordBatch, each call within the service's limits,
 * records a call reports as failed sent again (shared/io/retry). A record that never lands fails the invoke, so that
 * Lambda retries the batch and the emission delivers again (at least once).
 */

/** Kinesis PutRecords and Firehose PutRecordBatch limits (AWS quotas pages). */
export const OUTPUT_LIMITS = {
  kinesis: { recordsPerCall: 500, bytesPerCall: 5 * 1024 * 1024, bytesPerRecord: 1024 * 1024 },
  firehose: { recordsPerCall: 500, bytesPerCall: 4 * 1024 * 1024, bytesPerRecord: 1000 * 1024 },
} as const;

export interface SinkOptions {
  /** HTTP attempts per call, the SDK's own retries counted (default 8). */
  attempts?: number;
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Splits records into calls within a service's limits; a record over the per-record limit is refused. */
export function chunkRecords(
  records: readonly OutputRecord[],
  limits: { recordsPerCall: number; bytesPerCall: number; bytesPerRecord: number },
  target: string,
): OutputRecord[][] {
  const calls: OutputRecord[][] = [];
  let call: OutputRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    // Kinesis counts the partition key against the record and call sizes; Firehose has none (counted as 0).
    const size = r.data.byteLength + Buffer.byteLength(r.partitionKey);
    if (size > limits.bytesPerRecord)
      throw new OutputNotDeliveredError(`a result of ${size} bytes is over ${target}'s record limit (${limits.bytesPerRecord} bytes)`);
    if (call.length === limits.recordsPerCall || bytes + size > limits.bytesPerCall) {
      calls.push(call);
      call = [];
      bytes = 0;
    }
    call.push(r);
    bytes += size;
  }
  if (call.length) calls.push(call);
  return calls;
}

const retryOptions = (o: SinkOptions) => ({
  maxAttempts: o.attempts ?? 8,
  ...(o.backoffMs !== undefined ? { baseDelayMs: o.backoffMs } : {}),
  ...(o.sleep ? { sleep: o.sleep } : {}),
  ...(o.random ? { random: o.random } : {}),
});

function notDelivered(target: OutputTarget, error: unknown): never {
  if (error instanceof RetryFailedError)
    throw new OutputNotDeliveredError(
      `${target.id}: ${error.pending.length} result record(s) not delivered after ${error.attempts} attempts (${error.codes.join(', ')}); the invoke fails so that Lambda retries the batch`,
      { cause: error.cause ?? error },
    );
  throw error;
}

export class KinesisOutputSink implements OutputSink {
  constructor(
    private readonly client: KinesisClient,
    private readonly target: OutputTarget,
    private readonly options: SinkOptions = {},
  ) {}

  async put(records: readonly OutputRecord[]): Promise<void> {
    const stream = this.target.arn ? { StreamARN: this.target.arn } : { StreamName: this.target.name };
    for (const call of chunkRecords(records, OUTPUT_LIMITS.kinesis, this.target.id)) {
      try {
        await retryFailedEntries(
          call,
          async (pending) => {
            const out = await this.client.send(
              new PutRecordsCommand({ ...stream, Records: pending.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })) }),
            );
            const results = out.Records ?? [];
            const failed: Array<EntryFailure<OutputRecord>> = [];
            pending.forEach((entry, i) => {
              const r = results[i];
              // Only a sequence number proves a record landed.
              if (r?.ErrorCode || !r?.SequenceNumber)
                failed.push({ entry, code: r?.ErrorCode ?? 'NoResult', ...(r?.ErrorMessage ? { message: r.ErrorMessage } : {}) });
            });
            return { failed, attempts: sdkAttempts(out) };
          },
          retryOptions(this.options),
        );
      } catch (error) {
        notDelivered(this.target, error);
      }
    }
  }
}

export class FirehoseOutputSink implements OutputSink {
  constructor(
    private readonly client: FirehoseClient,
    private readonly target: OutputTarget,
    private readonly options: SinkOptions = {},
  ) {}

  async put(records: readonly OutputRecord[]): Promise<void> {
    const noKey = records.map((r) => ({ data: r.data, partitionKey: '' }));
    for (const call of chunkRecords(noKey, OUTPUT_LIMITS.firehose, this.target.id)) {
      try {
        await retryFailedEntries(
          call,
          async (pending) => {
            const out = await this.client.send(
              new PutRecordBatchCommand({ DeliveryStreamName: this.target.name, Records: pending.map((r) => ({ Data: r.data })) }),
            );
            const responses = out.RequestResponses ?? [];
            const failed: Array<EntryFailure<OutputRecord>> = [];
            if (out.FailedPutCount)
              pending.forEach((entry, i) => {
                const r = responses[i];
                if (r?.ErrorCode || !responses.length)
                  failed.push({ entry, code: r?.ErrorCode ?? 'NoResult', ...(r?.ErrorMessage ? { message: r.ErrorMessage } : {}) });
              });
            return { failed, attempts: sdkAttempts(out) };
          },
          retryOptions(this.options),
        );
      } catch (error) {
        notDelivered(this.target, error);
      }
    }
  }
}

/** Sinks over the clients given; a client is made only for the services some output uses. */
export function awsSinks(
  clients: { kinesis: () => KinesisClient; firehose: () => FirehoseClient },
  options: SinkOptions = {},
): SinkFactory {
  let kinesis: KinesisClient | undefined;
  let firehose: FirehoseClient | undefined;
  return (target) =>
    target.service === 'kinesis'
      ? new KinesisOutputSink((kinesis ??= clients.kinesis()), target, options)
      : new FirehoseOutputSink((firehose ??= clients.firehose()), target, options);
}
