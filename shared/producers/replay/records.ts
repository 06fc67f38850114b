import { jsonFrames, lineFrames, ReplayFormatError, type Frame } from './frames';

/**
 * Replay records from a file's bytes: the framing (frames.ts) plus what each record's event time and
 * partition key are. Records go to the stream as they are in the file (the CSV line, the JSON object's text).
 */

export type ReplayFormat = 'csv' | 'ndjson' | 'json-concat';

export interface ReplayReadOptions {
  format?: ReplayFormat | 'auto';
  /** Field holding the event time (CSV: header name or 0-based column); found by name when omitted. */
  timeField?: string;
  /** Field holding the group key used as partition key; found by name when omitted, else `defaultKey`. */
  keyField?: string;
  /** Partition key for records without a key field (e.g. the file's name for a NAB series). */
  defaultKey?: string;
  /**
   * CSV only: the header. `auto` (default) treats the first line as a header when none of its fields is a
   * number or a date; `none` means there is none; an array is the header of a file read from an offset.
   */
  header?: 'auto' | 'none' | string[];
  /** Byte offset of the first chunk in the file (a resumed read). */
  startOffset?: number;
}

export interface ReplayRecord {
  data: string;
  partitionKey: string;
  key: string;
  /** From the time field; absent when the file has none (then there is no pace to keep). */
  eventTime?: Date;
  /** Byte offset just past this record in the file: where to continue after it. */
  offset: number;
  /** 0-based position among the records read in this pass. */
  index: number;
}

export const TIME_FIELDS = ['timestamp', 'time', 'date', 'datetime', 'event_time', 'eventTime', 'ts'];
export const KEY_FIELDS = ['key', 'station', 'station_id', 'location', 'player_id', 'url', 'ticker_symbol', 'symbol', 'id', 'name'];

