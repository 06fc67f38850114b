/**
 * `stream-sentinel score`: a Random Cut Forest over CSV rows on stdin, printing per row the raw KDA-scale score and,
 * on request, the anomaly grade and the default rule's alert decision (shared/anomaly) — the same numbers the windows
 * function computes, checkable offline.
 */
import type { Command } from 'commander';
import type { Readable, Writable } from 'node:stream';
import { AnomalyGrader, decideAlert, type AlertOn } from '../../shared/anomaly';
import { CONFIG_DEFAULTS } from '../../shared/config/env';
import { RandomCutForest, RcfInputError, RcfParameterError } from '../../shared/rcf';
import { chunkedWriter, columnsOption, integerOption, numericRows } from '../numeric-csv';

export interface ScoreOptions {
  trees: number;
  sampleSize: number;
  timeDecay: number;
  shingleSize: number;
  seed?: number;
  explain: boolean;
  /** Header names or 0-based indexes of the columns to score; all columns when omitted. */
  columns?: string[];
  /**
   * Per-row fields to print as CSV (`line` first, then these in order): the raw score, the anomaly grade, the
   * alert decision of the rule, the short-term average score the grade judges, the grade's threshold, the
   * expected (usual) value of each column.
   * Without it, one score per line (the KDA-style output).
   */
  output?: OutputField[];
  /** The alert rule: `grade` (the shipped default) or `score` (KDA's score ≥ threshold). */
  alertOn?: AlertOn;
  /**
   * The detector's score threshold: what `alertOn: score` compares with, and for the grade rule its fallback while
   * learning and its peak-score floor. Without it the grade rule uses the functions' default (ANOMALY_THRESHOLD, 2),
   * as a detector that sets no threshold does.
   */
  threshold?: number;
  /** Seconds between rows (the window length), needed by the grade with `output`. */
  windowSeconds?: number;
  /**
   * What identifies each row in the output, printed before its score: a column (header name or index), `line` for
   * the input line number, or `none`. Default: the first column that is not a number (a timestamp), else none;
   * with `explain`, none.
   */
  id?: string;
  /** Where notes go (which columns were left out of the scoring); stderr in the CLI. */
  notes?: (text: string) => void;
}

export const OUTPUT_FIELDS = ['score', 'grade', 'alert', 'average', 'threshold', 'expected'] as const;
export type OutputField = (typeof OUTPUT_FIELDS)[number];

/** A CSV row that cannot be scored; the message names the line. */
export class ScoreInputError extends Error {
  override name = 'ScoreInputError';
}

const FLAG_OF: Record<string, string> = {
  numberOfTrees: '--trees',
  subSampleSize: '--sample-size',
  timeDecay: '--time-decay',
  shingleSize: '--shingle-size',
  seed: '--seed',
};

function formatScore(x: number): string {
  return String(Number(x.toFixed(6)));
}

/**
 * Reads CSV rows of numbers line by line (a first row that is not all numbers is the header), scores each
 * row with a forest (score then update) and writes one score per line — after a header, each beside its row id
 * (`id`: by default the first text column, a timestamp, whose columns are then left out of the scoring with a note;
 * `line`; none for all-numeric input, KDA's form); with `explain`, the score, a tab and
 * KDA's RANDOM_CUT_FOREST_WITH_EXPLANATION-style JSON keyed by column name (COL0… without a header).
 * With `output`, CSV instead: a header, then per row its input line number and the chosen fields — the raw
 * score, the anomaly grade and the alert decision of shared/anomaly's default rule (decideAlert; one grader
 * for the whole input, as for one key). Returns the number of rows scored.
 */
