import type { RcfDetector, RecordsDetector } from '../detectors/schema';
import { RandomCutForest } from '../rcf';
import { checkNumericField, getField, keyField, parseEventTime, routeText, splitCsvLine, type Fields } from '../records';
import {
  aggregateRecords,
  compileDetector,
  emptyState,
  liveModel,
  parseEntryKey,
  scoreWindow,
  seedFor,
  toAggregate,
  type LiveModel,
  type WindowAggregate,
} from '../windows';
import { asStep, hopPlan, hopWindows, type HopSpan } from '../windows/hopping';
import { mean, pearson, spearman } from './correlation';

/**
 * The migration's acceptance check: stream-sentinel's scores for the rows a KDA application scored, next to
 * KDA's own ANOMALY_SCORE — correlation (Pearson and rank), the mean ratio, and which alerts at the detector's
 * threshold agree. Per-record detectors score each row with one forest per key (or one); window detectors fold
 * the rows with the windows function's own aggregation (shared/windows) and score each key's windows in order with
 * its own scoring (scoreWindow, whose explaining arithmetic is the deployed one). A hopping detector's windows are
 * the ones the windows function scores (shared/windows/hopping.ts): per key, once per step with records, the merge
 * of its last windowSeconds / everySeconds steps, oldest first. Pure: texts in, numbers out.
 */

export class CompareError extends Error {
  override readonly name = 'CompareError';
}

export interface CompareOptions {
  /** KDA's scores are multiplied by this first (NAB publishes KDA's scores divided by 8: use 8). */
  kdaScale?: number;
  /** Column of the KDA output holding the key (window detectors; default: the detector's key). */
  kdaKey?: string;
  /** Column of the recorded input with the arrival time, for detectors on arrival time (KDA's ROWTIME). */
  arrivalField?: string;
  /**
   * Window detectors: score every key's windows with one forest in KDA's row order, as KDA did, instead of one
   * forest per key as the deployed detector does — separates the forest's fidelity from the per-key difference.
   */
  oneForest?: boolean;
  /** Rows listed in `differences` at most. */
  maxDifferences?: number;
  /** Also return every compared row in `rows` (with the features scored, for window detectors). */
  rows?: boolean;
}

export interface ComparedRow {
  /** Position among the compared rows (records: the input row; windows: the KDA row). */
  index: number;
  key?: string;
  /** Window start (ISO) for window detectors; for a hopping detector the hopping window's (it ends with its step). */
  window?: string;
  /** Window detectors: the forest's input for this window. */
  features?: number[];
  ours: number;
  kda: number;
}

export interface CompareReport {
  detector: string;
  kind: 'rcf' | 'records';
  threshold: number;
  compared: number;
  /** Rows where both scores are past warm-up (both above 0): the correlations use these. */
  warm: number;
  pearson: number;
  spearman: number;
  /** mean(ours) / mean(KDA) over the warm rows. */
  meanRatio: number;
  alerts: { both: number; onlyOurs: number; onlyKda: number; neither: number };
  /** Rows where one side alerts and the other does not, first `maxDifferences`. */
  differences: ComparedRow[];
  /** Every compared row, when asked (`rows: true`). */
  rows?: ComparedRow[];
  notes: string[];
}

/** Rows of a CSV file with a header line, or of JSON lines (one object per line). */
export function parseRows(text: string, what: string): Fields[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) throw new CompareError(`${what}: no rows`);
  if (lines[0]!.trimStart().startsWith('{')) {
    return lines.map((l, i) => {
      try {
        return JSON.parse(l) as Fields;
      } catch (error) {
        throw new CompareError(`${what}, line ${i + 1}: not JSON (${error instanceof Error ? error.message : String(error)})`, {
          cause: error,
        });
      }
    });
  }
  const header = splitCsvLine(lines[0]!);
  if (!header.ok) throw new CompareError(`${what}, header: ${header.reason}`);
  return lines.slice(1).map((l, i) => {
    const values = splitCsvLine(l);
    if (!values.ok) throw new CompareError(`${what}, line ${i + 2}: ${values.reason}`);
    if (values.value.length !== header.value.length)
      throw new CompareError(`${what}, line ${i + 2}: ${values.value.length} fields, the header has ${header.value.length}`);
    return Object.fromEntries(header.value.map((h, k) => [h, values.value[k]]));
  });
}

