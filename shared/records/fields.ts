import { MAX_ABS_NUMBER, MAX_SAFE_SUM, MIN_ABS_NUMBER } from './limits';
import type { Fields } from './json';
import { checkKeyText, fail, ok, quote, type Decoded } from './text';

/**
 * Reading fields out of a decoded object: by name (own properties only, so a field called `constructor` or
 * `__proto__` is data, never Object.prototype), numbers within the bounds that keep aggregates exact and
 * writable, group keys that are safe text, and detectors' match rules.
 */

const has = Object.prototype.hasOwnProperty;
const isObject = (x: unknown): x is Fields => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A field by name; `a.b` reaches into nested objects when there is no field literally named `a.b`. */
export function getField(fields: Fields, name: string): unknown {
  if (has.call(fields, name)) return fields[name];
  if (!name.includes('.')) return undefined;
  let cur: unknown = fields;
  for (const part of name.split('.')) {
    if (!isObject(cur) || !has.call(cur, part)) return undefined;
    cur = cur[part];
  }
  return cur;
}

const kind = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x === 'object' ? 'an object' : `a ${typeof x}`);

/**
 * A number within the kernel's bounds, or the reason it is not: finite, |x| ≤ MAX_ABS_NUMBER (sums stay exact
 * and below 2^53) and either 0 or |x| ≥ MIN_ABS_NUMBER (DynamoDB stores it). Takes JSON numbers and numeric text.
 */
export function checkNumericField(name: string, raw: unknown): Decoded<number> {
  if (raw === undefined || raw === null) return fail(`missing field ${name}`);
  let x: number;
  if (typeof raw === 'number') x = raw;
  else if (typeof raw === 'string' && raw.trim() !== '') x = Number(raw);
  else return fail(`field ${name} is not a number: ${typeof raw === 'string' ? quote(raw, 40) : kind(raw)}`);
  if (!Number.isFinite(x)) return fail(`field ${name} is not a finite number: ${quote(String(raw), 40)}`);
  const abs = Math.abs(x);
  if (abs > MAX_ABS_NUMBER) return fail(`field ${name} is out of range (|x| > ${MAX_ABS_NUMBER}): ${quote(String(raw), 40)}`);
  if (abs !== 0 && abs < MIN_ABS_NUMBER)
    return fail(`field ${name} is too small to store (0 < |x| < ${MIN_ABS_NUMBER}): ${quote(String(raw), 40)}`);
  return ok(x);
}

/** A numeric field of an object (see checkNumericField). */
export const numberField = (fields: Fields, name: string): Decoded<number> => checkNumericField(name, getField(fields, name));

/**
 * The reason adding `x` to a running sum would take it past 2^53 (inexact, and refused by lib-dynamodb), or
 * undefined. For the aggregators that keep sums (shared/windows): a record that fails it is rejected.
 */
export function checkSum(name: string, sum: number, x: number): string | undefined {
  return Math.abs(sum + x) > MAX_SAFE_SUM ? `field ${name} would take its window's sum past 2^53 (${sum} + ${x})` : undefined;
}

/** A group key: a string or a number, safe as text (records/text.ts checkKeyText: ≤ 512 chars, no control or bidi). */
export function keyField(fields: Fields, name: string): Decoded<string> {
  const raw = getField(fields, name);
  if (raw === undefined || raw === null) return fail(`missing key field ${name}`);
  if (typeof raw === 'string') return checkKeyText(name, raw);
  if (typeof raw === 'number') return checkKeyText(name, String(raw));
  return fail(`key field ${name} is ${kind(raw)}, not a string or number`);
}

/** Does a record satisfy a detector's match rule (every field equals the value or one of the values)? */
export function matchesRule(fields: Fields, rule: Record<string, unknown> | undefined): boolean {
  if (!rule) return true;
  for (const name of Object.keys(rule)) {
    const want = rule[name];
    const have = getField(fields, name);
    if (Array.isArray(want)) {
      if (!want.some((w) => looseEquals(have, w))) return false;
    } else if (!looseEquals(have, want)) return false;
  }
  return true;
}

// CSV fields are text, so 5 matches "5"; JSON fields keep their types otherwise. Only scalars are turned into
// text: String() of an object from a record would call its own `toString`, which a record can set to anything.
const isScalar = (x: unknown) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';
const looseEquals = (have: unknown, want: unknown): boolean =>
  have === want ||
  (isScalar(have) && isScalar(want) && (typeof have === 'string' || typeof want === 'string') && String(have) === String(want));
