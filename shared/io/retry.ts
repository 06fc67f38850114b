import { setTimeout as delay } from 'node:timers/promises';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { StreamSentinelError } from '../errors';

/**
 * The one retry loop for AWS batch calls that can half-succeed (Kinesis PutRecords, Firehose PutRecordBatch,
 * DynamoDB BatchGetItem/BatchWriteItem): call with the pending entries, keep what landed, call again with
 * only the entries the answer reports as failed, with exponential backoff and equal jitter, until none is left
 * or the attempts run out. A whole call that throws is retried when the SDK's own classification
 * (@smithy/core's isThrottlingError / isTransientError / isServerError, the same rules its retry strategy uses)
 * says it is worth it, and fails at once otherwise.
 *
 * No SDK retries multiplied inside ours: the SDK client retries a throwing call itself (3 attempts in its
 * standard mode) and reports how many it made in `$metadata.attempts`. Every attempt the SDK made counts
 * against `maxAttempts` here, so the HTTP requests for one batch stay within `maxAttempts` whatever the
 * client's own setting (one SDK round may overshoot by its own attempts minus one). Entry failures inside a
 * 200 answer are never retried by the SDK, so only this loop retries them.
 */

type SdkError = Parameters<typeof isThrottlingError>[0];

export type ErrorClass = 'throttling' | 'transient' | 'permanent';

/** How the SDK's retry strategy would classify an error thrown by a call (or anything else thrown). */
export function classifyError(error: unknown): ErrorClass {
  if (typeof error !== 'object' || error === null) return 'permanent';
  const e = error as SdkError;
  if (isThrottlingError(e)) return 'throttling';
  if (isTransientError(e) || isServerError(e)) return 'transient';
  return 'permanent';
}

export const isRetryableError = (error: unknown): boolean => classifyError(error) !== 'permanent';

/** An entry's error code (e.g. PutRecords' `ErrorCode`) classified as a throttle or not, by the SDK's list. */
export const isThrottlingCode = (code: string): boolean => isThrottlingError({ name: code, $metadata: {} } as SdkError);

/** The name an AWS error is counted under (its exception name, or a Node network error's code). */
export function errorName(error: unknown): string {
  const e = (error ?? {}) as { name?: string; code?: string };
  return e.name && e.name !== 'Error' ? e.name : (e.code ?? e.name ?? 'Error');
}

