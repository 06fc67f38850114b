/**
 * The one Firehose PutRecordBatch sender, used by the outputs' Firehose sink and the rejects sink: a call with
 * the pending records, then again with only those Firehose reported as failed (shared/io/retry.ts). It owns
 * Firehose's call limits; how records are made and what a failure means stay with the sinks.
 */
import { PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { retryFailedEntries, sdkAttempts, type EntryFailure, type RetryFailedOptions } from '../io/retry';

/** Firehose's limits for PutRecordBatch (docs: Amazon Data Firehose quotas). */
export const FIREHOSE_LIMITS = {
  /** Records per call. */
  recordsPerCall: 500,
  /** Bytes per call, all records together. */
  bytesPerCall: 4 * 1024 * 1024,
  /** Bytes per record, before base64. */
  bytesPerRecord: 1000 * 1024,
} as const;

/**
 * Puts one call's worth of records (within FIREHOSE_LIMITS) on the delivery stream; throws RetryFailedError
 * with the records that never landed.
 */
export function putRecordBatch(
  client: FirehoseClient,
  deliveryStreamName: string,
  records: readonly Uint8Array[],
  options: RetryFailedOptions<Uint8Array> = {},
): Promise<{ attempts: number; retries: number }> {
  return retryFailedEntries(
    records,
    async (pending) => {
      const out = await client.send(
        new PutRecordBatchCommand({ DeliveryStreamName: deliveryStreamName, Records: pending.map((Data) => ({ Data })) }),
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
      return { failed, attempts: sdkAttempts(out) };
    },
    options,
  );
}
