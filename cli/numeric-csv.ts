import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { splitCsvLine } from '../shared/records/csv';
import type { Decoded } from '../shared/records/text';

/**
 * The stdin side of the commands that read CSV rows of numbers (`score`, `hotspots`): line by line, a first row
 * that is not all numbers is the header, `--columns` picks columns by name or index, and every problem is an
 * error naming the line (built by the command, so each command keeps its own error type). Fields are split by
 * the record kernel's CSV parser, so a row reads as it would on the stream (quoted fields may hold commas).
 */

export interface NumericCsvOptions {
  /** Header names or 0-based indexes of the columns to read; all columns when omitted. */
  columns?: string[];
  /** The name of column i when the input has no header. */
  unnamed: (index: number) => string;
  /** How a bad value's column is named in the message. */
  label: (name: string) => string;
  fail: (message: string) => Error;
  /**
   * Without `columns`, read only the numeric columns of the first data row instead of failing on the others (a
   * timestamp column); called once with the columns left out and those read, so the command can say which.
   */
  numericOnly?: (skipped: string[], picked: string[]) => void;
  /** Called once on the first data row with the header's columns that are not numbers there and not read. */
  textColumns?: (names: string[]) => void;
  /** A column (header name or 0-based index) whose raw text each row carries as `id`, e.g. the timestamp. */
  idColumn?: string;
}

export interface NumericRow {
  lineNo: number;
  values: number[];
  /** The picked columns' names, the same array on every row. */
  names: string[];
  /** The row's `idColumn` text (absent without one). */
  id?: string;
}

/** One row's fields: the record kernel's CSV parser (shared/records/csv.ts), or the reason the line does not parse. */
export function splitCsv(line: string): Decoded<string[]> {
  return splitCsvLine(line);
}

const isNumeric = (field: string) => field !== '' && Number.isFinite(Number(field));

export async function* numericRows(input: Readable, options: NumericCsvOptions): AsyncGenerator<NumericRow> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let picks: number[] | undefined;
  let names: string[] = [];
  let header: string[] | undefined;
  let headerLine = 0;
  let seenFirst = false;
  let idIndex: number | undefined;
  let width = 0;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    const split = splitCsv(line);
    if (!split.ok) throw options.fail(`line ${lineNo}: ${split.reason}`);
    const fields = split.value;
    if (!seenFirst) {
      seenFirst = true;
      header = fields.every(isNumeric) ? undefined : fields;
      width = fields.length;
      headerLine = lineNo;
      if (header) continue;
    }
    if (!picks) {
      // Columns are chosen on the first data row: with numericOnly, its text columns are left out.
      picks = selectColumns(options, header, width, headerLine);
      if (!options.columns && options.numericOnly && header) {
        const numeric = picks.filter((i) => isNumeric(fields[i] ?? ''));
        if (numeric.length && numeric.length < picks.length) {
          const left = picks.filter((i) => !numeric.includes(i));
          picks = numeric;
          options.numericOnly(
            left.map((i) => header![i] || options.unnamed(i)),
            picks.map((i) => header![i] || options.unnamed(i)),
          );
        }
      }
      names = picks.map((i) => header?.[i] || options.unnamed(i));
      if (header && options.textColumns) options.textColumns(header.filter((_, i) => !picks!.includes(i) && !isNumeric(fields[i] ?? '')));
      if (options.idColumn !== undefined)
        idIndex = selectColumns({ ...options, columns: [options.idColumn] }, header, width, headerLine)[0];
    }
    if (!options.columns && fields.length !== width) {
      throw options.fail(`line ${lineNo}: expected ${width} columns, got ${fields.length}: ${JSON.stringify(line)}`);
    }
    const values = new Array<number>(picks.length);
    for (let k = 0; k < picks.length; k++) {
      const field = fields[picks[k]!];
      if (field === undefined || !isNumeric(field)) {
        const hint =
          options.numericOnly && !options.columns && header && picks.length > 1
            ? ` (pick the numeric columns with --columns ${
                picks
                  .filter((i) => isNumeric(fields[i] ?? ''))
                  .map((i) => header![i])
                  .join(',') || '<names>'
              })`
            : '';
        throw options.fail(`line ${lineNo}: ${options.label(names[k]!)} is not a finite number: ${JSON.stringify(field ?? '')}${hint}`);
      }
      values[k] = Number(field);
    }
    yield idIndex === undefined ? { lineNo, values, names } : { lineNo, values, names, id: fields[idIndex] ?? '' };
  }
}

function selectColumns(options: NumericCsvOptions, header: string[] | undefined, count: number, lineNo: number): number[] {
  if (!options.columns) return Array.from({ length: count }, (_, i) => i);
  return options.columns.map((w) => {
    const byName = header?.indexOf(w) ?? -1;
    if (byName >= 0) return byName;
    if (/^\d+$/.test(w) && Number(w) < count) return Number(w);
    throw options.fail(
      `--columns: no column ${JSON.stringify(w)} on line ${lineNo} (columns: ${(header ?? []).join(', ') || `0–${count - 1}`})`,
    );
  });
}

/** Output lines gathered and written in chunks, waiting for `drain` when the consumer is slower (a pipe to `head`). */
export function chunkedWriter(output: Writable, linesPerChunk: number) {
  let pending: string[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const chunk = pending.join('');
    pending = [];
    if (!output.write(chunk)) await once(output, 'drain');
  };
  return {
    flush,
    write: async (line: string): Promise<void> => {
      pending.push(line);
      if (pending.length >= linesPerChunk) await flush();
    },
  };
}

/** A commander option parser for a whole number, failing with the command's own error. */
export const integerOption =
  (flag: string, fail: (message: string) => Error) =>
  (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw fail(`${flag} must be an integer, got ${JSON.stringify(value)}`);
    return Number(value);
  };

/** A commander option parser for `--columns a,b,c`. */
export const columnsOption = (v: string): string[] => v.split(',').map((s) => s.trim());
