import { PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { retryFailedEntries, RetryFailedError, sdkAttempts, type EntryFailure } from '../io/retry';
import { rejectLines, type RejectBatch, type RejectsSink } from './sink';
import { StreamSentinelError } from '../errors';

/** Firehose's limits for PutRecordBatch (docs: Amazon Data Firehose quotas). */
export const FIREHOSE_LIMITS = {
  /** Records per call. */
  recordsPerCall: 500,
  /** Bytes per call, all records together. */
  bytesPerCall: 4 * 1024 * 1024,
  /** Bytes per record, before base64. */
  bytesPerRecord: 1000 * 1024,
} as const;

/** Firehose refused some records of a batch every time it was asked: the invoke fails and Lambda retries it. */
export class RejectsNotKeptError extends StreamSentinelError {}

export interface FirehoseRejectsSinkOptions {
  /**
   * HTTP attempts per PutRecordBatch (the SDK's own retries of a throttled or failed call counted) for records
   * Firehose reports as failed, before giving up: the invoke then fails and Lambda retries the batch.
   */
  attempts?: number;
  /** The first backoff's upper bound (shared/io/retry.ts: doubles per retry, equal jitter). */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const encoder = new TextEncoder();

/**
 * Packs newline-terminated lines into Firehose records of at most `maxRecordBytes`, then records into
 * PutRecordBatch calls within the per-call limits. Firehose bills each record in 5 KB steps, so many small
 * rejects share a record; it concatenates records in S3, so the lines come out one per line either way.
 * A single line longer than a record cannot happen: a reject's data is capped at 64 KiB of text.
 */
export function packRecords(
  lines: readonly string[],
  limits: { bytesPerRecord: number; recordsPerCall: number; bytesPerCall: number } = FIREHOSE_LIMITS,
): Uint8Array[][] {
  const records: Uint8Array[] = [];
  let current: string[] = [];
  let currentBytes = 0;
  const flush = () => {
    if (current.length) records.push(encoder.encode(current.join('')));
    current = [];
    currentBytes = 0;
  };
  for (const line of lines) {
    const bytes = Buffer.byteLength(line);
    if (bytes > limits.bytesPerRecord)
      throw new RangeError(`a reject line of ${bytes} bytes is longer than a Firehose record (${limits.bytesPerRecord} bytes)`);
    if (currentBytes + bytes > limits.bytesPerRecord) flush();
    current.push(line);
    currentBytes += bytes;
  }
  flush();

  const calls: Uint8Array[][] = [];
  let call: Uint8Array[] = [];
  let callBytes = 0;
  for (const record of records) {
    if (call.length === limits.recordsPerCall || callBytes + record.byteLength > limits.bytesPerCall) {
      calls.push(call);
      call = [];
      callBytes = 0;
    }
    call.push(record);
    callBytes += record.byteLength;
  }
  if (call.length) calls.push(call);
  return calls;
}

/**
 * Keeps rejects in the rejects delivery stream, which lands them GZIP'd in the archive bucket under
 * rejects/year=/month=/day=/ as JSON lines (the Glue table `rejects` reads them in Athena).
 * Firehose delivers at least once: a retried invoke can keep the same reject twice, which the
 * (shardId, sequenceNumber, objectIndex) of each line identifies.
 */
export class FirehoseRejectsSink implements RejectsSink {
  constructor(
    private readonly client: FirehoseClient,
    private readonly deliveryStreamName: string,
    private readonly options: FirehoseRejectsSinkOptions = {},
    private readonly now: () => number = Date.now,
  ) {}

  async write(batch: RejectBatch): Promise<string> {
    const calls = packRecords(rejectLines(batch, this.now()));
    for (const records of calls) await this.put(records);
    return `firehose:${this.deliveryStreamName} (${batch.rejects.length} rejects)`;
  }

  /** One PutRecordBatch, then again with only the records Firehose reported as failed. */
  private async put(records: Uint8Array[]): Promise<void> {
    const attempts = this.options.attempts ?? 4;
    try {
      await retryFailedEntries(
        records,
        async (pending) => {
          const out = await this.client.send(
            new PutRecordBatchCommand({ DeliveryStreamName: this.deliveryStreamName, Records: pending.map((Data) => ({ Data })) }),
          );
          const responses = out.RequestResponses ?? [];
          const failed: Array<EntryFailure<Uint8Array>> = [];
          if (out.FailedPutCount) {
            // Without per-record answers (never seen), every record goes again.
            pending.forEach((entry, i) => {
              const r = responses[i];
              if (r?.ErrorCode || !responses.length)
                failed.push({ entry, code: r?.ErrorCode ?? 'NoResult', ...(r?.ErrorMessage ? { message: r.ErrorMessage } : {}) });
            });
          }
          if (failed.length) this.lastErrors = [...new Set(failed.map((f) => `${f.code}: ${f.message ?? ''}`.trim()))];
          return { failed, attempts: sdkAttempts(out) };
        },
        {
          maxAttempts: attempts,
          ...(this.options.backoffMs !== undefined ? { baseDelayMs: this.options.backoffMs } : {}),
          ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
          ...(this.options.random ? { random: this.options.random } : {}),
        },
      );
    } catch (error) {
      if (!(error instanceof RetryFailedError)) throw error;
      const why = error.cause !== undefined ? error.message : this.lastErrors.join('; ');
      throw new RejectsNotKeptError(
        `Firehose ${this.deliveryStreamName} refused ${error.pending.length} reject record(s) after ${error.attempts} attempts (${why}); the invoke fails so that Lambda retries the batch`,
        { cause: error.cause ?? error },
      );
    }
  }

  private lastErrors: string[] = [];
}
