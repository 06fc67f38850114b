import { fail, ok, quote, type Decoded } from './text';

/**
 * The one CSV line parser, used by the stream functions, local mode, the replay reader and the score/hotspots
 * CLIs, and the field map a CSV detector's columns make of a line.
 */

/**
 * A line's fields: RFC 4180 with these rules, chosen so a line reads the same everywhere:
 * - blanks (space, tab, CR, LF) around every field are dropped: KDG templates put newlines after the commas,
 *   and ` 2 ` is the number 2;
 * - a field whose first non-blank character is `"` is quoted: it runs to the closing quote, `""` inside is one
 *   quote, and the delimiter, blanks and newlines inside are kept as they are; only blanks may follow it before
 *   the next delimiter ("unexpected text after quoted CSV field N" otherwise);
 * - a quote inside an unquoted field is an ordinary character (`5"` is `5"`);
 * - an unterminated quoted field is an error;
 * - line ends at the end of the text are not an extra field.
 * So ` "a,b" , 2,"x""y"` is the three fields `a,b` · `2` · `x"y`.
 */
export function splitCsvLine(text: string, delimiter = ','): Decoded<string[]> {
  const values: string[] = [];
  const sep = delimiter.charAt(0) || ',';
  const d = sep.charCodeAt(0);
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 0x0a || text.charCodeAt(end - 1) === 0x0d)) end--;
  let i = 0;
  for (;;) {
    while (i < end && isBlank(text.charCodeAt(i), d)) i++;
    if (i < end && text.charCodeAt(i) === 0x22) {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0 || q >= end) return fail(`unterminated quoted CSV field ${values.length + 1}: ${quote(text)}`);
        value += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 0x22 && q + 1 < end) {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      while (i < end && isBlank(text.charCodeAt(i), d)) i++;
      values.push(value);
      if (i >= end) break;
      if (text.charCodeAt(i) !== d) return fail(`unexpected text after quoted CSV field ${values.length}: ${quote(text)}`);
      // A delimiter last is followed by one more, empty, field: the loop reads it.
      i++;
    } else {
      let j = text.indexOf(sep, i);
      if (j < 0 || j > end) j = end;
      values.push(text.slice(i, j).trim());
      if (j >= end) break;
      i = j + 1;
    }
  }
  return ok(values);
}

// A tab delimiter is a delimiter, not a blank.
const isBlank = (c: number, d: number) => c !== d && (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d);

/** Fields by column name, in an object with no prototype (a column named `__proto__` is a field like any other). */
export function namedFields(values: readonly string[], columns: readonly string[]): Record<string, unknown> {
  const fields = Object.create(null) as Record<string, unknown>;
  for (let k = 0; k < columns.length; k++) fields[columns[k]!] = values[k];
  return fields;
}
