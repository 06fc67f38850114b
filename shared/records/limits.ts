/**
 * The record kernel's limits, named once: what Kinesis and Firehose allow, and the bounds a record must stay
 * within to be accepted (docs/records.md lists them with the reject reason each produces). Everything that
 * caps, cuts or rejects a record imports its number from here.
 */

/** Kinesis: a record's data plus its partition key. */
export const KINESIS_MAX_RECORD_BYTES = 1024 * 1024;
/** Kinesis PutRecords: entries per call. */
export const KINESIS_MAX_BATCH_RECORDS = 500;
/** Kinesis PutRecords: bytes per call (data and partition keys). */
export const KINESIS_MAX_BATCH_BYTES = 5 * 1024 * 1024;
/** Kinesis partition keys are 1 to 256 Unicode characters. */
export const KINESIS_MAX_PARTITION_KEY_CHARS = 256;

/**
 * A kept reject holds at most this many characters (UTF-16 code units) of the record's data; a kept record with
 * this much data may have been cut, so a replay of kept rejects skips it. With JSON escaping (≤ 6 bytes a
 * character) a kept line stays far below Firehose's 1,000 KiB record limit.
 */
export const MAX_KEPT_DATA_CHARS = 64 * 1024;
/** A reject reason is at most this long (it quotes previews of the data, never the data whole). */
export const MAX_REASON_CHARS = 1024;
/** Quoted text in a reason (a bad value, a piece of the record) is cut to this many characters. */
export const PREVIEW_CHARS = 60;

/**
 * JSON nested deeper than this (objects and arrays) is rejected before it is parsed, so nothing downstream
 * ever walks a deep value recursively (JSON.stringify of a 10,000-deep value overflows the stack).
 */
export const MAX_JSON_DEPTH = 64;
/**
 * Concatenated JSON: a record holding more objects than this is rejected whole, before any of them is parsed
 * (an 8 KB record of `{}{}{}…` is 4,000 objects; a 1 MiB one half a million).
 */
export const MAX_OBJECTS_PER_RECORD = 10_000;

/** Group keys are part of DynamoDB keys (≤ 2,048 bytes): at most 512 characters, so at most 2,048 UTF-8 bytes. */
export const MAX_KEY_CHARS = 512;

/**
 * Numeric fields: |x| ≤ 1e12, so that a window's sum of up to 9,007 values at the bound is still below 2^53
 * (exact, and what lib-dynamodb accepts without NumberValue); real data is far smaller (NAB's largest value is
 * 8.6e8). Sums that would pass 2^53 anyway are refused by `checkSum` (records/fields.ts).
 */
export const MAX_ABS_NUMBER = 1e12;
/**
 * Numeric fields: non-zero values smaller than this in magnitude are rejected: DynamoDB stores no magnitude
 * below 1e-130 (a write of 1e-200 fails and would block the shard), and sums or differences of values
 * ≥ 1e-100 stay far above that.
 */
export const MIN_ABS_NUMBER = 1e-100;
/** The largest magnitude a sum may reach and stay exact (and writable by lib-dynamodb). */
export const MAX_SAFE_SUM = Number.MAX_SAFE_INTEGER;

/** Event times are in [1970-01-01, 10000-01-01): four-digit years, and every window end is a valid Date. */
export const MIN_EVENT_TIME_MS = 0;
export const MAX_EVENT_TIME_MS = Date.UTC(10000, 0, 1);

/** Default: an event time more than 5 minutes ahead of the record's arrival is rejected (a producer clock ahead). */
export const DEFAULT_MAX_AHEAD_MS = 5 * 60 * 1000;
/**
 * Default: old event times are accepted however old (a replay of last year's data is a normal use); the
 * windows they fall in are late and merged into what was written (docs/records.md). Set a bound to reject them.
 */
export const DEFAULT_MAX_BEHIND_MS = Number.POSITIVE_INFINITY;
