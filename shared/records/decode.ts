/**
 * Record decoding, shared by the windows and hotspots functions: Kinesis data (base64) → text → field maps.
 * Pure: no AWS imports. Failures are returned as reasons (strings), never thrown, because a bad record is a
 * reject to count and keep, not an error that would stop the shard.
 */

export type Fields = Record<string, unknown>;

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });
const fail = <T>(reason: string): Decoded<T> => ({ ok: false, reason });

/** Kinesis record data as text. Invalid UTF-8 is kept (as U+FFFD) so the reason names the field that fails. */
export function decodeBase64(data: string): string {
  return Buffer.from(data, 'base64').toString('utf8');
}

/** Raw text shortened for logs and reject reasons. */
export const preview = (text: string, max = 80): string => (text.length > max ? `${text.slice(0, max)}…` : text);

const isObject = (x: unknown): x is Fields => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * One JSON object, an array of objects, or several objects concatenated with no separator (what Firehose
 * writes to S3 when no delimiter is added) or separated by whitespace/newlines. Returns each object in order;
 * a piece that does not parse becomes a failure at its position and the others still count.
 */
export function parseJsonObjects(text: string): Array<Decoded<Fields>> {
  // Fast path: the usual record is exactly one object.
  try {
    const value: unknown = JSON.parse(text);
    if (isObject(value)) return [ok(value)];
    if (Array.isArray(value)) return value.map((v, i) => (isObject(v) ? ok(v) : fail(`element ${i} of the JSON array is not an object`)));
    return [fail(`JSON value is a ${value === null ? 'null' : typeof value}, not an object`)];
  } catch {
    // fall through to splitting
  }
  const out: Array<Decoded<Fields>> = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      if (start < 0) start = i;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === 0 && start < 0) start = i;
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0 && start >= 0) {
        out.push(parsePiece(text.slice(start, i + 1), out.length));
        start = -1;
      } else if (depth < 0) {
        out.push(fail(`unbalanced "${text[i]}" at character ${i}`));
        depth = 0;
        start = -1;
      }
    } else if (depth === 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x2c && start < 0) {
      // Text between objects that is not whitespace (or a stray comma): a piece of its own that will fail.
      start = i;
    }
  }
  if (start >= 0) out.push(fail(`object ${out.length} is incomplete: ${JSON.stringify(preview(text.slice(start), 40))}`));
  if (out.length === 0) out.push(fail(text.trim() === '' ? 'empty record' : `not JSON: ${JSON.stringify(preview(text, 40))}`));
  return out;
}

function parsePiece(piece: string, index: number): Decoded<Fields> {
  try {
    const value: unknown = JSON.parse(piece);
    return isObject(value) ? ok(value) : fail(`object ${index} is not a JSON object`);
  } catch (error) {
    return fail(`object ${index} is not valid JSON (${error instanceof Error ? error.message : String(error)}): ${JSON.stringify(preview(piece, 40))}`);
  }
}

/**
 * One CSV line into named fields. Fields are trimmed (KDG templates written over several lines put newlines
 * after the commas) and may be double-quoted with "" for a quote inside.
 */
export function parseCsvLine(text: string, columns: readonly string[], delimiter = ','): Decoded<Fields> {
  const values: string[] = [];
  const d = delimiter.charCodeAt(0);
  let i = 0;
  const n = text.length;
  // A trailing newline (one record per line) is not an extra empty field.
  let end = n;
  while (end > 0 && (text.charCodeAt(end - 1) === 0x0a || text.charCodeAt(end - 1) === 0x0d)) end--;
  for (;;) {
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (i < end && text.charCodeAt(i) === 0x22) {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0 || q >= end) return fail(`unterminated quoted CSV field ${values.length + 1}`);
        value += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 0x22) {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      while (i < end && isBlank(text.charCodeAt(i))) i++;
      values.push(value);
      if (i >= end) break;
      if (text.charCodeAt(i) !== d) return fail(`unexpected text after quoted CSV field ${values.length}`);
      i++;
    } else {
      let j = i;
      while (j < end && text.charCodeAt(j) !== d) j++;
      values.push(text.slice(i, j).trim());
      if (j >= end) break;
      i = j + 1;
    }
  }
  if (values.length !== columns.length) {
    return fail(`expected ${columns.length} CSV columns (${columns.join(', ')}), got ${values.length}: ${JSON.stringify(preview(text, 60))}`);
  }
  const fields: Fields = {};
  for (let k = 0; k < columns.length; k++) fields[columns[k]!] = values[k];
  return ok(fields);
}

