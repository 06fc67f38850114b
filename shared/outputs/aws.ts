import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { FIREHOSE_LIMITS, putRecordBatch } from '../aws/firehose-batch';
import { chunkByLimits } from '../io/chunk';
import { retryFailedEntries, RetryFailedError, sdkAttempts, sendRetryPolicy, type EntryFailure, type SendRetryOptions } from '../io/retry';
import { KINESIS_MAX_BATCH_BYTES, KINESIS_MAX_BATCH_RECORDS, KINESIS_MAX_RECORD_BYTES } from '../records/limits';
import { OutputNotDeliveredError, type OutputRecord, type OutputSink, type OutputTarget, type SinkFactory } from './outbox';

/**
 * The output sinks over AWS: Kinesis PutRecords and Firehose PutRecordBatch, each call within the service's limits,
 * records a call reports as failed sent again (shared/io/retry). A record that never lands fails the invoke, so that
 * Lambda retries the batch and the emission delivers again (at least once).
 */

/** Kinesis PutRecords and Firehose PutRecordBatch limits (AWS quotas pages). */
export const OUTPUT_LIMITS = {
  kinesis: { recordsPerCall: KINESIS_MAX_BATCH_RECORDS, bytesPerCall: KINESIS_MAX_BATCH_BYTES, bytesPerRecord: KINESIS_MAX_RECORD_BYTES },
  firehose: FIREHOSE_LIMITS,
} as const;

/** `attempts`: HTTP attempts per call, the SDK's own retries counted (default 8). */
export type SinkOptions = SendRetryOptions;

/** Splits records into calls within a service's limits; a record over the per-record limit is refused. */
export function chunkRecords(
  records: readonly OutputRecord[],
  limits: { recordsPerCall: number; bytesPerCall: number; bytesPerRecord: number },
  target: string,
): OutputRecord[][] {
  return chunkByLimits(
    records,
    (r) => {
      // Kinesis counts the partition key against the record and call sizes; Firehose has none (counted as 0).
      const size = r.data.byteLength + Buffer.byteLength(r.partitionKey);
      if (size > limits.bytesPerRecord)
        throw new OutputNotDeliveredError(`a result of ${size} bytes is over ${target}'s record limit (${limits.bytesPerRecord} bytes)`);
      return size;
    },
    limits,
  );
}

const DEFAULT_ATTEMPTS = 8;

/**
 * What both sinks are: records sent call by call within the service's limits, each call retrying its failed
 * entries (`send`); a call whose records never land fails the invoke.
 */
abstract class BatchOutputSink<Client> implements OutputSink {
  constructor(
    protected readonly client: Client,
    protected readonly target: OutputTarget,
    protected readonly options: SinkOptions = {},
  ) {}

  protected abstract readonly limits: (typeof OUTPUT_LIMITS)[keyof typeof OUTPUT_LIMITS];
  /** Whether the service counts the partition key against its limits (Kinesis) or has none (Firehose). */
  protected abstract readonly keyed: boolean;
  /** Puts one call, its failed entries sent again; throws RetryFailedError with what never landed. */
  protected abstract send(call: OutputRecord[]): Promise<unknown>;

  protected get retryPolicy() {
    return sendRetryPolicy(this.options, DEFAULT_ATTEMPTS);
  }

  async put(records: readonly OutputRecord[]): Promise<void> {
    const sized = this.keyed ? records : records.map((r) => ({ data: r.data, partitionKey: '' }));
    for (const call of chunkRecords(sized, this.limits, this.target.id)) {
      try {
        await this.send(call);
      } catch (error) {
        if (error instanceof RetryFailedError)
          throw new OutputNotDeliveredError(
            `${this.target.id}: ${error.pending.length} result record(s) not delivered after ${error.attempts} attempts (${error.codes.join(', ')}); the invoke fails so that Lambda retries the batch`,
            { cause: error.cause ?? error },
          );
        throw error;
      }
    }
  }
}

export class KinesisOutputSink extends BatchOutputSink<KinesisClient> {
  protected readonly limits = OUTPUT_LIMITS.kinesis;
  protected readonly keyed = true;

  protected send(call: OutputRecord[]) {
    const stream = this.target.arn ? { StreamARN: this.target.arn } : { StreamName: this.target.name };
    return retryFailedEntries(
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
      this.retryPolicy,
    );
  }
}

export class FirehoseOutputSink extends BatchOutputSink<FirehoseClient> {
  protected readonly limits = OUTPUT_LIMITS.firehose;
  protected readonly keyed = false;

  protected send(call: OutputRecord[]) {
    return putRecordBatch(
      this.client,
      this.target.name,
      call.map((r) => r.data),
      this.retryPolicy,
    );
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