/** HTTP attempts the SDK made for one call (its own retries included); 1 when it does not say. */
export function sdkAttempts(resultOrError: unknown): number {
  const attempts = (resultOrError as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts;
  return typeof attempts === 'number' && attempts >= 1 ? attempts : 1;
}

export interface RetryPolicy {
  /** HTTP attempts per batch in all, the SDK's own retries included, before giving up (default 10). */
  maxAttempts?: number;
  /** The first backoff's upper bound (default 100 ms, the SDK's DEFAULT_RETRY_DELAY_BASE); doubles per retry. */
  baseDelayMs?: number;
  /** Backoff cap (default 5 s). */
  maxDelayMs?: number;
  /** Test seams. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** The retry settings a sink takes from its caller (the sink picks the default attempts). */
export interface SendRetryOptions {
  /** HTTP attempts per call, the SDK's own retries counted. */
  attempts?: number;
  /** The first backoff's upper bound (doubles per retry, equal jitter). */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const sendRetryPolicy = (options: SendRetryOptions, defaultAttempts: number): RetryPolicy => ({
  maxAttempts: options.attempts ?? defaultAttempts,
  ...(options.backoffMs !== undefined ? { baseDelayMs: options.backoffMs } : {}),
  ...(options.sleep ? { sleep: options.sleep } : {}),
  ...(options.random ? { random: options.random } : {}),
});

export interface EntryFailure<E> {
  entry: E;
  /** The service's error code for the entry ('NoResult' when the answer says nothing about it). */
  code: string;
  message?: string;
}

/** What one call made of the pending entries: those that did not land. */
export interface CallOutcome<E> {
  failed: Array<EntryFailure<E>>;
  /** The SDK's `$metadata.attempts` of the answer (pass `sdkAttempts(output)`), when the call went through the SDK. */
  attempts?: number;
}

/** One unsuccessful round, for the caller's counters and logs. */
export type RetryEvent<E> =
  | { kind: 'entries'; attempt: number; pending: readonly E[]; failed: Array<EntryFailure<E>>; willRetry: boolean }
  | { kind: 'error'; attempt: number; pending: readonly E[]; error: unknown; errorClass: ErrorClass; willRetry: boolean };

export interface RetryFailedOptions<E> extends RetryPolicy {
  /** Called after every round that left something pending (before the backoff), e.g. to count errors. */
  onFailure?: (event: RetryEvent<E>) => void;
}

/** The entries that never landed and why; `cause` is the last error when a whole call failed. */
export class RetryFailedError<E = unknown> extends StreamSentinelError {
  constructor(
    message: string,
    /** 'permanent': a call failed in a way retrying cannot fix; 'exhausted': the attempts ran out. */
    readonly reason: 'permanent' | 'exhausted',
    readonly pending: readonly E[],
    /** Error codes (entry codes or the call's error name) of the last round. */
    readonly codes: readonly string[],
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const DEFAULT_RETRY = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 5000 } as const;

/**
 * Exponential backoff with "equal jitter": between half and all of min(max, base · 2^(retry−1)), so retries
 * spread out but never hammer. `retry` counts from 1.
 */
export function backoffMs(retry: number, policy: RetryPolicy = {}, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs, (policy.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs) * 2 ** (retry - 1));
  return cap / 2 + random() * (cap / 2);
}

/**
 * Sends `entries` through `call` until every one has landed. `call` gets the entries still pending and says
 * which of them failed; it is the caller's place to count what landed. Throws RetryFailedError with the
 * entries that did not land.
 */
export async function retryFailedEntries<E>(
  entries: readonly E[],
  call: (pending: readonly E[]) => Promise<CallOutcome<E>>,
  options: RetryFailedOptions<E> = {},
): Promise<{ attempts: number; retries: number }> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_RETRY.maxAttempts);
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const random = options.random ?? Math.random;
  let pending = entries;
  let attempts = 0;
  for (let retry = 0; ;) {
    let outcome: CallOutcome<E>;
    try {
      outcome = await call(pending);
    } catch (error) {
      attempts += sdkAttempts(error);
      const errorClass = classifyError(error);
      const willRetry = errorClass !== 'permanent' && attempts < maxAttempts;
      options.onFailure?.({ kind: 'error', attempt: attempts, pending, error, errorClass, willRetry });
      if (!willRetry) {
        const name = errorName(error);
        const message =
          errorClass === 'permanent'
            ? `${name}: ${(error as Error)?.message ?? String(error)}`
            : `still failing after ${attempts} attempts (${name}): ${pending.length} entries not sent`;
        throw new RetryFailedError(message, errorClass === 'permanent' ? 'permanent' : 'exhausted', pending, [name], attempts, {
          cause: error,
        });
      }
      await sleep(backoffMs(++retry, options, random));
      continue;
    }
    attempts += outcome.attempts ?? 1;
    if (outcome.failed.length === 0) return { attempts, retries: retry };
    const willRetry = attempts < maxAttempts;
    options.onFailure?.({ kind: 'entries', attempt: attempts, pending, failed: outcome.failed, willRetry });
    const codes = [...new Set(outcome.failed.map((f) => f.code))];
    if (!willRetry) {
      throw new RetryFailedError(
        `${outcome.failed.length} of ${pending.length} entries still failing after ${attempts} attempts (${codes.join(', ')})`,
        'exhausted',
        outcome.failed.map((f) => f.entry),
        codes,
        attempts,
      );
    }
    // Entry failures in a 200 answer (throttled shards, internal failures) are transient by the services'
    // own documentation, so every failed entry goes again; nothing that landed is sent twice.
    pending = outcome.failed.map((f) => f.entry);
    await sleep(backoffMs(++retry, options, random));
  }
}
