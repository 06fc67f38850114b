import type { Command } from 'commander';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { RandomCutForest, RcfInputError, RcfParameterError } from '../../shared/rcf';

export interface ScoreOptions {
  trees: number;
  sampleSize: number;
  timeDecay: number;
  shingleSize: number;
  seed?: number;
  explain: boolean;
  /** Header names or 0-based indexes of the columns to score; all columns when omitted. */
  columns?: string[];
}

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

function splitCsv(line: string): string[] {
  return line.split(',').map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
}

function isNumeric(field: string): boolean {
  return field !== '' && Number.isFinite(Number(field));
}

function formatScore(x: number): string {
  return String(Number(x.toFixed(6)));
}

/**
 * Reads CSV rows of numbers line by line (a first row that is not all numbers is the header), scores each
 * row with a forest (score then update) and writes one score per line; with `explain`, the score, a tab and
 * KDA's RANDOM_CUT_FOREST_WITH_EXPLANATION-style JSON keyed by column name (COL0… without a header).
 * Returns the number of rows scored.
 */
export async function scoreCsv(input: Readable, output: Writable, options: ScoreOptions): Promise<number> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let forest: RandomCutForest | undefined;
  let picks: number[] = [];
  let names: string[] = [];
  let header: string[] | undefined;
  let lineNo = 0;
  let rows = 0;
  let pending: string[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const chunk = pending.join('');
    pending = [];
    if (!output.write(chunk)) await once(output, 'drain');
  };
  const record: number[] = [];

  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    const fields = splitCsv(line);
    if (!forest) {
      const hasHeader = !fields.every(isNumeric);
      if (hasHeader) header = fields;
      picks = selectColumns(options.columns, header, fields.length, lineNo);
      names = picks.map((i) => header?.[i] || `COL${i}`);
      try {
        forest = new RandomCutForest({
          numberOfTrees: options.trees,
          subSampleSize: options.sampleSize,
          timeDecay: options.timeDecay,
          shingleSize: options.shingleSize,
          dimensions: picks.length,
          seed: options.seed,
        });
      } catch (error) {
        if (error instanceof RcfParameterError) {
          const message = error.message.replace(/^(\w+)/, (name) => FLAG_OF[name] ?? (name === 'dimensions' ? 'number of columns' : name));
          throw new ScoreInputError(message);
        }
        throw error;
      }
      if (hasHeader) continue;
    }
    const expected = header?.length ?? picks.length;
    if (!options.columns && fields.length !== expected) {
      throw new ScoreInputError(`line ${lineNo}: expected ${expected} columns, got ${fields.length}: ${JSON.stringify(line)}`);
    }
    record.length = picks.length;
    for (let k = 0; k < picks.length; k++) {
      const field = fields[picks[k]!];
      if (field === undefined || !isNumeric(field)) {
        throw new ScoreInputError(`line ${lineNo}: column ${names[k]} is not a finite number: ${JSON.stringify(field ?? '')}`);
      }
      record[k] = Number(field);
    }
    let result;
    try {
      result = forest.process(record, { explain: options.explain });
    } catch (error) {
      if (error instanceof RcfInputError) throw new ScoreInputError(`line ${lineNo}: ${error.message}`);
      throw error;
    }
    rows++;
    if (options.explain) {
      const explanation: Record<string, { ATTRIBUTION_SCORE: number; DIRECTION: 'HIGH' | 'LOW' }> = {};
      result.attribution!.forEach((a, k) => {
        explanation[names[k]!] = { ATTRIBUTION_SCORE: Number(formatScore(a.score)), DIRECTION: a.direction };
      });
      pending.push(`${formatScore(result.score)}\t${JSON.stringify(explanation)}\n`);
    } else pending.push(`${formatScore(result.score)}\n`);
    if (pending.length >= 1024) await flush();
  }
  await flush();
  return rows;
}

function selectColumns(wanted: string[] | undefined, header: string[] | undefined, count: number, lineNo: number): number[] {
  if (!wanted) return Array.from({ length: count }, (_, i) => i);
  return wanted.map((w) => {
    const byName = header?.indexOf(w) ?? -1;
    if (byName >= 0) return byName;
    if (/^\d+$/.test(w) && Number(w) < count) return Number(w);
    throw new ScoreInputError(
      `--columns: no column ${JSON.stringify(w)} on line ${lineNo} (columns: ${(header ?? []).join(', ') || `0–${count - 1}`})`,
    );
  });
}

function integer(flag: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new ScoreInputError(`${flag} must be an integer, got ${JSON.stringify(value)}`);
    return Number(value);
  };
}

export function register(program: Command): void {
  program
    .command('score')
    .description(
      'Score CSV rows from stdin with a Random Cut Forest (KDA RANDOM_CUT_FOREST semantics: score then update, 0 during warm-up); ' +
        'prints one score per row. Use it to pick alert thresholds offline.',
    )
    .option('--trees <n>', 'numberOfTrees (1–1000)', integer('--trees'), 100)
    .option('--sample-size <n>', 'subSampleSize (10–1000)', integer('--sample-size'), 256)
    .option('--time-decay <n>', 'timeDecay (1–2147483647)', integer('--time-decay'), 100000)
    .option('--shingle-size <n>', 'shingleSize (1–30)', integer('--shingle-size'), 1)
    .option('--seed <n>', 'random seed, for reproducible scores', integer('--seed'))
    .option('--explain', 'also print the per-column attribution JSON (RANDOM_CUT_FOREST_WITH_EXPLANATION style), tab-separated', false)
    .option('--columns <list>', 'comma-separated header names or 0-based indexes of the columns to score (default: all)', (v: string) =>
      v.split(',').map((s) => s.trim()),
    )
    .addHelpText(
      'after',
      '\nExample:\n  cut -d, -f2 data.csv | npx stream-sentinel score --seed 1 --explain\n  npx stream-sentinel score --columns value < nab.csv',
    )
    .action(async (opts: ScoreOptions) => {
      await scoreCsv(process.stdin, process.stdout, opts);
    });
}
