import { jsonFrames, lineFrames, ReplayFormatError, toBuffer, type Frame } from './frames';
import { MAX_KEPT_DATA_CHARS } from '../../records/limits';
import { splitCsvLine } from '../../records/csv';
import { parseEventTime as parseTime } from '../../records/time';
import { peek } from './peek';

/**
 * Replay records from a file's bytes: the framing (frames.ts) plus what each record's event time and
 * partition key are. Records go to the stream as they are in the file (the CSV line, the JSON object's text),
 * except kept rejects (format `rejects`), whose lines wrap the record that was rejected: that record is sent.
 */

export type ReplayFormat = 'csv' | 'ndjson' | 'json-concat' | 'rejects';
export const REPLAY_FORMATS = ['auto', 'csv', 'ndjson', 'json-concat', 'rejects'] as const;

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
  /** Byte offset of the first chunk in the file (a resumed read); uncompressed bytes for a gzip file. */
  startOffset?: number;
  /** Told the format once it is known (given, or detected from the first bytes). */
  onFormat?: (format: ReplayFormat) => void;
  /** Told about each kept reject that is not sent (see `rejects` below). */
  onSkip?: (skip: ReplaySkip) => void;
  /**
   * Format `rejects`: the (shardId, sequenceNumber) of the records already sent, so that a record kept more than
   * once (one line per detector or per bad object in it, or twice by a retried invoke) is sent once. Pass the same
   * set to the reads of several files to cover them all; by default each read has its own.
   */
  seenRejects?: Set<string>;
}

/** A kept reject that was read but not sent: a repeat of a record already sent, or data cut at 64 KiB when kept. */
export interface ReplaySkip {
  reason: 'repeat' | 'cut';
  /** Byte offset just past the line. */
  offset: number;
  sequenceNumber: string;
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

/**
 * Event time from a field value (the record kernel's parser, shared/records/time.ts): ISO-8601 (UTC when it has
 * no zone, like NAB's "2014-07-01 00:00:00") or epoch seconds / milliseconds; undefined when it is none of these,
 * an impossible date (2026-02-30) or outside 1970…9999.
 */
export function parseEventTime(value: unknown): number | undefined {
  const t = parseTime(value);
  return t.ok ? t.value : undefined;
}

/**
 * One CSV line's fields (the record kernel's parser, shared/records/csv.ts: trimmed, RFC 4180 quotes); a line
 * that does not parse (an unterminated quote) has no fields, so it is sent as it is with no time or key.
 */
export function splitCsv(line: string): string[] {
  const fields = splitCsvLine(line);
  return fields.ok ? fields.value : [];
}

const looksLikeValue = (field: string) => /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(field) || parseEventTime(field) !== undefined;

/** A CSV line's fields when it is a header (no field is a number or a date), else undefined. */
export function csvHeader(line: string): string[] | undefined {
  const fields = splitCsv(line.replace(/^\uFEFF/, ''));
  return fields.some(looksLikeValue) ? undefined : fields.map((f) => f.trim());
}

/** Which format a file is in from its first bytes: a "{" means JSON objects (concatenated or one per line). */
export function detectFormat(firstBytes: Buffer): Exclude<ReplayFormat, 'rejects'> {
  for (const c of firstBytes) {
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xef || c === 0xbb || c === 0xbf) continue;
    return c === 0x7b ? 'json-concat' : 'csv';
  }
  return 'csv';
}

/**
 * Kept rejects are cut to this many characters of data (shared/records/limits.ts MAX_KEPT_DATA_CHARS): data
 * this long may be a cut record, which is not sent.
 */
export const KEPT_DATA_LIMIT = MAX_KEPT_DATA_CHARS;

/** The fields of a kept reject's line (shared/rejects/sink.ts RejectLine) that a replay uses. */
interface KeptReject {
  data: string;
  reason: string;
  sequenceNumber: string;
  shardId?: unknown;
  partitionKey?: unknown;
  arrival?: unknown;
}

/** A line the stream functions wrote for a rejected record: a JSON object with `reason`, `data` and `sequenceNumber`. */
export function isKeptReject(value: unknown): value is KeptReject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v.data === 'string' && typeof v.reason === 'string' && typeof v.sequenceNumber === 'string';
}

