import * as z from 'zod/mini';

/**
 * The detectors file (detectors.yml): what KDA's SQL pumps did, as data. Three kinds share the record
 * selection fields (format, csv layout, match, time): `rcf` detectors aggregate per key and tumbling window and
 * score each window with a per-key Random Cut Forest; `hotspots` detectors look for dense regions of points;
 * `records` detectors score every record as KDA's RANDOM_CUT_FOREST over raw rows did.
 *
 * Some settings are schema only: the runtime does not implement them yet, and the loader refuses them unless
 * asked for schema-only validation (shared/detectors/support.ts lists them and says why).
 *
 * zod/mini rather than classic zod: the same validation at a twentieth of the bundle size (Lambda cold start).
 */

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const FIELD = /^[^\s|]{1,128}$/;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Scalar = string | number | boolean | null;

const fieldName = z.string().check(z.regex(FIELD, 'a field name is 1–128 characters without spaces or "|"'));
const int = (lo: number, hi: number) =>
  z.int().check(z.gte(lo, `must be an integer from ${lo} to ${hi}`), z.lte(hi, `must be an integer from ${lo} to ${hi}`));

const csvLayout = z.strictObject({
  columns: z.array(fieldName).check(z.minLength(1, 'list the CSV columns in order, e.g. [date, station, plate]')),
  delimiter: z._default(z.string().check(z.length(1, 'the delimiter is a single character')), ','),
});

const timeSpec = z.union([
  z.pipe(
    fieldName,
    z.transform((field: string) => ({ field, format: 'auto' as const })),
  ),
  z.strictObject({
    field: fieldName,
    format: z._default(z.enum(['auto', 'iso', 'epochSeconds', 'epochMillis']), 'auto'),
  }),
]);

const AGGREGATE = /^(count|sum|avg|min|max|count_distinct)(?:\(([^()\s]+)\))?$/;

/** `count_distinct` (approximate) and `ratio` (of two other aggregates) are schema only for now (support.ts). */
export type AggregateFn = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'count_distinct' | 'ratio';
export interface AggregateSpec {
  name: string;
  fn: AggregateFn;
  field?: string;
  /** Conditional count/sum: only the records where every field matches (COUNT/SUM(CASE WHEN …)). */
  where?: Record<string, Scalar | Scalar[]>;
  /** For fn `ratio`: numerator and denominator, names of two other aggregates (clicks / impressions). */
  ratio?: [string, string];
}

const matchRule = z.record(fieldName, z.union([scalar, z.array(scalar).check(z.minLength(1))]));
const aggregateName = z
  .string()
  .check(z.regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'an aggregate name is a letter or _ followed by letters, digits or _'));

const aggregateSpec = z.union([
  z.pipe(
    z.string(),
    z.transform((text: string, ctx): AggregateSpec => {
      const m = AGGREGATE.exec(text.trim());
      if (!m) {
        ctx.issues.push({
          code: 'custom',
          input: text,
          message: `"${text}" is not an aggregate: write count, sum(field), avg(field), min(field) or max(field)`,
        });
        return z.NEVER;
      }
      const fn = m[1] as AggregateFn;
      const field = m[2];
      return field ? { fn, field, name: `${fn}_${field}` } : { fn, name: fn };
    }),
  ),
  z.strictObject({
    name: aggregateName,
    fn: z.enum(['count', 'sum', 'avg', 'min', 'max', 'count_distinct']),
    field: z.optional(fieldName),
    where: z.optional(matchRule),
  }),
  z.pipe(
    z.strictObject({ name: aggregateName, ratio: z.tuple([aggregateName, aggregateName]) }),
    z.transform((r): AggregateSpec => ({ name: r.name, fn: 'ratio', ratio: [r.ratio[0], r.ratio[1]] })),
  ),
]);

