import type { OutputColumn, RcfDetector, RecordsDetector } from '../detectors/schema';

/**
 * KDA-shaped result records (issue 15 item 2), pure: what one scored window or record becomes on a detector's
 * output stream. KDA wrote each row of the in-application stream it was told to output, with the columns spelt as
 * that stream declared them, as one JSON object or one CSV line per Kinesis/Firehose record; a consumer written for
 * it (seed 001's SendNotification reads `stationData['anomaly_score']`) must keep working unchanged.
 */

export const SCORE = 'ANOMALY_SCORE';
export const EXPLANATION = 'ANOMALY_SCORE_EXPLANATION';

/** One result: its values by source name (ANOMALY_SCORE, the key field, aggregates, input fields, …). */
export interface ResultRow {
  detector: string;
  /** Where the row goes within a Kinesis output (records of one key stay in order on one shard). */
  partitionKey: string;
  values: Record<string, unknown>;
}

export interface Attribution {
  column: string;
  score: number;
  direction: 'HIGH' | 'LOW';
}

/**
 * RANDOM_CUT_FOREST_WITH_EXPLANATION's column: a JSON text, per feature `ATTRIBUTION_SCORE` and `DIRECTION`
 * (docs/rcf.md; the same shape `stream-sentinel score --explain` prints).
 */
export function explanationText(attribution: readonly Attribution[]): string {
  const out: Record<string, { ATTRIBUTION_SCORE: number; DIRECTION: 'HIGH' | 'LOW' }> = {};
  for (const a of attribution) out[a.column] = { ATTRIBUTION_SCORE: a.score, DIRECTION: a.direction };
  return JSON.stringify(out);
}

export interface ScoredWindow {
  key: string;
  startMs: number;
  endMs: number;
  aggregates: Record<string, number>;
  score: number;
  attribution?: readonly Attribution[];
}

/** A scored window as a row: the key under the detector's key field, its aggregates, window bounds, the score. */
export function windowRow(d: RcfDetector, w: ScoredWindow): ResultRow {
  return {
    detector: d.name,
    partitionKey: w.key,
    values: {
      [d.key]: w.key,
      ...w.aggregates,
      windowStart: new Date(w.startMs).toISOString(),
      windowEnd: new Date(w.endMs).toISOString(),
      [SCORE]: w.score,
      ...(w.attribution ? { [EXPLANATION]: explanationText(w.attribution) } : {}),
    },
  };
}

/** A scored input record as a row: its own fields (KDA's input columns) plus the score. */
export function recordRow(
  d: RecordsDetector,
  fields: Record<string, unknown>,
  score: number,
  attribution: readonly Attribution[] | undefined,
  partitionKey: string,
): ResultRow {
  return {
    detector: d.name,
    partitionKey,
    values: { ...fields, [SCORE]: score, ...(attribution ? { [EXPLANATION]: explanationText(attribution) } : {}) },
  };
}

const column = (name: string): OutputColumn => ({ name, from: name });

/**
 * Columns when an output lists none, KDA's default: the input columns (a window detector's key and aggregates; a
 * records detector's CSV columns, or the JSON record's own fields, in their order), then ANOMALY_SCORE and, with
 * `explain`, ANOMALY_SCORE_EXPLANATION.
 */
export function defaultColumns(d: RcfDetector | RecordsDetector, row?: ResultRow): OutputColumn[] {
  const scores = [SCORE, ...(d.explain ? [EXPLANATION] : [])].map(column);
  if (d.kind === 'rcf') return [d.key, ...d.aggregates.map((a) => a.name)].map(column).concat(scores);
  if (d.csv) return d.csv.columns.map(column).concat(scores);
  const own = Object.keys(row?.values ?? {}).filter((k) => k !== SCORE && k !== EXPLANATION);
  return own.map(column).concat(scores);
}

/** A value by source name: the field itself, else a dotted path into nested JSON (`merchant.id`). */
export function valueOf(values: Record<string, unknown>, from: string): unknown {
  if (Object.prototype.hasOwnProperty.call(values, from)) return values[from];
  let v: unknown = values;
  for (const part of from.split('.')) {
    if (typeof v !== 'object' || v === null || !Object.prototype.hasOwnProperty.call(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** RFC 4180: a field with the delimiter, a quote or a line break is quoted, quotes doubled. */
function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The record text: a JSON object with the columns in order (a value the row lacks is null, as a SQL column would
 * be), or one CSV line of them. No line end: the caller adds one where records are concatenated (Firehose).
 */
export function formatRow(row: ResultRow, columns: readonly OutputColumn[], format: 'json' | 'csv'): string {
  if (format === 'csv') return columns.map((c) => csvField(valueOf(row.values, c.from))).join(',');
  const out: Record<string, unknown> = {};
  for (const c of columns) {
    const v = valueOf(row.values, c.from);
    out[c.name] = v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? null : v;
  }
  return JSON.stringify(out);
}
