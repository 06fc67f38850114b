/**
 * `stream-sentinel hotspots`: KDA's HOTSPOTS over a CSV of points on stdin (shared/hotspots), one JSON result per
 * point, so a team can check its HOTSPOTS parameters offline before deploying them.
 */
import type { Command } from 'commander';
import type { Readable, Writable } from 'node:stream';
import { HotspotsInputError, HotspotsParameterError, HotspotsWindow } from '../../shared/hotspots';
import { chunkedWriter, columnsOption, integerOption, numericRows } from '../numeric-csv';

export interface HotspotsCliOptions {
  windowSize: number;
  scanRadius: number;
  minPoints: number;
  /** Header names or 0-based indexes of the columns that make a point; all columns when omitted. */
  columns?: string[];
}

/** Input or options the command cannot use; the message says which line or flag and why. */
export class HotspotsCliError extends Error {
  override name = 'HotspotsCliError';
}

const FLAG_OF: Record<string, string> = { windowSize: '--window-size', scanRadius: '--scan-radius', minPoints: '--min-points' };

/**
 * Reads CSV rows from `input` line by line (a first row that is not all numbers is the header and is skipped), pushes
 * each row's point into a HOTSPOTS sliding window and writes KDA's HOTSPOTS_RESULT JSON for it, one line per row.
 * Returns the number of rows read.
 */
export async function hotspotsCsv(input: Readable, output: Writable, options: HotspotsCliOptions): Promise<number> {
  const out = chunkedWriter(output, 256);
  const fail = (message: string) => new HotspotsCliError(message);
  let window: HotspotsWindow | undefined;
  let rows = 0;
  for await (const { lineNo, values } of numericRows(input, {
    columns: options.columns,
    unnamed: (i) => `column ${i}`,
    label: (n) => n,
    fail,
  })) {
    window ??= createWindow(options, values.length);
    try {
      window.push(values);
    } catch (error) {
      if (error instanceof HotspotsInputError) throw fail(`line ${lineNo}: ${error.message}`);
      throw error;
    }
    rows++;
    await out.write(JSON.stringify(window.result()) + '\n');
  }
  await out.flush();
  return rows;
}

/** The sliding window for the options, its parameter errors reworded with the flag to change. */
function createWindow(options: HotspotsCliOptions, dimensions: number): HotspotsWindow {
  try {
    return new HotspotsWindow({ windowSize: options.windowSize, scanRadius: options.scanRadius, minPoints: options.minPoints, dimensions });
  } catch (error) {
    if (error instanceof HotspotsParameterError) {
      const flag = FLAG_OF[error.parameter];
      throw new HotspotsCliError(
        flag
          ? error.message.replace(error.parameter, flag)
          : `${dimensions} columns: a point has 1 to 10 numeric columns (pick some with --columns)`,
      );
    }
    throw error;
  }
}

const integer = (flag: string) => integerOption(flag, (message) => new HotspotsCliError(message));

function positive(flag: string) {
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x) || x <= 0)
      throw new HotspotsCliError(`${flag} must be a number greater than 0, got ${JSON.stringify(value)}`);
    return x;
  };
}

export function register(program: Command): void {
  program
    .command('hotspots')
    .description(
      "Find hotspots in CSV points from stdin with KDA's HOTSPOTS(cursor, windowSize, scanRadius, minimumNumberOfPointsInAHotspot): " +
        'prints one HOTSPOTS_RESULT JSON line per input row, for the last --window-size rows. A first row that is not all numbers is a header.',
    )
    .option('--window-size <n>', 'points in the sliding window (KDA: 100–1000)', integer('--window-size'), 1000)
    .requiredOption('--scan-radius <r>', "neighbourhood radius in the data's units (DBSCAN's ε)", positive('--scan-radius'))
    .requiredOption(
      '--min-points <k>',
      'points within the radius, the point included, that make a core point (2…window size)',
      integer('--min-points'),
    )
    .option('--columns <list>', 'comma-separated header names or 0-based indexes of the numeric columns (default: all)', columnsOption)
    .addHelpText(
      'after',
      '\nExamples:\n  npx stream-sentinel hotspots --window-size 1000 --scan-radius 0.2 --min-points 17 < points.csv\n' +
        '  npx stream-sentinel hotspots --scan-radius 0.005 --min-points 20 --columns latitude,longitude < players.csv | tail -1',
    )
    .action(async (opts: HotspotsCliOptions) => {
      await hotspotsCsv(process.stdin, process.stdout, opts);
    });
}