const STREAM_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const KINESIS_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/[A-Za-z0-9_.-]{1,128}$/;
const FIREHOSE_ARN = /^arn:aws[a-z-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream\/[A-Za-z0-9_.-]{1,64}$/;

/** Where a detector's results go, one record per result, in the shape KDA's output stream had. */
export interface OutputSpec {
  /** A Kinesis stream: a name declared by the service or an existing stream's ARN. */
  kinesis?: string;
  /** A Firehose delivery stream: a name declared by the service or an existing one's ARN. */
  firehose?: string;
  format: 'json' | 'csv';
  /**
   * Output columns in order, `name` spelt as the consumer reads it, `from` what fills it: ANOMALY_SCORE,
   * ANOMALY_SCORE_EXPLANATION, the key field, an aggregate, windowStart/windowEnd (rcf) or an input field (records).
   * Written `[station_id, anomaly_score]` (a name is its own source; ANOMALY_SCORE in any case is the score, as KDA
   * kept the stream's spelling) or `{ merchant: merchant.id }` to rename. Absent: the runtime's default columns.
   */
  columns?: OutputColumn[];
}

export interface OutputColumn {
  name: string;
  from: string;
}

/** KDA's result columns in any case; ANOMALY_EXPLANATION is the name some applications gave the explanation. */
const SCORE_NAMES: Record<string, string> = {
  ANOMALY_SCORE: 'ANOMALY_SCORE',
  ANOMALY_SCORE_EXPLANATION: 'ANOMALY_SCORE_EXPLANATION',
  ANOMALY_EXPLANATION: 'ANOMALY_SCORE_EXPLANATION',
};
const outputSource = (from: string): string => SCORE_NAMES[from.toUpperCase()] ?? from;

const outputColumn = z.union([
  z.pipe(
    fieldName,
    z.transform((name: string): OutputColumn => ({ name, from: outputSource(name) })),
  ),
  z.pipe(
    z.record(fieldName, fieldName),
    z.transform((m: Record<string, string>, ctx): OutputColumn => {
      const entries = Object.entries(m);
      if (entries.length !== 1) {
        ctx.issues.push({
          code: 'custom',
          input: m,
          message: 'a renamed column is one `name: source` pair, e.g. { merchant: merchant.id }',
        });
        return z.NEVER;
      }
      const [name, from] = entries[0]!;
      return { name, from: outputSource(from) };
    }),
  ),
]);

const outputSpec = z.strictObject({
  kinesis: z.optional(
    z
      .string()
      .check(
        z.refine(
          (s) => STREAM_NAME.test(s) || KINESIS_ARN.test(s),
          'a Kinesis stream name or arn:aws:kinesis:<region>:<account>:stream/<name>',
        ),
      ),
  ),
  firehose: z.optional(
    z
      .string()
      .check(
        z.refine(
          (s) => STREAM_NAME.test(s) || FIREHOSE_ARN.test(s),
          'a Firehose delivery stream name or arn:aws:firehose:<region>:<account>:deliverystream/<name>',
        ),
      ),
  ),
  format: z._default(z.enum(['json', 'csv']), 'json'),
  columns: z.optional(z.array(outputColumn).check(z.minLength(1))),
});

/** Alert on the raw KDA-scale score (`score ≥ threshold`, what a migrated Lambda did) or on the anomaly grade. */
export type AlertOn = 'score' | 'grade';
/** The one shipped default rule: the anomaly grade (shared/anomaly; docs/detectors.md). */
export const DEFAULT_ALERT_ON: AlertOn = 'grade';

/** Deviations from a feature's usual value that do not alert (shared/anomaly/suppress.ts). */
export interface SuppressionSpec {
  feature: string;
  minAbsolute?: number;
  minRelative?: number;
  direction?: 'both' | 'spikes' | 'dips';
}

const suppressionRule = z
  .strictObject({
    feature: z.string().check(z.minLength(1)),
    minAbsolute: z.optional(z.number().check(z.gte(0, "must be 0 or more (in the feature's units)"))),
    minRelative: z.optional(z.number().check(z.gte(0, 'must be 0 or more (0.2 = 20 % of usual)'))),
    direction: z.optional(z.enum(['both', 'spikes', 'dips'])),
  })
  .check(
    z.refine(
      (r) => r.minAbsolute !== undefined || r.minRelative !== undefined || (r.direction !== undefined && r.direction !== 'both'),
      'a suppression rule needs minAbsolute, minRelative or direction: spikes|dips (otherwise it suppresses nothing)',
    ),
  );

const rcfParams = z.strictObject({
  numberOfTrees: z._default(int(1, 1000), 100),
  subSampleSize: z._default(int(10, 1000), 256),
  timeDecay: z._default(int(1, 2 ** 31 - 1), 100000),
  shingleSize: z._default(int(1, 30), 1),
});

const common = {
  name: z.string().check(z.regex(NAME, 'a detector name starts with a letter and has up to 64 letters, digits, "_", "-" or "."')),
  format: z.enum(['json', 'csv']),
  csv: z.optional(csvLayout),
  /** Field → value (or list of accepted values); a record belongs to the detector when all hold. */
  match: z.optional(matchRule),
  time: z.optional(timeSpec),
  windowSeconds: z.optional(int(1, 7 * 86400)),
  threshold: z.optional(z.number().check(z.positive('must be more than 0'))),
  message: z.optional(z.string().check(z.minLength(1), z.maxLength(1000))),
  description: z.optional(z.string()),
};

/** Settings of the scoring kinds (rcf, records); records detectors do not grade yet (support.ts). */
const scoring = {
  /** RANDOM_CUT_FOREST_WITH_EXPLANATION: per-feature attribution with each score. */
  explain: z.optional(z.boolean()),
  outputs: z.optional(z.array(outputSpec).check(z.minLength(1))),
  alertOn: z.optional(z.enum(['score', 'grade'])),
  /** Per feature: deviations from usual too small (or in the wrong direction) to alert. */
  suppress: z.optional(z.array(suppressionRule).check(z.minLength(1), z.maxLength(30))),
};

const rcfDetectorFields = z.strictObject({
  ...common,
  ...scoring,
  kind: z._default(z.literal('rcf'), 'rcf'),
  key: fieldName,
  /** Hopping windows: every `everySeconds`, the last `windowSeconds` (KDA's sliding windows; shared/windows/hopping.ts). */
  everySeconds: z.optional(int(1, 7 * 86400)),
  aggregates: z._default(z.array(aggregateSpec).check(z.minLength(1, 'list at least one aggregate, e.g. [count]')), [
    { fn: 'count', name: 'count' },
  ]),
  features: z.optional(z.array(z.string()).check(z.minLength(1), z.maxLength(30))),
  rcf: z._default(rcfParams, { numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 }),
  /** Zero-count windows for keys seen within the last `windows` windows (a station gone quiet). */
  silentKeys: z._default(
    z.union([
      z.pipe(
        z.boolean(),
        z.transform((on: boolean): false | { windows: number } => (on ? { windows: 6 } : false)),
      ),
      z.strictObject({ windows: int(1, 10_000) }),
    ]),
    false,
  ),
  /** Keys remembered per shard for silentKeys (the registry item must stay far below 400 KB). */
  maxKeys: z._default(int(1, 5000), 2000),
  /**
   * Event-time detectors: seconds (arrival time) a window waits past its end for late records before it is scored
   * (shared/windows/watermark.ts); 0 scores it at the first Lambda window's end past its own. Ignored without `time`.
   */
  lateness: z._default(int(0, 900), 5),
});

/** A suppression rule is about one of the detector's features (the aggregate names when `features` is left out). */
const rcfDetectorInput = rcfDetectorFields.check(
  z.refine((d) => (d.suppress ?? []).every((r) => (d.features ?? d.aggregates.map((a) => a.name)).includes(r.feature)), {
    message: "each suppress rule names one of the detector's features (features, or the aggregate names when features is left out)",
    path: ['suppress'],
  }),
);

const hotspotsDetectorInput = z.strictObject({
  ...common,
  kind: z.literal('hotspots'),
  /** The numeric fields that make a point, e.g. [latitude, longitude]. */
  columns: z.array(fieldName).check(z.minLength(1), z.maxLength(10)),
  /** Points in KDA's HOTSPOTS sliding window. */
  windowSize: int(1, 100_000),
  scanRadius: z.number().check(z.positive('must be more than 0')),
  minPoints: int(2, 1_000_000),
});

const recordsDetectorInput = z.strictObject({
  ...common,
  ...scoring,
  kind: z.literal('records'),
  /** One forest per key; without a key, one forest per detector and shard (KDA had one per application). */
  key: z.optional(fieldName),
  /** The numeric fields scored, in column order (KDA: the numeric columns of the cursor's SELECT). */
  features: z.array(fieldName).check(z.minLength(1, 'list the numeric fields to score, e.g. [price]'), z.maxLength(30)),
  rcf: z._default(rcfParams, { numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 }),
  /** Store a record only when its score is at least this (plus periodic summaries), to stay cheap per record. */
  storeAbove: z.optional(z.number().check(z.gte(0, 'must be 0 or more'))),
});

export const detectorInput = z.discriminatedUnion('kind', [rcfDetectorInput, hotspotsDetectorInput, recordsDetectorInput]);

export const detectorsFileInput = z.strictObject({
  version: z.optional(z.literal(1)),
  detectors: z.array(z.unknown()).check(z.minLength(1, 'list at least one detector under `detectors:`')),
});

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

interface ScoringOptions {
  /** Attribution per feature (RANDOM_CUT_FOREST_WITH_EXPLANATION) in the outputs' ANOMALY_SCORE_EXPLANATION. */
  explain?: boolean;
  /** KDA-shaped output streams (shared/outputs). */
  outputs?: OutputSpec[];
  /** Absent = DEFAULT_ALERT_ON. */
  alertOn?: AlertOn;
  /** Suppression rules, applied after either rule; each names one of the detector's features. */
  suppress?: SuppressionSpec[];
}

export interface RcfDetector extends CommonDetector, ScoringOptions {
  kind: 'rcf';
  key: string;
  /** Hopping windows: a key is scored every everySeconds on its last windowSeconds (a multiple of it; docs/detectors.md). */
  everySeconds?: number;
  aggregates: AggregateSpec[];
  /** Aggregate names fed to the forest, in column order. */
  features: string[];
  rcf: RcfParams;
  silentKeys: false | { windows: number };
  maxKeys: number;
  /** Seconds an event-time window waits past its end before it is scored (absent: shared/windows/watermark.ts' default). */
  lateness?: number;
}

export interface HotspotsDetector extends CommonDetector {
  kind: 'hotspots';
  columns: string[];
  windowSize: number;
  scanRadius: number;
  minPoints: number;
}

/** Scored record by record by the windows function (shared/per-record). */
export interface RecordsDetector extends CommonDetector, ScoringOptions {
  kind: 'records';
  key?: string;
  features: string[];
  rcf: RcfParams;
  storeAbove?: number;
}

/** What the deployed functions run. */
export type Detector = RcfDetector | HotspotsDetector | RecordsDetector;
/** What a schema-only parse can return (the importer's output); the same kinds since the runtime runs `records`. */
export type AnyDetector = Detector;

export const DEFAULT_RCF_MESSAGE =
  '{detector}: {key} is unusual in the window starting {windowStart}: score {score} (threshold {threshold}), count {count}; {feature} {direction}';
export const DEFAULT_RECORDS_MESSAGE =
  '{detector}: an unusual record at {time}: score {score} (threshold {threshold}); {feature} {direction}';
export const DEFAULT_HOTSPOTS_MESSAGE = '{detector}: a hotspot of {points} points (density {density}) in the window starting {windowStart}';

/** Placeholders every rcf message may use besides the detector's aggregate names. */
export const RCF_PLACEHOLDERS = [
  'detector',
  'key',
  'score',
  'threshold',
  'windowStart',
  'windowEnd',
  'count',
  'feature',
  'direction',
] as const;

/** Placeholders every records message may use besides its feature names. */
export const RECORDS_PLACEHOLDERS = ['detector', 'key', 'score', 'threshold', 'time', 'feature', 'direction'] as const;

/**
 * The field that makes a JSON object a detector's when the detector has no match rule: its key, a hotspots
 * detector's first column, or a records detector's key else first feature (shared/records routeRecord), so that
 * detectors sharing a stream take only their own.
 */
export const defaultField = (d: Detector): string =>
  d.kind === 'rcf' ? d.key : d.kind === 'hotspots' ? d.columns[0]! : (d.key ?? d.features[0]!);
