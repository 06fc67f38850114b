import { MAX_JSON_DEPTH, MAX_OBJECTS_PER_RECORD } from './limits';
import { fail, ok, quote, type Decoded } from './text';

/**
 * The one concatenated-JSON scanner: finds where each top-level JSON value ends in text or bytes (objects with
 * nothing between them, as Firehose writes to S3 without a delimiter, or whitespace, newlines or commas), knowing
 * strings and escapes, and measures each value's nesting depth on the way. It never parses and never recurses,
 * so the record kernel can refuse a too-deep or too-many-objects record before JSON.parse sees it. It scans
 * strings (a record's text) and bytes (a replayed file, chunk by chunk): JSON's structural characters are ASCII
 * and never occur inside a UTF-8 multi-byte sequence, so the same positions hold in both.
 */

export type Fields = Record<string, unknown>;

export type ScanEvent =
  /** A whole top-level value at [start, end) whose deepest nesting is `depth` (1 for `{}`). */
  | { kind: 'value'; start: number; end: number; depth: number }
  /** A character at top level that cannot start a value (with `objectsOnly`, `[` is one). */
  | { kind: 'stray'; at: number };

const isSeparator = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x2c;
// A byte-order mark before (or between) values is not a stray: U+FEFF in text, EF BB BF in bytes.
const isBomUnit = (c: number, bytes: boolean) => (bytes ? c === 0xef || c === 0xbb || c === 0xbf : c === 0xfeff);

/** Resumable: feed it more input (a longer buffer) and call `next` again; `shift` rebases after dropping a prefix. */
export class JsonScanner {
  /** Next position to scan. */
  pos = 0;
  /** Start of the value being scanned, or -1 between values. */
  start = -1;
  private depth = 0;
  private maxDepth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly objectsOnly = false) {}

  /** The next top-level event in src[pos, to), or undefined when `to` is reached first (a value may be open). */
  next(src: string | Uint8Array, to: number = src.length): ScanEvent | undefined {
    const str = typeof src === 'string' ? src : undefined;
    const bytes = str === undefined ? (src as Uint8Array) : undefined;
    let depth = this.depth;
    let maxDepth = this.maxDepth;
    let inString = this.inString;
    let escaped = this.escaped;
    let event: ScanEvent | undefined;
    let i = this.pos;
    for (; i < to; i++) {
      const c = str !== undefined ? str.charCodeAt(i) : bytes![i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
        continue;
      }
      if (depth === 0) {
        if (c === 0x7b || (c === 0x5b && !this.objectsOnly)) {
          this.start = i;
          depth = maxDepth = 1;
        } else if (!isSeparator(c) && !isBomUnit(c, str === undefined)) {
          event = { kind: 'stray', at: i };
          i++;
          break;
        }
        continue;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) {
        if (++depth > maxDepth) maxDepth = depth;
      } else if (c === 0x7d || c === 0x5d) {
        if (--depth === 0) {
          event = { kind: 'value', start: this.start, end: i + 1, depth: maxDepth };
          this.start = -1;
          i++;
          break;
        }
      }
    }
    this.pos = i;
    this.depth = depth;
    this.maxDepth = maxDepth;
    this.inString = inString;
    this.escaped = escaped;
    return event;
  }

  /** Positions after the first `n` characters/bytes of the input were dropped. */
  shift(n: number): void {
    this.pos -= n;
    if (this.start >= 0) this.start -= n;
  }

  /** Inside a value (the input ended too early if nothing more comes). */
  get open(): boolean {
    return this.depth > 0;
  }
}

/** One piece of a record: an object (or the reason it is not one), with where it came from for reasons. */
export type JsonPiece = ({ ok: true; value: Fields } | { ok: false; reason: string }) & {
  /** The piece's text (a slice of the record; quote it, never copy it whole). */
  source: string;
};

export interface JsonLimits {
  maxDepth: number;
  maxObjects: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: MAX_JSON_DEPTH, maxObjects: MAX_OBJECTS_PER_RECORD };