export async function scoreCsv(input: Readable, output: Writable, options: ScoreOptions): Promise<number> {
  const out = chunkedWriter(output, 1024);
  const fail = (message: string) => new ScoreInputError(message);
  const fields = options.output;
  if (fields && options.explain)
    throw fail('--explain and --output cannot be combined: --explain prints the KDA-style score and attribution only');
  const alertOn = options.alertOn ?? 'grade';
  if (fields && options.windowSeconds === undefined)
    throw fail(
      '--output needs --window-seconds (the time between rows, e.g. 10 for 10-second windows, 300 for 5-minute data): the grade budgets false alerts per hour',
    );
  if (alertOn === 'score' && options.threshold === undefined)
    throw fail('--alert-on score needs --threshold (the score from which an alert is owed, e.g. 3.5)');
  let forest: RandomCutForest | undefined;
  let grader: AnomalyGrader | undefined;
  let rows = 0;
  // The id column is only known once the header and the first row are read: numericOnly reports the text columns.
  let idColumn = options.id !== undefined && options.id !== 'line' && options.id !== 'none' ? options.id : undefined;
  const idIsLine = options.id === 'line';
  const rowsIn = numericRows(input, {
    columns: options.columns,
    unnamed: (i) => `COL${i}`,
    label: (n) => `column ${n}`,
    fail,
    // --explain keeps KDA's two-column form unless --id asks for a row id.
    textColumns: (text) => {
      if (options.id === undefined && !options.explain) idColumn ??= text[0];
    },
    numericOnly: (skipped, picked) => {
      if (options.id === undefined && !options.explain) idColumn = skipped[0];
      options.notes?.(
        `score: ${skipped.length === 1 ? 'column' : 'columns'} ${skipped.join(', ')} ${skipped.length === 1 ? 'is' : 'are'} not numeric; scoring ${picked.join(', ')}` +
          `${idColumn && options.id === undefined ? ` with ${idColumn} as the row id` : ''} (pick the numeric columns with --columns ${picked.join(',')})\n`,
      );
    },
    get idColumn() {
      return idColumn;
    },
  });
  for await (const { lineNo, values, names, id } of rowsIn) {
    const rowId = idIsLine ? String(lineNo) : id;
    const prefix = rowId === undefined ? '' : `${csvCell(rowId)},`;
    forest ??= createForest(options, values.length);
    let result;
    try {
      result = forest.process(values, { explain: options.explain });
    } catch (error) {
      if (error instanceof RcfInputError) throw fail(`line ${lineNo}: ${error.message}`);
      throw error;
    }
    rows++;
    if (fields) {
      if (!grader) {
        grader = new AnomalyGrader(values.length, { windowSeconds: options.windowSeconds! });
        await out.write(`${['line', ...fields.flatMap((f) => (f === 'expected' ? names.map((n) => `expected_${n}`) : [f]))].join(',')}\n`);
      }
      // The same decision as the windows function's for a detector with this threshold (shared/anomaly/grade.ts).
      const graded = grader.update(result.score, values, options.threshold ?? CONFIG_DEFAULTS.anomalyThreshold);
      const decision = decideAlert({ alertOn, score: result.score, threshold: options.threshold ?? Infinity, gradeAlert: graded.alert });
      const cells = fields.flatMap((f): string[] => {
        if (f === 'score') return [formatScore(result.score)];
        if (f === 'grade') return [formatScore(graded.grade)];
        if (f === 'alert') return [decision.alert ? '1' : '0'];
        if (f === 'average') return [formatScore(graded.smoothedScore)];
        if (f === 'threshold') return [formatScore(graded.threshold)];
        return graded.expected.map((e) => (e === null ? '' : formatScore(e)));
      });
      await out.write(`${lineNo},${cells.join(',')}\n`);
    } else if (options.explain) {
      if (rows === 1 && prefix) await out.write(`${idIsLine ? 'line' : csvCell(idColumn!)}\tscore\texplanation\n`);
      const explanation: Record<string, { ATTRIBUTION_SCORE: number; DIRECTION: 'HIGH' | 'LOW' }> = {};
      result.attribution!.forEach((a, k) => {
        explanation[names[k]!] = { ATTRIBUTION_SCORE: Number(formatScore(a.score)), DIRECTION: a.direction };
      });
      await out.write(`${prefix ? `${rowId}\t` : ''}${formatScore(result.score)}\t${JSON.stringify(explanation)}\n`);
    } else {
      if (rows === 1 && prefix) await out.write(`${idIsLine ? 'line' : csvCell(idColumn!)},score\n`);
      await out.write(`${prefix}${formatScore(result.score)}\n`);
    }
  }
  await out.flush();
  return rows;
}

/** A CSV field, quoted when it holds a comma, a quote or a line break. */
const csvCell = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