const findColumn = (row: Fields, name: string): string | undefined =>
  name in row ? name : Object.keys(row).find((k) => k.toLowerCase() === name.toLowerCase());

/** KDA's ANOMALY_SCORE column (any case) of each output row, scaled. */
function kdaScores(rows: Fields[], scale: number): number[] {
  const column = rows[0] && findColumn(rows[0], 'ANOMALY_SCORE');
  if (!column) throw new CompareError(`the KDA output has no ANOMALY_SCORE column (columns: ${Object.keys(rows[0] ?? {}).join(', ')})`);
  return rows.map((r, i) => {
    const x = Number(r[column]);
    if (r[column] === '' || r[column] === null || !Number.isFinite(x))
      throw new CompareError(`KDA output row ${i + 1}: ANOMALY_SCORE ${JSON.stringify(r[column])} is not a number`);
    return x * scale;
  });
}

export { pearson, ranks, spearman } from './correlation';

function summarise(detector: RcfDetector | RecordsDetector, rows: ComparedRow[], notes: string[], options: CompareOptions): CompareReport {
  const max = options.maxDifferences ?? 20;
  const t = detector.threshold;
  const warm = rows.filter((r) => r.ours > 0 && r.kda > 0);
  const ours = warm.map((r) => r.ours);
  const kda = warm.map((r) => r.kda);
  const alerts = { both: 0, onlyOurs: 0, onlyKda: 0, neither: 0 };
  const differences: ComparedRow[] = [];
  for (const r of rows) {
    const a = r.ours >= t;
    const b = r.kda >= t;
    if (a && b) alerts.both++;
    else if (a) alerts.onlyOurs++;
    else if (b) alerts.onlyKda++;
    else alerts.neither++;
    if (a !== b && differences.length < max) differences.push(r);
  }
  return {
    detector: detector.name,
    kind: detector.kind,
    threshold: t,
    compared: rows.length,
    warm: warm.length,
    pearson: pearson(ours, kda),
    spearman: spearman(ours, kda),
    meanRatio: warm.length ? mean(ours) / mean(kda) : Number.NaN,
    alerts,
    differences,
    ...(options.rows ? { rows } : {}),
    notes,
  };
}

/** The text a stream would have carried for a recorded row: the CSV line as is, or the JSON object. */
function recordTexts(inputText: string, detector: RcfDetector | RecordsDetector): string[] {
  const lines = inputText.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (detector.format === 'csv' && detector.csv) {
    const header = splitCsvLine(lines[0] ?? '', detector.csv.delimiter);
    // A recorded file usually starts with the column names; the stream never carried them.
    if (header.ok && header.value.join('\u0000') === detector.csv.columns.join('\u0000')) return lines.slice(1);
  }
  return lines;
}

function compareRecords(detector: RecordsDetector, inputText: string, kda: number[], options: CompareOptions): CompareReport {
  const notes: string[] = [];
  const texts = recordTexts(inputText, detector);
  const forests = new Map<string, RandomCutForest>();
  const rows: ComparedRow[] = [];
  let skipped = 0;
  let notTaken = 0;
  const field = (d: RecordsDetector) => d.key ?? d.features[0]!;
  for (const text of texts) {
    const { events } = routeText(text, [detector], field);
    if (!events.length) notTaken++;
    for (const ev of events) {
      const key = detector.key ? keyField(ev.fields, detector.key) : { ok: true as const, value: '' };
      const values = detector.features.map((f) => checkNumericField(f, getField(ev.fields, f)));
      if (!key.ok || values.some((v) => !v.ok)) {
        skipped++;
        continue;
      }
      let forest = forests.get(key.value);
      if (!forest)
        forests.set(
          key.value,
          (forest = new RandomCutForest({
            ...detector.rcf,
            dimensions: detector.features.length,
            seed: seedFor(detector.name, key.value),
          })),
        );
      const score = forest.process(values.map((v) => (v as { value: number }).value)).score;
      rows.push({ index: rows.length, ...(detector.key ? { key: key.value } : {}), ours: score, kda: Number.NaN });
    }
  }
  if (notTaken)
    notes.push(
      `${notTaken} input rows not taken by the detector (its match rule, or no ${detector.key ?? detector.features[0]} field): not scored`,
    );
  if (skipped)
    notes.push(
      `${skipped} input rows skipped: no key or a feature that is not a number (KDA would have rejected them to its error stream)`,
    );
  if (rows.length !== kda.length)
    notes.push(
      `${rows.length} rows scored, the KDA output has ${kda.length}: compared the first ${Math.min(rows.length, kda.length)} in order (a WHERE in the KDA application, or a different recording, shifts them)`,
    );
  const n = Math.min(rows.length, kda.length);
  const compared = rows.slice(0, n).map((r, i) => ({ ...r, kda: kda[i]! }));
  if (!detector.key) notes.push('one forest for every row (no key), as KDA had');
  else notes.push(`one forest per ${detector.key}; KDA had one for all keys, so expect lower agreement than for one series`);
  return summarise(detector, compared, notes, options);
}

