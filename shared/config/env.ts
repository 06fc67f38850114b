import * as z from 'zod/mini';
import { DEFAULT_MAX_AHEAD_MS } from '../records/limits';

/**
 * The one place configuration defaults live (issue 12: not in serverless params, zod and factory fallbacks at
 * once). The zod schemas default to these; factories that take a setting as an option (tests, local mode) fall
 * back to the same constants; serverless.yml may pass a stage's value but the code's default is this one.
 */
export const CONFIG_DEFAULTS = {
  /** DATA_RETENTION_DAYS */
  retentionDays: 30,
  /** ANOMALY_THRESHOLD */
  anomalyThreshold: 2,
  /** ALERT_COOLDOWN_SECONDS: after an alert, more anomalies of the same key are held back this long (0: off). */
  alertCooldownSeconds: 900,
  /** ALERT_DIGEST_THRESHOLD: more alerts than this due in one run go out as one digest. */
  alertDigestThreshold: 5,
  /** ALERT_CLAIM_TIMEOUT_SECONDS: an unfinished claim (a run that died) is taken over after this long. */
  alertClaimTimeoutSeconds: 300,
  /** WINDOW_SECONDS */
  windowSeconds: 10,
  /** MODEL_CACHE_SIZE: forests kept in a warm windows container. */
  modelCacheSize: 256,
  /**
   * MODEL_SAVE_EVERY: a key's forest is saved once this many of its windows were written since its last save (a
   * 3 KB item, 3 write units); between saves the window items hold what it learned (issue 14).
   */
  modelSaveEvery: 30,
  /**
   * WINDOW_KEYS_PARTITIONED: every record of a key arrives on one shard (producers put with the key, or a function of
   * it, as the partition key, as stream-sentinel's producers and most KPL applications do). Then a warm container
   * trusts its cached forests on a shard it keeps and puts fresh windows in batches (issue 14: 10,000 keys a shard).
   * Off, any partitioning is exact: every key's window is read and put conditionally, so two shards writing one key's
   * window merge instead of one overwriting the other.
   */
  keysPartitioned: false,
  /** Hotspots kept per window and shard (densest first), so an item stays far below DynamoDB's 400 KB. */
  maxHotspots: 50,
  /**
   * EVENT_TIME_MAX_AHEAD_SECONDS: a record whose event time is further ahead of its arrival is rejected (a producer
   * clock ahead, or a typo'd year, would move a key's model past every later window). The record kernel's default.
   */
  eventTimeMaxAheadSeconds: DEFAULT_MAX_AHEAD_MS / 1000,
  /**
   * EVENT_TIME_MAX_BEHIND_SECONDS: unset (or `unlimited`) accepts old event times however old, merged late into the
   * windows already written (replays of history are a normal use); a number of seconds rejects what is older.
   */
  eventTimeMaxBehindSeconds: Number.POSITIVE_INFINITY,
  /** The replay function stops taking records when less than this is left of its invoke: a last batch and its retries. */
  replayReserveMs: 20_000,
} as const;

/**
 * An environment variable holding a number: parsed from its text, then checked, with a message that names the
 * variable and what it should be. Shared by every function's configuration (zod/mini, for the bundle size).
 */
export const envNumber = (name: string, hint: string, check: (x: number) => string | undefined) =>
  z.pipe(
    z.string(),
    z.transform((raw: string, ctx) => {
      const x = Number(raw.trim());
      const problem = /^-?\d+(\.\d+)?$/.test(raw.trim()) ? check(x) : `${name} must be a number (${hint}), got ${JSON.stringify(raw)}`;
      if (problem) {
        ctx.issues.push({ code: 'custom', input: raw, message: problem });
        return z.NEVER;
      }
      return x;
    }),
  );

/** Variables every function reads, with the same default and the same message wherever they appear. */
export const sharedEnv = {
  DATA_RETENTION_DAYS: z._default(
    envNumber('DATA_RETENTION_DAYS', 'days items are kept before TTL deletes them', (x) =>
      x > 0 ? undefined : 'DATA_RETENTION_DAYS must be more than 0',
    ),
    CONFIG_DEFAULTS.retentionDays,
  ),
  ANOMALY_THRESHOLD: z._default(
    envNumber('ANOMALY_THRESHOLD', 'the score from which a window is an anomaly when its detector sets no threshold', (x) =>
      x > 0 ? undefined : 'ANOMALY_THRESHOLD must be more than 0',
    ),
    CONFIG_DEFAULTS.anomalyThreshold,
  ),
};