/**
 * The format of a file read from an offset, from its first bytes (`head`, up to its first line end): the
 * first line is parsed to tell kept rejects (one JSON object a line) from other JSON.
 */
export function detectFormatFromHead(head: Buffer): ReplayFormat {
  const format = detectFormat(head);
  if (format !== 'json-concat') return format;
  const nl = head.indexOf(0x0a);
  try {
    if (isKeptReject(JSON.parse(head.subarray(0, nl >= 0 ? nl : head.length).toString('utf8')))) return 'rejects';
  } catch {
    // Not a whole JSON line (concatenated objects, or a first line longer than the head): JSON objects.
  }
  return format;
}

/**
 * The read options of a read that starts at an offset, which cannot see the file's start: the format (when
 * `auto`) and a CSV header come from the file's first bytes (`head`). A header given as an array is kept.
 */
export function resumeReadOptions(options: ReplayReadOptions, head: Buffer): ReplayReadOptions {
  const out = { ...options };
  if ((out.format ?? 'auto') === 'auto') out.format = detectFormatFromHead(head);
  if (out.format === 'csv' && !Array.isArray(out.header)) {
    const nl = head.indexOf(0x0a);
    const first = head
      .subarray(0, nl >= 0 ? nl : head.length)
      .toString('utf8')
      .replace(/\r$/, '');
    out.header = csvHeader(first) ?? 'none';
  }
  return out;
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

/**
 * Reads records from a file's chunks (fs or S3 stream, decompressed already: see gzip.ts), incrementally.
 * `auto` reads CSV unless the first non-blank byte is "{"; JSON objects whose first is a kept reject are read
 * as `rejects`.
 */
export async function* readReplayRecords(
  chunks: AsyncIterable<Uint8Array | string>,
  options: ReplayReadOptions = {},
): AsyncGenerator<ReplayRecord> {
  const startOffset = options.startOffset ?? 0;
  const given = options.format ?? 'auto';
  let format: ReplayFormat;
  let source = chunks;
  if (given === 'auto') {
    // The first chunk tells CSV from JSON.
    const peeked = await peek(chunks);
    format = detectFormat(Buffer.concat(peeked.head.map(toBuffer)));
    source = peeked.all;
  } else format = given;
  const defaultKey = options.defaultKey ?? 'replay';
  if (format === 'csv') {
    options.onFormat?.(format);
    yield* csvRecords(lineFrames(source, startOffset), options, defaultKey);
    return;
  }
  let frames: AsyncIterable<Frame> = format === 'ndjson' ? lineFrames(source, startOffset) : jsonFrames(source, startOffset);
  if (given === 'auto') {
    // The first object tells kept rejects from other JSON.
    const peeked = await peek(frames);
    frames = peeked.all;
    if (peeked.head[0] && isKeptReject(parseFrame(peeked.head[0]))) format = 'rejects';
  }
  options.onFormat?.(format);
  yield* format === 'rejects' ? rejectRecords(frames, options, defaultKey) : jsonRecords(frames, options, defaultKey);
}

function parseFrame(frame: Frame): unknown {
  try {
    return JSON.parse(frame.bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

function parseObject(frame: Frame, what: string): { data: string; fields: Record<string, unknown> } {
  const data = frame.bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (error) {
    throw new ReplayFormatError(`the ${what} at byte ${frame.start} is not valid JSON (${(error as Error).message})`, frame.start);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ReplayFormatError(`the ${what} at byte ${frame.start} is not a JSON object`, frame.start);
  }
  return { data, fields: value as Record<string, unknown> };
}

/** Event time and key of a JSON object: the named fields, else the first of TIME_FIELDS / KEY_FIELDS it has. */
function jsonTimeAndKey(fields: Record<string, unknown>, options: ReplayReadOptions): { ms?: number; key?: string } {
  const timeField = options.timeField ?? TIME_FIELDS.find((f) => f in fields);
  const keyField = options.keyField ?? KEY_FIELDS.find((f) => f in fields);
  const ms = timeField !== undefined ? parseEventTime(fields[timeField]) : undefined;
  const rawKey = keyField !== undefined ? fields[keyField] : undefined;
  const key = rawKey === undefined || rawKey === null || rawKey === '' ? undefined : String(rawKey);
  return { ...(ms !== undefined ? { ms } : {}), ...(key !== undefined ? { key } : {}) };
}

async function* jsonRecords(frames: AsyncIterable<Frame>, options: ReplayReadOptions, defaultKey: string): AsyncGenerator<ReplayRecord> {
  let index = 0;
  for await (const frame of frames) {
    const { data, fields } = parseObject(frame, 'record');
    const { ms, key = defaultKey } = jsonTimeAndKey(fields, options);
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

/**
 * Event time and key of a kept record's data, which has no file around it: a JSON object's fields, or a CSV
 * line read like one without a header (column numbers for --time-field / --key-field, else the first date-like
 * column and the first column that is neither number nor date).
 */
function dataTimeAndKey(data: string, options: ReplayReadOptions): { ms?: number; key?: string } {
  if (data.trimStart().startsWith('{')) {
    try {
      const value: unknown = JSON.parse(data);
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        return jsonTimeAndKey(value as Record<string, unknown>, options);
    } catch {
      // Not one JSON object (concatenated objects, or the data that was rejected for not being JSON).
    }
    return {};
  }
  const fields = splitCsv(data);
  const column = (field: string | undefined) => (field !== undefined && /^\d+$/.test(field) ? Number(field) : undefined);
  const timeIndex = column(options.timeField) ?? fields.findIndex((f) => DATE_PREFIX.test(f.trim()) && parseEventTime(f) !== undefined);
  const keyIndex = column(options.keyField) ?? fields.findIndex((f, i) => i !== timeIndex && !looksLikeValue(f));
  const ms = timeIndex >= 0 ? parseEventTime(fields[timeIndex]) : undefined;
  const key = keyIndex >= 0 ? fields[keyIndex]?.trim() : undefined;
  return { ...(ms !== undefined ? { ms } : {}), ...(key ? { key } : {}) };
}

/** What identifies a kept record: several lines may keep the same one (one per detector or bad object in it). */
const rejectId = (line: KeptReject) => `${typeof line.shardId === 'string' ? line.shardId : ''}\u241f${line.sequenceNumber}`;

/**
 * The records a rejects file keeps before a resumed read's offset (its bytes up to there): they were sent by
 * the run that stopped there, so their repeats after the offset are not sent again.
 */
export async function seenRejectsIn(prefix: AsyncIterable<Uint8Array | string>, into = new Set<string>()): Promise<Set<string>> {
  for await (const frame of jsonFrames(prefix)) {
    const value = parseFrame(frame);
    if (isKeptReject(value) && value.data.length < KEPT_DATA_LIMIT) into.add(rejectId(value));
  }
  return into;
}

/**
 * Kept rejects (shared/rejects/sink.ts RejectLine, one JSON object a line): each line's `data`, the record as
 * it arrived, is sent, with the partition key it arrived with (`partitionKey`), else the key found in the data,
 * else `defaultKey`; its event time is the data's, else its `arrival`. A record is sent once however many lines
 * kept it (see `seenRejects`); data of KEPT_DATA_LIMIT characters or more is skipped: it was cut when kept.
 */
async function* rejectRecords(frames: AsyncIterable<Frame>, options: ReplayReadOptions, defaultKey: string): AsyncGenerator<ReplayRecord> {
  const seen = options.seenRejects ?? new Set<string>();
  let index = 0;
  for await (const frame of frames) {
    const { fields } = parseObject(frame, 'line');
    if (!isKeptReject(fields))
      throw new ReplayFormatError(
        `the line at byte ${frame.start} is not a kept reject (a JSON object with "data", "reason" and "sequenceNumber"): is --format rejects right for this file?`,
        frame.start,
      );
    const id = rejectId(fields);
    if (seen.has(id)) {
      options.onSkip?.({ reason: 'repeat', offset: frame.end, sequenceNumber: fields.sequenceNumber });
      continue;
    }
    if (fields.data.length >= KEPT_DATA_LIMIT) {
      options.onSkip?.({ reason: 'cut', offset: frame.end, sequenceNumber: fields.sequenceNumber });
      continue;
    }
    seen.add(id);
    const found = dataTimeAndKey(fields.data, options);
    const kept = typeof fields.partitionKey === 'string' && fields.partitionKey !== '' ? fields.partitionKey : undefined;
    const key = kept ?? found.key ?? defaultKey;
    const ms = found.ms ?? parseEventTime(fields.arrival);
    yield {
      data: fields.data,
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