/** A window as scored; a hopping detector's is its step carrying the hopping window's values and `hop` span. */
export type RecordedWindow = WindowAggregate & { hop?: HopSpan };

/** What a window detector scores for a recording: per key, its windows in time order (see detectorWindows). */
export interface RecordedWindows {
  byKey: Map<string, RecordedWindow[]>;
  notes: string[];
}

/**
 * The windows the windows function would score for a recording: the rows folded with its own aggregation
 * (compileDetector, aggregateRecords), per key in time order. For a hopping detector the records fold in steps and
 * each step with records brings the hopping window hopWindows makes of the key's steps (the step and the k − 1 before
 * it), as prepareHopJob hands it to scoring: the step's bounds and counts, the hopping window's aggregates, features
 * and `hop` span. Windows whose features are not all finite numbers stay in the list (the function writes them
 * unscored).
 */
export function detectorWindows(detector: RcfDetector, inputText: string, options: CompareOptions = {}): RecordedWindows {
  const notes: string[] = [];
  if (!detector.time && !options.arrivalField)
    throw new CompareError(
      `${detector.name} windows by arrival time (KDA's ROWTIME), which a recording does not have: give the column holding each row's arrival time (--arrival-field), or set time: in the detector`,
    );
  const texts = recordTexts(inputText, detector);
  const compiled = compileDetector(detector);
  const state = emptyState();
  // With event time, a recording's arrival is unknown: say it arrived after every event, so the record kernel's
  // "event time ahead of arrival" bound never rejects history (old events are accepted as late, not rejected).
  const LATE_ARRIVAL = Date.UTC(9999, 11, 31);
  const records = texts.map((text, i) => {
    let arrivalMs = LATE_ARRIVAL;
    if (options.arrivalField) {
      const fields = routeText(text, [detector], () => options.arrivalField!).events[0]?.fields;
      const t = fields ? parseEventTime(getField(fields, options.arrivalField)) : undefined;
      if (!t?.ok) throw new CompareError(`input row ${i + 1}: arrival field ${options.arrivalField}: ${t ? t.reason : 'missing'}`);
      arrivalMs = t.value;
    }
    return { data: Buffer.from(text, 'utf8').toString('base64'), sequenceNumber: String(i), arrivalMs };
  });
  const rejects = aggregateRecords(state, records, [compiled]);
  if (rejects.length) notes.push(`${rejects.length} input rows rejected by the detector (first: ${rejects[0]!.reason})`);
  const byKey = new Map<string, RecordedWindow[]>();
  for (const [entry, partials] of Object.entries(state.w)) {
    const { key, startMs } = parseEntryKey(entry);
    const list = byKey.get(key) ?? [];
    list.push(toAggregate(compiled, key, startMs, partials, false, state.s?.[entry]));
    byKey.set(key, list);
  }
  for (const windows of byKey.values()) windows.sort((a, b) => a.startMs - b.startMs);
  const plan = hopPlan(detector);
  if (plan) {
    for (const [key, list] of byKey) {
      const steps = list.map((w) => asStep(detector, w));
      // Every step of the recording is fresh at once: hopWindow merges only the steps up to each one, so this is the
      // same window as scoring step by step across emissions.
      const { windows } = hopWindows(detector, key, steps, []);
      byKey.set(
        key,
        steps.map((step, i) => {
          const h = windows[i]!;
          const { features: _stepFeatures, ...own } = step;
          return {
            ...own,
            aggregates: h.aggregates,
            ...(h.features ? { features: h.features } : {}),
            hop: { startMs: h.startMs, endMs: h.endMs, count: h.count },
          };
        }),
      );
    }
    notes.push(
      `hopping: every ${detector.everySeconds} s the last ${detector.windowSeconds} s, scored once per ${detector.key} and step with records (the merge of its last ${plan.steps} steps), as the windows function does; a row's window is the hopping window's start`,
    );
  }
  if (detector.silentKeys) notes.push('silentKeys: the zero-count windows of quiet keys are not replayed here (KDA had none either)');
  return { byKey, notes };
}

