import type { Command } from 'commander';
import type { Readable, Writable } from 'node:stream';
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
  const out = chunkedWriter(output, 1024);
  const fail = (message: string) => new ScoreInputError(message);
  let forest: RandomCutForest | undefined;
  let rows = 0;
  for await (const { lineNo, values, names } of numericRows(input, { columns: options.columns, unnamed: (i) => `COL${i}`, label: (n) => `column ${n}`, fail })) {
    forest ??= createForest(options, values.length);
    let result;
    try {
      result = forest.process(values, { explain: options.explain });
    } catch (error) {
      if (error instanceof RcfInputError) throw fail(`line ${lineNo}: ${error.message}`);
      throw error;
    }
    rows++;
    if (options.explain) {
      const explanation: Record<string, { ATTRIBUTION_SCORE: number; DIRECTION: 'HIGH' | 'LOW' }> = {};
      result.attribution!.forEach((a, k) => {
        explanation[names[k]!] = { ATTRIBUTION_SCORE: Number(formatScore(a.score)), DIRECTION: a.direction };
      });
      await out.write(`${formatScore(result.score)}\t${JSON.stringify(explanation)}\n`);
    } else await out.write(`${formatScore(result.score)}\n`);
  }
  await out.flush();
  return rows;
}

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
      throw new ScoreInputError(error.message.replace(/^(\w+)/, (name) => FLAG_OF[name] ?? (name === 'dimensions' ? 'number of columns' : name)));
    }
    throw error;
  }
}

const integer = (flag: string) => integerOption(flag, (message) => new ScoreInputError(message));

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
    .option('--columns <list>', 'comma-separated header names or 0-based indexes of the columns to score (default: all)', columnsOption)
    .addHelpText(
      'after',
      '\nExample:\n  cut -d, -f2 data.csv | npx stream-sentinel score --seed 1 --explain\n  npx stream-sentinel score --columns value < nab.csv',
    )
    .action(async (opts: ScoreOptions) => {
      await scoreCsv(process.stdin, process.stdout, opts);
    });
}
