import { DEFAULT_MAX_AHEAD_MS, DEFAULT_MAX_BEHIND_MS, MAX_EVENT_TIME_MS, MIN_EVENT_TIME_MS } from './limits';
import { fail, ok, quote, type Decoded } from './text';

/**
 * The one event-time parser (stream functions, local mode, replay) and the event-time bounds. ISO-8601 is read
 * field by field and checked as a calendar date (2026-02-30 and 25:00 are refused, where Date.parse rolls them
 * over); epoch numbers are seconds below 1e11 and milliseconds above in `auto`. Every accepted time lies in
 * [1970-01-01, 10000-01-01), so a window's end is always a valid Date.
 */

export type TimeFormat = 'auto' | 'iso' | 'epochSeconds' | 'epochMillis';

const NUMERIC = /^-?\d+(?:\.\d+)?$/;
// Epoch values below this are seconds, above are milliseconds (1e11 s is the year 5138, 1e11 ms is 1973).
const MS_CUTOFF = 1e11;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (year: number, month: number) =>
  month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : DAYS[month - 1]!;

const inRange = (ms: number) => ms >= MIN_EVENT_TIME_MS && ms < MAX_EVENT_TIME_MS;
const RANGE = 'outside 1970-01-01 … 9999-12-31';

/** Milliseconds since the epoch from an event-time value: ISO-8601 (no offset = UTC), epoch seconds or milliseconds. */
export function parseEventTime(raw: unknown, format: TimeFormat = 'auto'): Decoded<number> {
  if (raw === undefined || raw === null || raw === '') return fail('missing');
  let num: number | undefined;
  if (typeof raw === 'number') num = raw;
  else if (typeof raw === 'string') {
    const text = raw.trim();
    // An ISO date has its first "-" at 4, which no epoch number has: the regex is skipped for the usual case.
    if (text.charCodeAt(4) !== 0x2d && NUMERIC.test(text)) num = Number(text);
  }
  if (num !== undefined) {
    if (format === 'iso') return fail(`${quote(String(raw))} is a number, not an ISO-8601 time`);
    if (!Number.isFinite(num)) return fail(`${quote(String(raw))} is not finite`);
    const ms = format === 'epochSeconds' ? num * 1000 : format === 'epochMillis' ? num : Math.abs(num) < MS_CUTOFF ? num * 1000 : num;
    return Number.isFinite(ms) && inRange(ms) ? ok(Math.floor(ms)) : fail(`${quote(String(raw))} is ${RANGE}`);
  }
  if (typeof raw !== 'string') return fail(`a ${typeof raw} is not a time`);
  if (format === 'epochSeconds' || format === 'epochMillis') return fail(`${quote(raw)} is not an epoch number`);
  const t = parseIso(raw.trim());
  if (t === NOT_ISO) return fail(`${quote(raw)} is not an ISO-8601 time or epoch number`);
  if (t === INVALID) return fail(`${quote(raw)} is not a valid date`);
  return inRange(t) ? ok(t) : fail(`${quote(raw)} is ${RANGE}`);
}

const NOT_ISO = -1e300;
const INVALID = -2e300;

/**
 * `YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][blanks][Z|±HH[:]MM]`, read digit by digit (no regex, no Date.parse:
 * this runs for every record) and checked as a calendar date; no zone means UTC.
 */
function parseIso(s: string): number {
  const n = s.length;
  if (n < 10 || s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d) return NOT_ISO;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (year < 0 || month < 0 || day < 0) return NOT_ISO;
  let i = 10;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let ms = 0;
  const sep = i < n ? s.charCodeAt(i) : 0;
  if ((sep === 0x54 || sep === 0x74 || sep === 0x20) && i + 6 <= n && s.charCodeAt(i + 3) === 0x3a) {
    hour = digits(s, i + 1, 2);
    minute = digits(s, i + 4, 2);
    if (hour < 0 || minute < 0) return NOT_ISO;
    i += 6;
    if (i < n && s.charCodeAt(i) === 0x3a) {
      second = digits(s, i + 1, 2);
      if (second < 0) return NOT_ISO;
      i += 3;
      if (i < n && s.charCodeAt(i) === 0x2e) {
        // Milliseconds from the fraction's first three digits (the rest is below the resolution kept).
        let k = i + 1;
        let scale = 100;
        while (k < n && isDigit(s.charCodeAt(k))) {
          ms += (s.charCodeAt(k) - 0x30) * scale;
          scale /= 10;
          k++;
        }
        if (k === i + 1) return NOT_ISO;
        ms = Math.floor(ms);
        i = k;
      }
    }
  }
  while (i < n && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
  let offsetMin = 0;
  if (i < n) {
    const z = s.charCodeAt(i);
    if ((z === 0x5a || z === 0x7a) && i + 1 === n) i++;
    else if (z === 0x2b || z === 0x2d) {
      const oh = digits(s, i + 1, 2);
      const colon = s.charCodeAt(i + 3) === 0x3a ? 1 : 0;
      const om = digits(s, i + 3 + colon, 2);
      if (oh < 0 || om < 0 || i + 5 + colon !== n) return NOT_ISO;
      if (oh > 23 || om > 59) return INVALID;
      offsetMin = (z === 0x2d ? -1 : 1) * (oh * 60 + om);
      i = n;
    } else return NOT_ISO;
  }
  if (i !== n) return NOT_ISO;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return INVALID;
  // Date.UTC reads years 0–99 as 1900–1999: those are out of range anyway.
  if (year < 1970) return MIN_EVENT_TIME_MS - 1;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** The number written by `count` digits at `at`, or -1. */
function digits(s: string, at: number, count: number): number {
  let v = 0;
  for (let k = at; k < at + count; k++) {
    const c = s.charCodeAt(k);
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

/** How far an event time may be from its record's arrival (ms); see limits.ts for the defaults. */
export interface EventTimeBounds {
  /** Ahead of arrival (a producer clock ahead, or a typo'd year): rejected beyond this. */
  maxAheadMs: number;
  /** Behind arrival: rejected beyond this; Infinity (the default) accepts old data as late. */
  maxBehindMs: number;
}

export const DEFAULT_EVENT_TIME_BOUNDS: EventTimeBounds = { maxAheadMs: DEFAULT_MAX_AHEAD_MS, maxBehindMs: DEFAULT_MAX_BEHIND_MS };

const span = (ms: number) =>
  ms === 0
    ? '0 s'
    : ms % 86_400_000 === 0
      ? `${ms / 86_400_000} d`
      : ms % 3_600_000 === 0
        ? `${ms / 3_600_000} h`
        : ms % 60_000 === 0
          ? `${ms / 60_000} min`
          : `${ms / 1000} s`;

/** The reason an event time is too far from its record's arrival, or undefined when it is within the bounds. */
export function eventTimeProblem(
  eventMs: number,
  arrivalMs: number,
  bounds: EventTimeBounds = DEFAULT_EVENT_TIME_BOUNDS,
): string | undefined {
  if (eventMs - arrivalMs > bounds.maxAheadMs)
    return `event time ${new Date(eventMs).toISOString()} is more than ${span(bounds.maxAheadMs)} ahead of arrival ${isoOrRaw(arrivalMs)}`;
  if (arrivalMs - eventMs > bounds.maxBehindMs)
    return `event time ${new Date(eventMs).toISOString()} is more than ${span(bounds.maxBehindMs)} behind arrival ${isoOrRaw(arrivalMs)}`;
  return undefined;
}

const isoOrRaw = (ms: number) => (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));
