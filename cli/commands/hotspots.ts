import type { Command } from 'commander';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { HotspotsInputError, HotspotsParameterError, HotspotsWindow } from '../../shared/hotspots';

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

function splitCsv(line: string): string[] {
  return line.split(',').map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
}

const isNumeric = (field: string) => field !== '' && Number.isFinite(Number(field));

/**
 * Reads CSV rows from `input` line by line (a first row that is not all numbers is the header and is skipped), pushes
 * each row's point into a HOTSPOTS sliding window and writes KDA's HOTSPOTS_RESULT JSON for it, one line per row.
 * Returns the number of rows read.
 */
export async function hotspotsCsv(input: Readable, output: Writable, options: HotspotsCliOptions): Promise<number> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let window: HotspotsWindow | undefined;
  let picks: number[] = [];
  let names: string[] = [];
  let header: string[] | undefined;
  let width = 0;
  let lineNo = 0;
  let rows = 0;
  let pending: string[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const chunk = pending.join('');
    pending = [];
    if (!output.write(chunk)) await once(output, 'drain');
  };

  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    const fields = splitCsv(line);
    if (!window) {
      const hasHeader = !fields.every(isNumeric);
      if (hasHeader) header = fields;
      width = fields.length;
      picks = selectColumns(options.columns, header, fields.length, lineNo);
      names = picks.map((i) => header?.[i] || `column ${i}`);
      try {
        window = new HotspotsWindow({
          windowSize: options.windowSize,
          scanRadius: options.scanRadius,
          minPoints: options.minPoints,
          dimensions: picks.length,
        });
      } catch (error) {
        if (error instanceof HotspotsParameterError) {
          const flag = FLAG_OF[error.parameter];
          throw new HotspotsCliError(
            flag
              ? error.message.replace(error.parameter, flag)
              : `${picks.length} columns: a point has 1 to 10 numeric columns (pick some with --columns)`,
          );
        }
        throw error;
      }
      if (hasHeader) continue;
    }
    if (!options.columns && fields.length !== width) {
      throw new HotspotsCliError(`line ${lineNo}: expected ${width} columns, got ${fields.length}: ${JSON.stringify(line)}`);
    }
    const point = new Array<number>(picks.length);
    for (let k = 0; k < picks.length; k++) {
      const field = fields[picks[k]!];
      if (field === undefined || !isNumeric(field)) {
        throw new HotspotsCliError(`line ${lineNo}: ${names[k]} is not a finite number: ${JSON.stringify(field ?? '')}`);
      }
      point[k] = Number(field);
    }
    try {
      window.push(point);
    } catch (error) {
      if (error instanceof HotspotsInputError) throw new HotspotsCliError(`line ${lineNo}: ${error.message}`);
      throw error;
    }
    rows++;
    pending.push(JSON.stringify(window.result()) + '\n');
    if (pending.length >= 256) await flush();
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
    throw new HotspotsCliError(
      `--columns: no column ${JSON.stringify(w)} on line ${lineNo} (columns: ${(header ?? []).join(', ') || `0–${count - 1}`})`,
    );
  });
}

function integer(flag: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new HotspotsCliError(`${flag} must be an integer, got ${JSON.stringify(value)}`);
    return Number(value);
  };
}

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
    .option('--columns <list>', 'comma-separated header names or 0-based indexes of the numeric columns (default: all)', (v: string) =>
      v.split(',').map((s) => s.trim()),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  npx stream-sentinel hotspots --window-size 1000 --scan-radius 0.2 --min-points 17 < points.csv\n' +
        '  npx stream-sentinel hotspots --scan-radius 0.005 --min-points 20 --columns latitude,longitude < players.csv | tail -1',
    )
    .action(async (opts: HotspotsCliOptions) => {
      await hotspotsCsv(process.stdin, process.stdout, opts);
    });
}