/** The forest for the options, its parameter errors reworded with the flag to change. */
function createForest(options: ScoreOptions, dimensions: number): RandomCutForest {
  try {
    return new RandomCutForest({
      numberOfTrees: options.trees,
      subSampleSize: options.sampleSize,
      timeDecay: options.timeDecay,
      shingleSize: options.shingleSize,
      dimensions,
      seed: options.seed,
    });
  } catch (error) {
    if (error instanceof RcfParameterError) {
      throw new ScoreInputError(
        error.message.replace(/^(\w+)/, (name) => FLAG_OF[name] ?? (name === 'dimensions' ? 'number of columns' : name)),
      );
    }
    throw error;
  }
}

const integer = (flag: string) => integerOption(flag, (message) => new ScoreInputError(message));

function outputOption(value: string): OutputField[] {
  const picked = value
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const unknown = picked.filter((f) => !(OUTPUT_FIELDS as readonly string[]).includes(f));
  if (picked.length === 0 || unknown.length > 0) {
    throw new ScoreInputError(`--output: unknown field ${JSON.stringify(unknown[0] ?? value)} (fields: ${OUTPUT_FIELDS.join(', ')})`);
  }
  return picked as OutputField[];
}

function alertOnOption(value: string): AlertOn {
  if (value !== 'grade' && value !== 'score') throw new ScoreInputError(`--alert-on must be grade or score, got ${JSON.stringify(value)}`);
  return value;
}

function thresholdOption(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x < 0)
    throw new ScoreInputError(`--threshold must be a number ≥ 0, got ${JSON.stringify(value)}`);
  return x;
}

export function register(program: Command): void {
  program
    .command('score')
    .description(
      'Score CSV rows from stdin with a Random Cut Forest (KDA RANDOM_CUT_FOREST semantics: score then update, 0 during warm-up); ' +
        'prints one score per row (beside its row id when the CSV has a text column such as a timestamp, which is then not scored), or with --output the score, anomaly grade and alert decision per row. Use it to check alert rules offline.',
    )
    .option('--trees <n>', 'numberOfTrees (1–1000)', integer('--trees'), 100)
    .option('--sample-size <n>', 'subSampleSize (10–1000)', integer('--sample-size'), 256)
    .option('--time-decay <n>', 'timeDecay (1–2147483647)', integer('--time-decay'), 100000)
    .option('--shingle-size <n>', 'shingleSize (1–30)', integer('--shingle-size'), 1)
    .option('--seed <n>', 'random seed, for reproducible scores', integer('--seed'))
    .option('--explain', 'also print the per-column attribution JSON (RANDOM_CUT_FOREST_WITH_EXPLANATION style), tab-separated', false)
    .option('--columns <list>', 'comma-separated header names or 0-based indexes of the columns to score (default: all)', columnsOption)
    .option(
      '--output <fields>',
      `print CSV with the input line number and these fields per row: ${OUTPUT_FIELDS.join(', ')} (e.g. score,grade,alert)`,
      outputOption,
    )
    .option(
      '--alert-on <rule>',
      'alert rule for the alert field: grade (the shipped default rule) or score (score ≥ --threshold, as KDA)',
      alertOnOption,
      'grade',
    )
    .option(
      '--threshold <score>',
      "the detector's score threshold: compared with by --alert-on score; for the grade rule its fallback while learning and peak-score floor (default 2)",
      thresholdOption,
    )
    .option('--window-seconds <n>', 'seconds between rows (the window length), for --output', integer('--window-seconds'))
    .option(
      '--id <column|line|none>',
      'what to print before each score: a column (e.g. timestamp), line (the input line number) or none (default: the first column that is not a number, else none; none with --explain)',
    )
    .addHelpText(
      'after',
      '\nExample:\n  cut -d, -f2 data.csv | npx stream-sentinel score --seed 1 --explain\n  npx stream-sentinel score --columns value < nab.csv\n' +
        '  npx stream-sentinel score --columns value --output score,grade,alert,expected --window-seconds 300 < nab.csv   # line,score,grade,alert,expected_value',
    )
    .action(async (opts: ScoreOptions) => {
      const rows = await scoreCsv(process.stdin, process.stdout, { ...opts, notes: (text) => process.stderr.write(text) });
      // Nothing scored is most often the wrong file or an empty pipe: say so, and fail like grep finding nothing.
      if (rows === 0) {
        process.stderr.write(
          'score: no rows to score: stdin was empty or held only a header line (pipe a CSV of numbers, e.g. < data.csv)\n',
        );
        process.exitCode = 1;
      }
    });
}
