import { PutRecordsCommand, type PutRecordsCommandOutput, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { EventTimePacer, TokenBucket, type Clock } from './pacing';

/**
 * The PutRecords batcher: puts records on a Kinesis stream in batches (≤ 500 records, ≤ 5 MiB), retries the
 * failed entries of a partial failure and throttled or failed requests with exponential backoff and jitter
 * until every record has landed (or the attempts run out), and paces the sending (steady rate or the records'
 * own event time). Used by the produce and replay commands, the replay Lambda and local mode.
 */

export const MAX_BATCH_RECORDS = 500;
export const MAX_BATCH_BYTES = 5 * 1024 * 1024;
/** Data plus partition key, per record. */
export const MAX_RECORD_BYTES = 1024 * 1024;
/** How often a paced wait checks shouldStop. */
const STOP_CHECK_MS = 1000;

export interface PutRecord {
  data: string | Uint8Array;
  partitionKey: string;
  eventTime?: Date;
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
  /** Attempts per batch, first included, before giving up (default 10). */
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
export class ProduceError extends Error {
  override name = 'ProduceError';
  constructor(
    message: string,
    readonly summary?: ProduceSummary,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'LimitExceededException',
  'KMSThrottlingException',
  'InternalFailure',
  'InternalFailureException',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);
const THROTTLES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'LimitExceededException',
  'KMSThrottlingException',
]);

interface AwsLikeError {
  name?: string;
  code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

export function isRetryable(error: unknown): boolean {
  const e = (error ?? {}) as AwsLikeError;
  const status = e.$metadata?.httpStatusCode ?? 0;
  return RETRYABLE.has(e.name ?? '') || NETWORK.has(e.code ?? '') || Boolean(e.$retryable) || status >= 500 || status === 429;
}

const errorName = (error: unknown): string => ((error ?? {}) as AwsLikeError).name ?? ((error ?? {}) as AwsLikeError).code ?? 'Error';

interface Entry<R> {
  record: R;
  data: Uint8Array;
  size: number;
  retried: boolean;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function produce<R extends PutRecord>(options: ProduceOptions<R>): Promise<ProduceSummary<R>> {
  const clock = options.clock ?? Date;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const maxAttempts = Math.max(1, options.maxAttempts ?? 10);
  const baseDelay = options.baseDelayMs ?? 100;
  const maxDelay = options.maxDelayMs ?? 5000;
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
  // Exponential with "equal jitter": at least half the exponential delay, so retries do spread out but never hammer.
  const backoff = (attempt: number) => {
    const cap = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1));
    return sleep(cap / 2 + random() * (cap / 2));
  };

  async function send(batch: Array<Entry<R>>): Promise<void> {
    s.batches++;
    let pending = batch;
    for (let attempt = 1; ; attempt++) {
      let output: PutRecordsCommandOutput;
      try {
        s.requests++;
        output = await options.client.send(
          new PutRecordsCommand({
            StreamName: options.streamName,
            Records: pending.map((e): PutRecordsRequestEntry => ({ Data: e.data, PartitionKey: e.record.partitionKey })),
          }),
        );
      } catch (error) {
        const name = errorName(error);
        count(name);
        s.failed += pending.length;
        if (THROTTLES.has(name)) s.throttled++;
        if (!isRetryable(error))
          throw new ProduceError(`PutRecords to ${options.streamName} failed: ${name}: ${(error as Error).message}`, undefined, {
            cause: error,
          });
        if (attempt >= maxAttempts) {
          throw new ProduceError(
            `PutRecords to ${options.streamName} still failing after ${attempt} attempts (${name}): ${pending.length} records not sent`,
            undefined,
            { cause: error },
          );
        }
        markRetried(pending);
        options.onProgress?.(tick());
        await backoff(attempt);
        continue;
      }
      const results = output.Records ?? [];
      const failed: Array<Entry<R>> = [];
      const codes = new Set<string>();
      pending.forEach((entry, i) => {
        const code = results[i]?.ErrorCode;
        // An answer without a result for an entry cannot prove it landed; only a SequenceNumber does.
        if (code || !results[i]?.SequenceNumber) {
          failed.push(entry);
          codes.add(code ?? 'NoResult');
          count(code ?? 'NoResult');
        } else {
          s.sent++;
          s.bytes += entry.size;
          options.onLanded?.(entry.record);
        }
      });
      s.failed += failed.length;
      options.onProgress?.(tick());
      if (failed.length === 0) return;
      if (attempt >= maxAttempts) {
        throw new ProduceError(
          `${failed.length} of ${batch.length} records still failing after ${attempt} attempts (${[...codes].join(', ')})`,
        );
      }
      markRetried(failed);
      pending = failed;
      await backoff(attempt);
    }
  }
  const markRetried = (entries: Array<Entry<R>>) => {
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

  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let batch: Array<Entry<R>> = [];
  let batchBytes = 0;
  let batchSince = 0;
  const flush = async () => {
    if (!batch.length) return;
    const sending = batch;
    batch = [];
    batchBytes = 0;
    const p: Promise<void> = send(sending)
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
  };

  const source = options.records;
  const iterator: Iterator<R> | AsyncIterator<R> =
    Symbol.asyncIterator in source ? (source as AsyncIterable<R>)[Symbol.asyncIterator]() : (source as Iterable<R>)[Symbol.iterator]();
  try {
    for (;;) {
      if (failure) break;
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
      if (size > MAX_RECORD_BYTES) throw new ProduceError(`a record of ${size} bytes (data + partition key) is over Kinesis's 1 MiB limit`);

      const wait = Math.max(bucket?.reserve() ?? 0, pacer?.delay(record.eventTime) ?? 0);
      if (wait > 0) {
        // Send what is held rather than let it age past the linger time while waiting.
        if (batch.length && clock.now() + wait - batchSince >= linger) await flush();
        // Waits under 5 ms add up in the bucket (or the pacer's schedule) and are slept off together. Long
        // waits (a replay's gaps in event time) are slept in slices so that a stop request is not missed:
        // the record waiting is then not sent, and lastRecord stays the last one that was.
        if (wait >= 5 && (await sleepUnlessStopped(wait))) {
          s.stopped = true;
          break;
        }
      }
      if (batch.length === MAX_BATCH_RECORDS || batchBytes + size > MAX_BATCH_BYTES) await flush();
      if (!batch.length) batchSince = clock.now();
      batch.push({ record, data, size, retried: false });
      batchBytes += size;
      s.lastRecord = record;
      if (!s.firstEventTime && record.eventTime) s.firstEventTime = record.eventTime;
      if (record.eventTime) s.lastEventTime = record.eventTime;
      if (batch.length === MAX_BATCH_RECORDS) await flush();
    }
    if (!failure) await flush();
  } finally {
    // Whatever happens, nothing is left in flight when produce returns or throws, and the source is closed
    // (a file or S3 stream behind it is released).
    await Promise.all(inFlight);
    await iterator.return?.();
  }
  tick();
  if (failure) {
    const error = failure instanceof ProduceError ? failure : new ProduceError(String(failure), undefined, { cause: failure });
    throw new ProduceError(`${error.message} (${s.sent} records landed before the failure)`, { ...s }, { cause: error.cause ?? error });
  }
  return s;
}
