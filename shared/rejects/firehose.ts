import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { FIREHOSE_LIMITS, putRecordBatch } from '../aws/firehose-batch';
import { chunkByLimits } from '../io/chunk';
import { RetryFailedError, sendRetryPolicy, type SendRetryOptions } from '../io/retry';
import { rejectLines, type RejectBatch, type RejectsSink } from './sink';
import { StreamSentinelError } from '../errors';

/**
 * The rejects sink over Firehose: reject lines packed into Firehose records, sent with the shared
 * PutRecordBatch sender (shared/aws/firehose-batch.ts).
 */

export { FIREHOSE_LIMITS };

/** Firehose refused some records of a batch every time it was asked: the invoke fails and Lambda retries it. */
export class RejectsNotKeptError extends StreamSentinelError {}

/**
 * `attempts`: HTTP attempts per PutRecordBatch (the SDK's own retries of a throttled or failed call counted) for
 * records Firehose reports as failed, before giving up (default 4): the invoke then fails and Lambda retries
 * the batch. `backoffMs`: the first backoff's upper bound (shared/io/retry.ts).
 */
export type FirehoseRejectsSinkOptions = SendRetryOptions;

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
  return chunkByLimits(records, (record) => record.byteLength, limits);
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

  private async put(records: Uint8Array[]): Promise<void> {
    // The messages of the last refused round: what the error says when the attempts run out on entry failures.
    let lastErrors: string[] = [];
    try {
      await putRecordBatch(this.client, this.deliveryStreamName, records, {
        ...sendRetryPolicy(this.options, 4),
        onFailure: (event) => {
          if (event.kind === 'entries') lastErrors = [...new Set(event.failed.map((f) => `${f.code}: ${f.message ?? ''}`.trim()))];
        },
      });
    } catch (error) {
      if (!(error instanceof RetryFailedError)) throw error;
      const why = error.cause !== undefined ? error.message : lastErrors.join('; ');
      throw new RejectsNotKeptError(
        `Firehose ${this.deliveryStreamName} refused ${error.pending.length} reject record(s) after ${error.attempts} attempts (${why}); the invoke fails so that Lambda retries the batch`,
        { cause: error.cause ?? error },
      );
    }
  }
}
