import * as z from 'zod/mini';
import { StreamSentinelError } from '../errors';
import type { EventTimeBounds } from '../records/time';
import { CONFIG_DEFAULTS, envNumber, sharedEnv } from './env';

/**
 * The environment of the stream functions, windows and hotspots (docs/architecture.md), read and validated once
 * at cold start.
 */
export interface WindowsConfig {
  tableName: string;
  /** The Firehose delivery stream that keeps rejected records (in the archive bucket, under rejects/). */
  rejectsStream?: string;
  /** Local alternative to the delivery stream: rejects are written as files under this directory. */
  rejectsDir?: string;
  retentionDays: number;
  defaultThreshold: number;
  windowSeconds: number;
  detectorsFile?: string;
  modelCacheSize: number;
  modelSaveEvery: number;
  /** WINDOW_KEYS_PARTITIONED (shared/config/env.ts): a key's records all arrive on one shard. */
  keysPartitioned: boolean;
  /** How far a record's event time may be from its arrival (EVENT_TIME_MAX_AHEAD/BEHIND_SECONDS), in ms. */
  eventTime: EventTimeBounds;
}

export class WindowsConfigError extends StreamSentinelError {
  override readonly name = 'WindowsConfigError';
}

// zod/mini: the same validation as classic zod at a fraction of the bundle size (see shared/detectors/schema.ts).
const schemaFor = (fn: StreamFunction) =>
  z.object({
    TABLE_NAME: z
      .string({ error: `TABLE_NAME is not set: the data table the ${fn} function writes to` })
      .check(z.trim(), z.minLength(1, 'TABLE_NAME is empty: set it to the data table name')),
    REJECTS_STREAM: z.optional(z.string()),
    REJECTS_DIR: z.optional(z.string()),
    DATA_RETENTION_DAYS: sharedEnv.DATA_RETENTION_DAYS,
    ANOMALY_THRESHOLD: sharedEnv.ANOMALY_THRESHOLD,
    WINDOW_SECONDS: z._default(
      envNumber('WINDOW_SECONDS', "the function's tumbling window in seconds", (x) =>
        Number.isInteger(x) && x >= 1 && x <= 900
          ? undefined
          : 'WINDOW_SECONDS must be a whole number of seconds from 1 to 900 (Lambda tumbling windows)',
      ),
      CONFIG_DEFAULTS.windowSeconds,
    ),
    DETECTORS_FILE: z.optional(z.string()),
    MODEL_CACHE_SIZE: z._default(
      envNumber('MODEL_CACHE_SIZE', 'forests kept in a warm container', (x) =>
        Number.isInteger(x) && x >= 1 ? undefined : 'MODEL_CACHE_SIZE must be a whole number, at least 1',
      ),
      CONFIG_DEFAULTS.modelCacheSize,
    ),
    MODEL_SAVE_EVERY: z._default(
      envNumber('MODEL_SAVE_EVERY', 'windows of a key between saves of its forest', (x) =>
        Number.isInteger(x) && x >= 1 ? undefined : 'MODEL_SAVE_EVERY must be a whole number of windows, at least 1 (1: save every window)',
      ),
      CONFIG_DEFAULTS.modelSaveEvery,
    ),
    WINDOW_KEYS_PARTITIONED: z._default(
      z.pipe(
        z.string(),
        z.transform((raw: string, ctx) => {
          const text = raw.trim().toLowerCase();
          if (text === 'true' || text === 'false') return text === 'true';
          ctx.issues.push({
            code: 'custom',
            input: raw,
            message: `WINDOW_KEYS_PARTITIONED must be true (each key's records arrive on one shard: producers partition by the key) or false (any partitioning), got ${JSON.stringify(raw)}`,
          });
          return z.NEVER;
        }),
      ),
      CONFIG_DEFAULTS.keysPartitioned,
    ),
    EVENT_TIME_MAX_AHEAD_SECONDS: z._default(
      envNumber('EVENT_TIME_MAX_AHEAD_SECONDS', "how far a record's event time may be ahead of its arrival", (x) =>
        Number.isInteger(x) && x >= 0
          ? undefined
          : `EVENT_TIME_MAX_AHEAD_SECONDS must be a whole number of seconds, 0 or more (records dated further ahead of their arrival are rejected; default ${CONFIG_DEFAULTS.eventTimeMaxAheadSeconds})`,
      ),
      CONFIG_DEFAULTS.eventTimeMaxAheadSeconds,
    ),
    EVENT_TIME_MAX_BEHIND_SECONDS: z._default(maxBehindSeconds, CONFIG_DEFAULTS.eventTimeMaxBehindSeconds),
  });

/** `unlimited` (the default: old records are merged late) or a whole number of seconds. */
const maxBehindSeconds = z.pipe(
  z.string(),
  z.transform((raw: string, ctx) => {
    const text = raw.trim();
    if (text.toLowerCase() === 'unlimited') return Number.POSITIVE_INFINITY;
    const x = Number(text);
    if (/^\d+$/.test(text) && x >= 1) return x;
    ctx.issues.push({
      code: 'custom',
      input: raw,
      message: `EVENT_TIME_MAX_BEHIND_SECONDS must be a whole number of seconds, at least 1, or unlimited (the default: old records are merged late into the windows already written), got ${JSON.stringify(raw)}`,
    });
    return z.NEVER;
  }),
);

/** The functions that read this configuration; errors name the one that failed. */
export type StreamFunction = 'windows' | 'hotspots';

export function readWindowsConfig(env: NodeJS.ProcessEnv = process.env, fn: StreamFunction = 'windows'): WindowsConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schemaFor(fn).safeParse(present);
  if (!parsed.success)
    throw new WindowsConfigError(`${fn} function configuration: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const e = parsed.data;
  return {
    tableName: e.TABLE_NAME,
    ...(e.REJECTS_STREAM ? { rejectsStream: e.REJECTS_STREAM } : {}),
    ...(e.REJECTS_DIR ? { rejectsDir: e.REJECTS_DIR } : {}),
    retentionDays: e.DATA_RETENTION_DAYS,
    defaultThreshold: e.ANOMALY_THRESHOLD,
    windowSeconds: e.WINDOW_SECONDS,
    ...(e.DETECTORS_FILE ? { detectorsFile: e.DETECTORS_FILE } : {}),
    modelCacheSize: e.MODEL_CACHE_SIZE,
    modelSaveEvery: e.MODEL_SAVE_EVERY,
    keysPartitioned: e.WINDOW_KEYS_PARTITIONED,
    eventTime: { maxAheadMs: e.EVENT_TIME_MAX_AHEAD_SECONDS * 1000, maxBehindMs: e.EVENT_TIME_MAX_BEHIND_SECONDS * 1000 },
  };
}