const DATE_PREFIX = /^\d{4}-\d{2}-\d{2}/;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Event time from a field value: ISO-8601 (UTC when it has no zone, like NAB's "2014-07-01 00:00:00") or
 * epoch seconds / milliseconds. Only strings that start like a date are parsed, so "Exit29" is not a date.
 */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? (Math.abs(value) < 1e11 ? value * 1000 : value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return parseEventTime(Number(text));
  if (!DATE_PREFIX.test(text)) return undefined;
  const iso = text.replace(' ', 'T');
  const ms = Date.parse(HAS_ZONE.test(iso) || iso.length <= 10 ? iso : `${iso}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Splits one CSV line; quoted fields may hold commas and doubled quotes. */
export function splitCsv(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

const looksLikeValue = (field: string) => /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(field) || parseEventTime(field) !== undefined;

/** A CSV line's fields when it is a header (no field is a number or a date), else undefined. */
export function csvHeader(line: string): string[] | undefined {
  const fields = splitCsv(line.replace(/^\uFEFF/, ''));
  return fields.some(looksLikeValue) ? undefined : fields.map((f) => f.trim());
}

/** Which format a file is in from its first bytes: a "{" means JSON objects (concatenated or one per line). */
export function detectFormat(firstBytes: Buffer): ReplayFormat {
  for (const c of firstBytes) {
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xef || c === 0xbb || c === 0xbf) continue;
    return c === 0x7b ? 'json-concat' : 'csv';
  }
  return 'csv';
}

/** Lets the first chunk be looked at (format detection) and then replays it. */
async function peek(chunks: AsyncIterable<Uint8Array | string>): Promise<{ first: Buffer; rest: AsyncIterable<Uint8Array | string> }> {
  const it = chunks[Symbol.asyncIterator]();
  const head = await it.next();
  const first = head.done ? Buffer.alloc(0) : typeof head.value === 'string' ? Buffer.from(head.value) : Buffer.from(head.value);
  return {
    first,
    rest: {
      async *[Symbol.asyncIterator]() {
        if (first.length) yield first;
        for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
      },
    },
  };
}

function columnIndex(field: string, header: string[] | undefined, what: string): number {
  if (header) {
    const i = header.indexOf(field);
    if (i >= 0) return i;
  }
  if (/^\d+$/.test(field)) return Number(field);
  throw new ReplayFormatError(
    `${what} "${field}" is not ${header ? `a column of the header (${header.join(', ')})` : 'a column number (the file has no header)'}`,
    0,
  );
}

/** Reads records from a file's chunks (fs or S3 stream), incrementally. */
export async function* readReplayRecords(
  chunks: AsyncIterable<Uint8Array | string>,
  options: ReplayReadOptions = {},
): AsyncGenerator<ReplayRecord> {
  const startOffset = options.startOffset ?? 0;
  let format = options.format ?? 'auto';
  let source = chunks;
  if (format === 'auto') {
    const peeked = await peek(chunks);
    format = detectFormat(peeked.first);
    source = peeked.rest;
  }
  const defaultKey = options.defaultKey ?? 'replay';
  if (format === 'csv') yield* csvRecords(lineFrames(source, startOffset), options, defaultKey);
  else yield* jsonRecords(format === 'ndjson' ? lineFrames(source, startOffset) : jsonFrames(source, startOffset), options, defaultKey);
}

async function* jsonRecords(frames: AsyncIterable<Frame>, options: ReplayReadOptions, defaultKey: string): AsyncGenerator<ReplayRecord> {
  let index = 0;
  for await (const frame of frames) {
    const data = frame.bytes.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch (error) {
      throw new ReplayFormatError(`the record at byte ${frame.start} is not valid JSON (${(error as Error).message})`, frame.start);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ReplayFormatError(`the record at byte ${frame.start} is not a JSON object`, frame.start);
    }
    const fields = value as Record<string, unknown>;
    const timeField = options.timeField ?? TIME_FIELDS.find((f) => f in fields);
    const keyField = options.keyField ?? KEY_FIELDS.find((f) => f in fields);
    const ms = timeField !== undefined ? parseEventTime(fields[timeField]) : undefined;
    const rawKey = keyField !== undefined ? fields[keyField] : undefined;
    const key = rawKey === undefined || rawKey === null || rawKey === '' ? defaultKey : String(rawKey);
    yield {
      data,
      partitionKey: key.slice(0, 256),
      key,
      ...(ms !== undefined ? { eventTime: new Date(ms) } : {}),
      offset: frame.end,
      index: index++,
    };
  }
}

async function* csvRecords(frames: AsyncIterable<Frame>, options: ReplayReadOptions, defaultKey: string): AsyncGenerator<ReplayRecord> {
  let header: string[] | undefined = Array.isArray(options.header) ? options.header : undefined;
  let decided = options.header !== 'auto' && options.header !== undefined;
  let timeIndex: number | undefined;
  let keyIndex: number | undefined;
  let index = 0;
  for await (const frame of frames) {
    // A UTF-8 byte-order mark would otherwise glue itself to the first column's name.
    const line = frame.start === 0 ? frame.bytes.toString('utf8').replace(/^\uFEFF/, '') : frame.bytes.toString('utf8');
    const fields = splitCsv(line);
    if (!decided) {
      decided = true;
      if (!fields.some(looksLikeValue)) {
        header = fields.map((f) => f.trim());
        continue;
      }
    }
    if (timeIndex === undefined) {
      // Settled on the first data line, then fixed for the file.
      timeIndex =
        options.timeField !== undefined
          ? columnIndex(options.timeField, header, 'time field')
          : (header?.findIndex((h) => TIME_FIELDS.includes(h)) ?? -1);
      // Without a named column, the first date-like field; bare epoch numbers need --time-field to be told apart from values.
      if (timeIndex < 0 && options.timeField === undefined)
        timeIndex = fields.findIndex((f) => DATE_PREFIX.test(f.trim()) && parseEventTime(f) !== undefined);
      keyIndex =
        options.keyField !== undefined
          ? columnIndex(options.keyField, header, 'key field')
          : header
            ? header.findIndex((h) => KEY_FIELDS.includes(h))
            : fields.findIndex((f, i) => i !== timeIndex && !looksLikeValue(f));
    }
    const ms = timeIndex >= 0 ? parseEventTime(fields[timeIndex]) : undefined;
    const rawKey = keyIndex !== undefined && keyIndex >= 0 ? fields[keyIndex]?.trim() : undefined;
    const key = rawKey ? rawKey : defaultKey;
    yield {
      data: line,
      partitionKey: key.slice(0, 256),
      key,
      ...(ms !== undefined ? { eventTime: new Date(ms) } : {}),
      offset: frame.end,
      index: index++,
    };
  }
}
