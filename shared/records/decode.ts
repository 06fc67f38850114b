import { namedFields, splitCsvLine } from './csv';
import { parseConcatenatedJson, type Fields } from './json';
import { columnCountReason } from './route';
import { fail, ok, type Decoded } from './text';

/**
 * The record decoders' original entry points, kept for their callers (local mode, the stream functions until
 * they read through records/read.ts): each is now a thin adapter over the kernel's one CSV parser (csv.ts),
 * one JSON scanner (json.ts) and one set of field rules (fields.ts).
 */

export type { Decoded } from './text';
export type { Fields } from './json';
export { getField, keyField, matchesRule, numberField } from './fields';
export { parseEventTime, type TimeFormat } from './time';
export { preview } from './text';

/**
 * Kinesis record data as text with invalid UTF-8 replaced by U+FFFD. Prefer decodeData (text.ts), which refuses
 * invalid bytes so that keys differing only in them are never merged.
 */
export function decodeBase64(data: string): string {
  return Buffer.from(data, 'base64').toString('utf8');
}

/** The objects of a record's text (json.ts parseConcatenatedJson), one result per piece; a scalar is refused. */
export function parseJsonObjects(text: string): Array<Decoded<Fields>> {
  const t = text.trim();
  if (t !== '' && t[0] !== '{' && t[0] !== '[') {
    try {
      const value: unknown = JSON.parse(t);
      return [fail(`JSON value is a ${value === null ? 'null' : typeof value}, not an object`)];
    } catch {
      // Not JSON at all: the scanner says where.
    }
  }
  const parsed = parseConcatenatedJson(text);
  if (!parsed.ok) return [fail(parsed.reason)];
  return parsed.value.map((p) => (p.ok ? ok(p.value) : fail(p.reason)));
}

/** One CSV line (csv.ts splitCsvLine) into named fields, in an object with no prototype. */
export function parseCsvLine(text: string, columns: readonly string[], delimiter = ','): Decoded<Fields> {
  const values = splitCsvLine(text, delimiter);
  if (!values.ok) return values;
  if (values.value.length !== columns.length) return fail(columnCountReason(columns, values.value.length, text));
  return ok(namedFields(values.value, columns));
}
