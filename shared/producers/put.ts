import { PutRecordsCommand, type PutRecordsCommandOutput, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { setTimeout as delay } from 'node:timers/promises';
import { mapConcurrent } from '../io/map-concurrent';
import {
  DEFAULT_RETRY,
  errorName,
  isRetryableError,
  retryFailedEntries,
  RetryFailedError,
  sdkAttempts,
  type EntryFailure,
} from '../io/retry';
import { EventTimePacer, TokenBucket, type Clock } from './pacing';
import { KINESIS_MAX_BATCH_BYTES, KINESIS_MAX_BATCH_RECORDS, KINESIS_MAX_RECORD_BYTES } from '../records/limits';
import { StreamSentinelError } from '../errors';

/**
 * The PutRecords batcher: puts records on a Kinesis stream in batches (≤ 500 records, ≤ 5 MiB), retries the
 * failed entries of a partial failure and throttled or failed requests (shared/io/retry.ts: backoff with jitter)
 * until every record has landed (or the attempts run out), and paces the sending (steady rate or the records'
 * own event time). Used by the produce and replay commands, the replay Lambda and local mode.
 */

export const MAX_BATCH_RECORDS = KINESIS_MAX_BATCH_RECORDS;
export const MAX_BATCH_BYTES = KINESIS_MAX_BATCH_BYTES;
/** Data plus partition key, per record. */
export const MAX_RECORD_BYTES = KINESIS_MAX_RECORD_BYTES;
/** How often a paced wait checks shouldStop. */
const STOP_CHECK_MS = 1000;

export interface PutRecord {
  data: string | Uint8Array;
  partitionKey: string;
  eventTime?: Date;
  /**
   * When the record goes out, on the records' own time line (the pacing with `speed` follows it): a simulated
   * producer's arrival (shared/producers/realism.ts), later than eventTime and not in its order. eventTime when absent.
   */
  sendAt?: Date;
}

/** The one call the batcher makes; a KinesisClient is one. */
export interface PutRecordsClient {
  send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput>;
}

export interface ProduceProgress {
  /** Records that have landed. */
  sent: number;
  /** Entries that failed in a partial failure (each retry counts again) plus records of failed requests. */
  failed: number;
  /** Requests refused for throughput (ProvisionedThroughputExceeded entries count in `failed`). */
  throttled: number;
  requests: number;
  elapsedMs: number;
  /** Records landed per wall second so far. */
  recordsPerSecond: number;
}

export interface ProduceSummary<R extends PutRecord = PutRecord> extends ProduceProgress {
  /** The last record taken from the source, in source order; it and every record before it have landed. */
  lastRecord?: R;
  batches: number;
  bytes: number;
  /** Records whose entry was retried at least once. */
  retriedRecords: number;
  /** Error codes seen, with counts (entry ErrorCode or the request's error name). */
  errors: Record<string, number>;
  /** True when shouldStop ended the run before the records ran out. */
  stopped: boolean;
  firstEventTime?: Date;
  lastEventTime?: Date;
}

export interface ProduceOptions<R extends PutRecord = PutRecord> {
  client: PutRecordsClient;
  streamName: string;
  records: Iterable<R> | AsyncIterable<R>;
  /** Records per wall second, held steady by a token bucket. */
  rate?: number;
  /** Pacing by event time: N× the records' own pace. With `rate` too, the rate is a ceiling on top of it. */
  speed?: number;
  /** PutRecords calls in flight at once (default 2). */
  concurrency?: number;
  /** HTTP attempts per batch, first included and the SDK's own retries counted, before giving up (default 10). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long a paced batch may wait to fill before it is sent anyway (default 100 ms). */
  lingerMs?: number;
  onProgress?: (progress: ProduceProgress) => void;
  /** Called with each record once it has landed (in batch order, not necessarily input order across batches). */
  onLanded?: (record: R) => void;
  /** Checked before each record is taken from `records`; true ends the run after what was taken has landed. */
  shouldStop?: () => boolean;
  /** Test seams. */
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** A put that cannot succeed or ran out of attempts; the message says what is wrong and what landed. */
export class ProduceError extends StreamSentinelError {
  constructor(
    message: string,
    readonly summary?: ProduceSummary,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Whether a failed PutRecords call is worth another try, by the SDK's own classification (shared/io/retry.ts). */
export const isRetryable = isRetryableError;

interface Entry<R> {
  record: R;
  data: Uint8Array;
  size: number;
  retried: boolean;
}

const defaultSleep = (ms: number) => delay(ms);

export async function produce<R extends PutRecord>(options: ProduceOptions<R>): Promise<ProduceSummary<R>> {
  const clock = options.clock ?? Date;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const maxAttempts = Math.max(1, options.maxAttempts ?? 10);
  const linger = options.lingerMs ?? 100;
  const bucket = options.rate !== undefined ? new TokenBucket(options.rate, clock) : undefined;
  const pacer = options.speed !== undefined && Number.isFinite(options.speed) ? new EventTimePacer(options.speed, clock) : undefined;

  const started = clock.now();
  const s: ProduceSummary<R> = {
    sent: 0,
    failed: 0,
    throttled: 0,
    requests: 0,
    elapsedMs: 0,
    recordsPerSecond: 0,
    batches: 0,
    bytes: 0,
    retriedRecords: 0,
    errors: {},
    stopped: false,
  };
  const tick = (): ProduceProgress => {
    s.elapsedMs = clock.now() - started;
    s.recordsPerSecond = s.elapsedMs > 0 ? (s.sent * 1000) / s.elapsedMs : 0;
    return {
      sent: s.sent,
      failed: s.failed,
      throttled: s.throttled,
      requests: s.requests,
      elapsedMs: s.elapsedMs,
      recordsPerSecond: s.recordsPerSecond,
    };
  };
  const count = (code: string, n = 1) => {
    s.errors[code] = (s.errors[code] ?? 0) + n;
  };
  let sendFailed = false;
  async function send(batch: Array<Entry<R>>): Promise<void> {
    s.batches++;
    try {
      await retryFailedEntries(
        batch,
        async (pending) => {
          s.requests++;
          const output = await options.client.send(
            new PutRecordsCommand({
              StreamName: options.streamName,
              Records: pending.map((e): PutRecordsRequestEntry => ({ Data: e.data, PartitionKey: e.record.partitionKey })),
            }),
          );
          const results = output.Records ?? [];
          const failed: Array<EntryFailure<Entry<R>>> = [];
          pending.forEach((entry, i) => {
            const result = results[i];
            // An answer without a result for an entry cannot prove it landed; only a SequenceNumber does.
            if (result?.ErrorCode || !result?.SequenceNumber) {
              failed.push({
                entry,
                code: result?.ErrorCode ?? 'NoResult',
                ...(result?.ErrorMessage ? { message: result.ErrorMessage } : {}),
              });
            } else {
              s.sent++;
              s.bytes += entry.size;
              options.onLanded?.(entry.record);
            }
          });
          options.onProgress?.(tick());
          return { failed, attempts: sdkAttempts(output) };
        },
        {
          maxAttempts,
          baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
          maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
          sleep,
          random,
          onFailure: (event) => {
            if (event.kind === 'error') {
              count(errorName(event.error));
              s.failed += event.pending.length;
              if (event.errorClass === 'throttling') s.throttled++;
              if (event.willRetry) {
                markRetried(event.pending);
                options.onProgress?.(tick());
              }
            } else {
              for (const f of event.failed) count(f.code);
              s.failed += event.failed.length;
              if (event.willRetry) markRetried(event.failed.map((f) => f.entry));
            }
          },
        },
      );
    } catch (error) {
      sendFailed = true;
      if (!(error instanceof RetryFailedError)) throw error;
      const where = `PutRecords to ${options.streamName}`;
      if (error.reason === 'permanent') throw new ProduceError(`${where} failed: ${error.message}`, undefined, { cause: error.cause });
      if (error.cause !== undefined)
        throw new ProduceError(
          `${where} still failing after ${error.attempts} attempts (${error.codes.join(', ')}): ${error.pending.length} records not sent`,
          undefined,
          { cause: error.cause },
        );
      throw new ProduceError(
        `${error.pending.length} of ${batch.length} records still failing after ${error.attempts} attempts (${error.codes.join(', ')})`,
        undefined,
        { cause: error },
      );
    }
  }
  const markRetried = (entries: ReadonlyArray<Entry<R>>) => {
    for (const e of entries) {
      if (!e.retried) {
        e.retried = true;
        s.retriedRecords++;
      }
    }
  };

  /** True when shouldStop asked to stop during the wait. */
  const sleepUnlessStopped = async (ms: number): Promise<boolean> => {
    const until = clock.now() + ms;
    for (let left = ms; left > 0; left = until - clock.now()) {
      await sleep(Math.min(left, STOP_CHECK_MS));
      if (options.shouldStop?.()) return true;
    }
    return false;
  };

  const source = options.records;
  const iterator: Iterator<R> | AsyncIterator<R> =
    Symbol.asyncIterator in source ? (source as AsyncIterable<R>)[Symbol.asyncIterator]() : (source as Iterable<R>)[Symbol.iterator]();

  /** The records cut into PutRecords batches, paced; read only as fast as sending frees a slot. */
  async function* batches(): AsyncGenerator<Array<Entry<R>>> {
    let batch: Array<Entry<R>> = [];
    let batchBytes = 0;
    let batchSince = 0;
    const take = () => {
      const taken = batch;
      batch = [];
      batchBytes = 0;
      return taken;
    };
    try {
      for (;;) {
        if (sendFailed) return;
        // Asked before a record is taken, so that a stopped run has sent every record it took (the replay
        // Lambda's continuation offset depends on it).
        if (options.shouldStop?.()) {
          s.stopped = true;
          break;
        }
        const next = await iterator.next();
        if (next.done) break;
        const record = next.value;
        const data = typeof record.data === 'string' ? Buffer.from(record.data, 'utf8') : record.data;
        const keyBytes = Buffer.byteLength(record.partitionKey, 'utf8');
        if (record.partitionKey.length < 1 || record.partitionKey.length > 256) {
          throw new ProduceError(
            `partition key must be 1 to 256 characters, got ${record.partitionKey.length}: ${JSON.stringify(record.partitionKey.slice(0, 40))}`,
          );
        }
        const size = data.byteLength + keyBytes;
        if (size > MAX_RECORD_BYTES)
          throw new ProduceError(`a record of ${size} bytes (data + partition key) is over Kinesis's 1 MiB limit`);

        const wait = Math.max(bucket?.reserve() ?? 0, pacer?.delay(record.sendAt ?? record.eventTime) ?? 0);
        if (wait > 0) {
          // Send what is held rather than let it age past the linger time while waiting.
          if (batch.length && clock.now() + wait - batchSince >= linger) yield take();
          // Waits under 5 ms add up in the bucket (or the pacer's schedule) and are slept off together. Long
          // waits (a replay's gaps in event time) are slept in slices so that a stop request is not missed:
          // the record waiting is then not sent, and lastRecord stays the last one that was.
          if (wait >= 5 && (await sleepUnlessStopped(wait))) {
            s.stopped = true;
            break;
          }
        }
        if (batch.length === MAX_BATCH_RECORDS || batchBytes + size > MAX_BATCH_BYTES) yield take();
        if (!batch.length) batchSince = clock.now();
        batch.push({ record, data, size, retried: false });
        batchBytes += size;
        s.lastRecord = record;
        if (!s.firstEventTime && record.eventTime) s.firstEventTime = record.eventTime;
        if (record.eventTime) s.lastEventTime = record.eventTime;
        if (batch.length === MAX_BATCH_RECORDS) yield take();
      }
      if (batch.length && !sendFailed) yield take();
    } finally {
      // Whatever happens, the source is closed (a file or S3 stream behind it is released).
      await iterator.return?.();
    }
  }

  let failure: unknown;
  try {
    // mapConcurrent waits for every send in flight before it returns or throws: nothing is left running.
    await mapConcurrent(batches(), concurrency, send);
  } catch (error) {
    failure = error;
  }
  tick();
  if (failure) {
    const error = failure instanceof ProduceError ? failure : new ProduceError(String(failure), undefined, { cause: failure });
    throw new ProduceError(`${error.message} (${s.sent} records landed before the failure)`, { ...s }, { cause: error.cause ?? error });
  }
  return s;
}
