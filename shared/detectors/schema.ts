import { z } from 'zod';

/**
 * The detectors file (detectors.yml): what KDA's SQL pumps did, as data. Two kinds share the record
 * selection fields (format, csv layout, match, time): `rcf` detectors aggregate per key and tumbling window and
 * score each window with a per-key Random Cut Forest; `hotspots` detectors look for dense regions of points.
 */

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const FIELD = /^[^\s|]{1,128}$/;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof scalar>;

const fieldName = z.string().regex(FIELD, 'a field name is 1–128 characters without spaces or "|"');

const csvLayout = z
  .object({
    columns: z.array(fieldName).min(1, 'list the CSV columns in order, e.g. [date, station, plate]'),
    delimiter: z.string().length(1, 'the delimiter is a single character').default(','),
  })
  .strict();

const timeSpec = z.union([
  fieldName.transform((field) => ({ field, format: 'auto' as const })),
  z
    .object({
      field: fieldName,
      format: z.enum(['auto', 'iso', 'epochSeconds', 'epochMillis']).default('auto'),
    })
    .strict(),
]);

const AGGREGATE = /^(count|sum|avg|min|max)(?:\(([^()\s]+)\))?$/;

const aggregateSpec = z.union([
  z.string().transform((text, ctx) => {
    const m = AGGREGATE.exec(text.trim());
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not an aggregate: write count, sum(field), avg(field), min(field) or max(field)` });
      return z.NEVER;
    }
    const fn = m[1] as AggregateFn;
    const field = m[2];
    return { fn, field, name: field ? `${fn}_${field}` : fn };
  }),
  z
    .object({
      name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'an aggregate name is a letter or _ followed by letters, digits or _'),
      fn: z.enum(['count', 'sum', 'avg', 'min', 'max']),
      field: fieldName.optional(),
    })
    .strict(),
]);

export type AggregateFn = 'count' | 'sum' | 'avg' | 'min' | 'max';
export interface AggregateSpec {
  name: string;
  fn: AggregateFn;
  field?: string;
}

const rcfParams = z
  .object({
    numberOfTrees: z.number().int().min(1).max(1000).default(100),
    subSampleSize: z.number().int().min(10).max(1000).default(256),
    timeDecay: z.number().int().min(1).max(2 ** 31 - 1).default(100000),
    shingleSize: z.number().int().min(1).max(30).default(1),
  })
  .strict();

const common = {
  name: z.string().regex(NAME, 'a detector name starts with a letter and has up to 64 letters, digits, "_", "-" or "."'),
  format: z.enum(['json', 'csv']),
  csv: csvLayout.optional(),
  /** Field → value (or list of accepted values); a record belongs to the detector when all hold. */
  match: z.record(fieldName, z.union([scalar, z.array(scalar).min(1)])).optional(),
  time: timeSpec.optional(),
  windowSeconds: z.number().int().min(1).max(7 * 86400).optional(),
  threshold: z.number().positive().optional(),
  message: z.string().min(1).max(1000).optional(),
  description: z.string().optional(),
};

const rcfDetectorInput = z
  .object({
    ...common,
    kind: z.literal('rcf').default('rcf'),
    key: fieldName,
    aggregates: z.array(aggregateSpec).min(1, 'list at least one aggregate, e.g. [count]').default([{ fn: 'count', name: 'count' }]),
    features: z.array(z.string()).min(1).max(30).optional(),
    rcf: rcfParams.default({ numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 }),
    /** Zero-count windows for keys seen within the last `windows` windows (a station gone quiet). */
    silentKeys: z
      .union([
        z.boolean().transform((on) => (on ? { windows: 6 } : false as const)),
        z.object({ windows: z.number().int().min(1).max(10_000) }).strict(),
      ])
      .default(false),
    /** Keys remembered per shard for silentKeys (the registry item must stay far below 400 KB). */
    maxKeys: z.number().int().min(1).max(5000).default(2000),
  })
  .strict();

const hotspotsDetectorInput = z
  .object({
    ...common,
    kind: z.literal('hotspots'),
    /** The numeric fields that make a point, e.g. [latitude, longitude]. */
    columns: z.array(fieldName).min(1).max(10),
    /** Points in KDA's HOTSPOTS sliding window. */
    windowSize: z.number().int().min(1).max(100_000),
    scanRadius: z.number().positive(),
    minPoints: z.number().int().min(2),
  })
  .strict();

export const detectorInput = z.discriminatedUnion('kind', [
  rcfDetectorInput,
  hotspotsDetectorInput,
]);

export const detectorsFileInput = z
  .object({
    version: z.literal(1).optional(),
    detectors: z.array(z.unknown()).min(1, 'list at least one detector under `detectors:`'),
  })
  .strict();

interface CommonDetector {
  name: string;
  format: 'json' | 'csv';
  csv?: { columns: string[]; delimiter: string };
  match?: Record<string, Scalar | Scalar[]>;
  time?: { field: string; format: 'auto' | 'iso' | 'epochSeconds' | 'epochMillis' };
  windowSeconds: number;
  threshold: number;
  message: string;
  description?: string;
}

export interface RcfParams {
  numberOfTrees: number;
  subSampleSize: number;
  timeDecay: number;
  shingleSize: number;
}

export interface RcfDetector extends CommonDetector {
  kind: 'rcf';
  key: string;
  aggregates: AggregateSpec[];
  /** Aggregate names fed to the forest, in column order. */
  features: string[];
  rcf: RcfParams;
  silentKeys: false | { windows: number };
  maxKeys: number;
}

export interface HotspotsDetector extends CommonDetector {
  kind: 'hotspots';
  columns: string[];
  windowSize: number;
  scanRadius: number;
  minPoints: number;
}

export type Detector = RcfDetector | HotspotsDetector;

export const DEFAULT_RCF_MESSAGE =
  '{detector}: {key} is unusual in the window starting {windowStart}: score {score} (threshold {threshold}), count {count}; {feature} {direction}';
export const DEFAULT_HOTSPOTS_MESSAGE = '{detector}: a hotspot of {points} points (density {density}) in the window starting {windowStart}';

/** Placeholders every rcf message may use besides the detector's aggregate names. */
export const RCF_PLACEHOLDERS = ['detector', 'key', 'score', 'threshold', 'windowStart', 'windowEnd', 'count', 'feature', 'direction'] as const;