const isBlank = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** A field by name; `a.b` reaches into nested objects when there is no field literally named `a.b`. */
export function getField(fields: Fields, name: string): unknown {
  if (name in fields) return fields[name];
  if (!name.includes('.')) return undefined;
  let cur: unknown = fields;
  for (const part of name.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

const FLOAT32_MAX = 3.4028234663852886e38;

/** A finite number (JSON number or numeric text) within float32 range, which is what a forest stores. */
export function numberField(fields: Fields, name: string): Decoded<number> {
  const raw = getField(fields, name);
  if (raw === undefined || raw === null) return fail(`missing field ${name}`);
  let x: number;
  if (typeof raw === 'number') x = raw;
  else if (typeof raw === 'string' && raw.trim() !== '') x = Number(raw);
  else return fail(`field ${name} is not a number: ${JSON.stringify(preview(String(JSON.stringify(raw)), 40))}`);
  if (!Number.isFinite(x)) return fail(`field ${name} is not a finite number: ${JSON.stringify(preview(String(raw), 40))}`);
  if (Math.abs(x) > FLOAT32_MAX) return fail(`field ${name} is out of range: ${raw}`);
  return ok(x);
}

/** A group key: a non-empty string or a number, at most 512 characters (it is part of a DynamoDB key). */
export function keyField(fields: Fields, name: string): Decoded<string> {
  const raw = getField(fields, name);
  if (raw === undefined || raw === null) return fail(`missing key field ${name}`);
  if (typeof raw !== 'string' && typeof raw !== 'number') return fail(`key field ${name} is a ${typeof raw}, not a string or number`);
  const key = String(raw).trim();
  if (key === '') return fail(`key field ${name} is empty`);
  if (key.length > 512) return fail(`key field ${name} is longer than 512 characters`);
  return ok(key);
}

export type TimeFormat = 'auto' | 'iso' | 'epochSeconds' | 'epochMillis';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const NUMERIC = /^-?\d+(?:\.\d+)?$/;
// Epoch values below this are seconds, above are milliseconds (1e11 s is the year 5138, 1e11 ms is 1973).
const MS_CUTOFF = 1e11;

/** Milliseconds since the epoch from an event-time value: ISO-8601 (no offset = UTC), epoch seconds or milliseconds. */
export function parseEventTime(raw: unknown, format: TimeFormat = 'auto'): Decoded<number> {
  if (raw === undefined || raw === null || raw === '') return fail('missing');
  let num: number | undefined;
  if (typeof raw === 'number') num = raw;
  else if (typeof raw === 'string' && NUMERIC.test(raw.trim())) num = Number(raw.trim());
  if (num !== undefined) {
    if (format === 'iso') return fail(`${raw} is a number, not an ISO-8601 time`);
    if (!Number.isFinite(num)) return fail(`${raw} is not finite`);
    const ms = format === 'epochSeconds' ? num * 1000 : format === 'epochMillis' ? num : Math.abs(num) < MS_CUTOFF ? num * 1000 : num;
    return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? ok(Math.floor(ms)) : fail(`${raw} is out of range`);
  }
  if (typeof raw !== 'string') return fail(`a ${typeof raw} is not a time`);
  if (format === 'epochSeconds' || format === 'epochMillis') return fail(`${JSON.stringify(preview(raw, 40))} is not an epoch number`);
  const text = raw.trim();
  const m = ISO.exec(text);
  if (!m) return fail(`${JSON.stringify(preview(raw, 40))} is not an ISO-8601 time or epoch number`);
  // Date.parse reads a date-time without offset as local time; the data means UTC.
  let iso = text.replace(' ', 'T');
  if (!m[7]) iso += m[4] ? 'Z' : 'T00:00:00Z';
  else if (/^[+-]\d{4}$/.test(m[7])) iso = iso.slice(0, -5) + m[7].slice(0, 3) + ':' + m[7].slice(3);
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ok(ms) : fail(`${JSON.stringify(preview(raw, 40))} is not a valid date`);
}

/** Does a record satisfy a detector's match rule (every field equals the value or one of the values)? */
export function matchesRule(fields: Fields, rule: Record<string, unknown> | undefined): boolean {
  if (!rule) return true;
  for (const name in rule) {
    const want = rule[name];
    const have = getField(fields, name);
    if (Array.isArray(want)) {
      if (!want.some((w) => looseEquals(have, w))) return false;
    } else if (!looseEquals(have, want)) return false;
  }
  return true;
}

// CSV fields are text, so 5 matches "5"; JSON fields keep their types otherwise.
const looseEquals = (have: unknown, want: unknown): boolean =>
  have === want || (have !== undefined && have !== null && want !== null && (typeof have === 'string' || typeof want === 'string') && String(have) === String(want));