const isObject = (x: unknown): x is Fields => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * The objects of a record's text: one JSON object, an array of objects, or objects concatenated (nothing,
 * whitespace, newlines or commas between them), in order. A piece that does not parse, is not an object, nests
 * deeper than `maxDepth` or is text between objects becomes a failure at its position and the others still count.
 * More than `maxObjects` objects fail the whole text (one reason, nothing parsed).
 */
export function parseConcatenatedJson(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): Decoded<JsonPiece[]> {
  // The usual record is one small object: when it has no more opening brackets than the depth bound it cannot
  // nest deeper, and one successful parse of the whole text is the answer without a scan.
  if (openersAtMost(text, limits.maxDepth)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined; // several objects, or broken: the scan below says which
    }
    if (isObject(value)) return ok([{ ok: true, value, source: text }]);
  }
  const scanner = new JsonScanner();
  const pieces: JsonPiece[] = [];
  let strayStart = -1;
  let objects = 0;
  const closeStray = (end: number) => {
    if (strayStart < 0) return;
    const source = text.slice(strayStart, end).trimEnd();
    pieces.push({ ok: false, reason: `text between JSON objects is not JSON: ${quote(source)}`, source });
    strayStart = -1;
  };
  for (let ev = scanner.next(text); ev; ev = scanner.next(text)) {
    if (ev.kind === 'stray') {
      if (strayStart < 0) strayStart = ev.at;
      continue;
    }
    closeStray(ev.start);
    const source = ev.start === 0 && ev.end === text.length ? text : text.slice(ev.start, ev.end);
    const index = pieces.length;
    if (ev.depth > limits.maxDepth) {
      pieces.push({ ok: false, reason: `object ${index} nests deeper than ${limits.maxDepth} levels`, source });
      objects++;
    } else if (text.charCodeAt(ev.start) === 0x5b) {
      // An array of objects: each element is a piece.
      const value = parseValue(source, index);
      if (!value.ok) pieces.push({ ...value, source });
      else if (!Array.isArray(value.value)) pieces.push({ ok: false, reason: `object ${index} is not a JSON object`, source });
      else {
        objects += value.value.length;
        if (objects > limits.maxObjects) break;
        value.value.forEach((v, i) =>
          pieces.push(
            isObject(v) ? { ok: true, value: v, source } : { ok: false, reason: `element ${i} of the JSON array is not an object`, source },
          ),
        );
      }
    } else {
      const value = parseValue(source, index);
      pieces.push(
        value.ok
          ? isObject(value.value)
            ? { ok: true, value: value.value, source }
            : { ok: false, reason: `object ${index} is not a JSON object`, source }
          : { ...value, source },
      );
      objects++;
    }
    if (objects > limits.maxObjects) break;
  }
  if (objects > limits.maxObjects) return fail(`record holds more than ${limits.maxObjects} JSON objects`);
  if (scanner.open) {
    closeStray(scanner.start);
    const source = text.slice(scanner.start);
    pieces.push({ ok: false, reason: `object ${pieces.length} is incomplete: ${quote(source, 40)}`, source });
  } else closeStray(text.length);
  if (pieces.length === 0) return fail('empty record');
  return ok(pieces);
}

/** At most `max` "{" and "[" in the text (inside strings too: an over-count only costs a scan). */
function openersAtMost(text: string, max: number): boolean {
  let count = 0;
  for (let i = text.indexOf('{'); i >= 0; i = text.indexOf('{', i + 1)) if (++count > max) return false;
  for (let i = text.indexOf('['); i >= 0; i = text.indexOf('[', i + 1)) if (++count > max) return false;
  return true;
}

function parseValue(source: string, index: number): Decoded<unknown> {
  try {
    return ok(JSON.parse(source) as unknown);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return fail(`object ${index} is not valid JSON (${why.length > 120 ? `${why.slice(0, 120)}…` : why}): ${quote(source, 40)}`);
  }
}