function compareWindows(
  detector: RcfDetector,
  inputText: string,
  kdaRows: Fields[],
  kda: number[],
  options: CompareOptions,
): CompareReport {
  const { byKey, notes } = detectorWindows(detector, inputText, options);
  // KDA wrote one row per key and window, in time order: the n-th row of a key is the key's n-th window.
  const keyColumn = kdaRows[0] && findColumn(kdaRows[0], options.kdaKey ?? detector.key);
  if (!keyColumn)
    throw new CompareError(`the KDA output has no ${options.kdaKey ?? detector.key} column to match keys on (give --kda-key)`);
  const seen = new Map<string, number>();
  const matched: Array<{ index: number; key: string; window: RecordedWindow }> = [];
  let unmatched = 0;
  kdaRows.forEach((r, i) => {
    const key = String(r[keyColumn]);
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    const window = byKey.get(key)?.filter((w) => w.features)[n];
    if (!window) return void unmatched++;
    matched.push({ index: i, key, window });
  });
  if (unmatched) notes.push(`${unmatched} KDA rows have no window here (a key or window the recording does not cover)`);
  const models = new Map<string, LiveModel>();
  const modelFor = (key: string) => {
    // oneForest: KDA's arrangement, every key's rows through one forest in KDA's row order.
    const id = options.oneForest ? '' : key;
    let m = models.get(id);
    if (!m) models.set(id, (m = liveModel(detector, id, undefined).model));
    return m;
  };
  // Per key, windows in time order (the matched rows are in KDA's order, which is time order within a key).
  const rows: ComparedRow[] = matched.map(({ index, key, window }) => {
    return {
      index,
      key,
      window: new Date(window.hop ? window.hop.startMs : window.startMs).toISOString(),
      features: window.features!,
      ours: scoreWindow(modelFor(key), window).score!,
      kda: kda[index]!,
    };
  });
  notes.push(
    options.oneForest
      ? `one forest for every ${detector.key}, fed in KDA's row order, as KDA did (the deployed detector keeps one per ${detector.key})`
      : `one forest per ${detector.key}; KDA had one for all keys (and shingled rows of different keys together): --one-forest scores as KDA did`,
  );
  return summarise(detector, rows, notes, options);
}

/** Scores the recorded input with `detector` and sets the result beside KDA's output. */
export function compareWithKda(
  detector: RcfDetector | RecordsDetector,
  inputText: string,
  kdaText: string,
  options: CompareOptions = {},
): CompareReport {
  const kdaRows = parseRows(kdaText, 'KDA output');
  const kda = kdaScores(kdaRows, options.kdaScale ?? 1);
  return detector.kind === 'records'
    ? compareRecords(detector, inputText, kda, options)
    : compareWindows(detector, inputText, kdaRows, kda, options);
}

const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** The report as text lines, for the command line. */
export function reportText(r: CompareReport): string[] {
  return [
    `${r.detector} (${r.kind}): ${r.compared} rows compared, ${r.warm} past warm-up on both sides`,
    `score correlation: Pearson ${fmt(r.pearson)}, rank (Spearman) ${fmt(r.spearman)}; mean ratio stream-sentinel / KDA ${fmt(r.meanRatio)}`,
    `alerts at threshold ${r.threshold}: both ${r.alerts.both}, only stream-sentinel ${r.alerts.onlyOurs}, only KDA ${r.alerts.onlyKda}, neither ${r.alerts.neither}`,
    ...r.differences.map(
      (d) =>
        `  differs: row ${d.index + 1}${d.key !== undefined ? ` key ${d.key}` : ''}${d.window ? ` window ${d.window}` : ''}: stream-sentinel ${fmt(d.ours)}, KDA ${fmt(d.kda)}`,
    ),
    ...r.notes.map((n) => `note: ${n}`),
  ];
}
