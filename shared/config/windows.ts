import { z } from 'zod';

/** The windows function's environment (docs/architecture.md), read and validated once at cold start. */
export interface WindowsConfig {
  tableName: string;
  rejectsBucket?: string;
  /** Local alternative to the bucket: rejects are written as files under this directory. */
  rejectsDir?: string;
  retentionDays: number;
  defaultThreshold: number;
  windowSeconds: number;
  detectorsFile?: string;
  modelCacheSize: number;
}

export class WindowsConfigError extends Error {
  override readonly name = 'WindowsConfigError';
}

const number = (name: string, hint: string) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, `${name} must be a number (${hint})`)
    .transform(Number);

const schema = z.object({
  TABLE_NAME: z.string({ error: 'TABLE_NAME is not set: the data table the windows function writes to' }).trim().min(1, 'TABLE_NAME is empty: set it to the data table name'),
  REJECTS_BUCKET: z.string().trim().optional(),
  REJECTS_DIR: z.string().trim().optional(),
  DATA_RETENTION_DAYS: number('DATA_RETENTION_DAYS', 'days items are kept before TTL deletes them').pipe(z.number().positive('DATA_RETENTION_DAYS must be more than 0')).default(30),
  ANOMALY_THRESHOLD: number('ANOMALY_THRESHOLD', 'the score from which a window is an anomaly when its detector sets no threshold').pipe(z.number().positive('ANOMALY_THRESHOLD must be more than 0')).default(2),
  WINDOW_SECONDS: number('WINDOW_SECONDS', "the function's tumbling window in seconds").pipe(z.number().int('WINDOW_SECONDS must be a whole number of seconds').min(1).max(900, 'WINDOW_SECONDS is at most 900 (Lambda tumbling windows)')).default(10),
  DETECTORS_FILE: z.string().trim().optional(),
  MODEL_CACHE_SIZE: number('MODEL_CACHE_SIZE', 'forests kept in a warm container').pipe(z.number().int().min(1)).default(256),
});

export function readWindowsConfig(env: NodeJS.ProcessEnv = process.env): WindowsConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) throw new WindowsConfigError(`windows function configuration: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const e = parsed.data;
  return {
    tableName: e.TABLE_NAME,
    ...(e.REJECTS_BUCKET ? { rejectsBucket: e.REJECTS_BUCKET } : {}),
    ...(e.REJECTS_DIR ? { rejectsDir: e.REJECTS_DIR } : {}),
    retentionDays: e.DATA_RETENTION_DAYS,
    defaultThreshold: e.ANOMALY_THRESHOLD,
    windowSeconds: e.WINDOW_SECONDS,
    ...(e.DETECTORS_FILE ? { detectorsFile: e.DETECTORS_FILE } : {}),
    modelCacheSize: e.MODEL_CACHE_SIZE,
  };
}
