import { DEFAULT_MAX_AHEAD_MS, DEFAULT_MAX_BEHIND_MS, MAX_EVENT_TIME_MS, MIN_EVENT_TIME_MS } from './limits';
import { fail, ok, quote, type Decoded } from './text';

/**
 * The one event-time parser (stream functions, local mode, replay) and the event-time bounds. ISO-8601 is read
 * field by field and checked as a calendar date (2026-02-30 and 25:00 are refused, where Date.parse rolls them
 * over); epoch numbers are seconds below 1e11 and milliseconds above in `auto`. Every accepted time lies in
 * [1970-01-01, 10000-01-01), so a window's end is always a valid Date.
 */

export type TimeFormat = 'auto' | 'iso' | 'epochSeconds' | 'epochMillis';

// date, optional time (minutes, optional seconds and fraction), optional zone; T or one space between.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
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
  else if (typeof raw === 'string' && NUMERIC.test(raw.trim())) num = Number(raw.trim());
  if (num !== undefined) {
    if (format === 'iso') return fail(`${quote(String(raw))} is a number, not an ISO-8601 time`);
    if (!Number.isFinite(num)) return fail(`${quote(String(raw))} is not finite`);
    const ms = format === 'epochSeconds' ? num * 1000 : format === 'epochMillis' ? num : Math.abs(num) < MS_CUTOFF ? num * 1000 : num;
    return Number.isFinite(ms) && inRange(ms) ? ok(Math.floor(ms)) : fail(`${quote(String(raw))} is ${RANGE}`);
  }
  if (typeof raw !== 'string') return fail(`a ${typeof raw} is not a time`);
  if (format === 'epochSeconds' || format === 'epochMillis') return fail(`${quote(raw)} is not an epoch number`);
  const m = ISO.exec(raw.trim());
  if (!m) return fail(`${quote(raw)} is not an ISO-8601 time or epoch number`);
  const year = +m[1]!;
  const month = +m[2]!;
  const day = +m[3]!;
  const hour = m[4] ? +m[4] : 0;
  const minute = m[5] ? +m[5] : 0;
  const second = m[6] ? +m[6] : 0;
  // Before Date.UTC, which reads years 0–99 as 1900–1999.
  if (year < 1970) return fail(`${quote(raw)} is ${RANGE}`);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59)
    return fail(`${quote(raw)} is not a valid date`);
  let offsetMin = 0;
  const zone = m[8];
  if (zone && zone !== 'Z' && zone !== 'z') {
    const oh = +zone.slice(1, 3);
    const om = +zone.slice(-2);
    if (oh > 23 || om > 59) return fail(`${quote(raw)} has an invalid UTC offset`);
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // Milliseconds from the fraction's first three digits (the rest is below the resolution kept).
  const ms = m[7] ? +m[7].slice(0, 3).padEnd(3, '0') : 0;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
  return inRange(t) ? ok(t) : fail(`${quote(raw)} is ${RANGE}`);
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
  ms % 86_400_000 === 0 ? `${ms / 86_400_000} d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;

/** The reason an event time is too far from its record's arrival, or undefined when it is within the bounds. */
export function eventTimeProblem(eventMs: number, arrivalMs: number, bounds: EventTimeBounds = DEFAULT_EVENT_TIME_BOUNDS): string | undefined {
  if (eventMs - arrivalMs > bounds.maxAheadMs)
    return `event time ${new Date(eventMs).toISOString()} is more than ${span(bounds.maxAheadMs)} ahead of arrival ${isoOrRaw(arrivalMs)}`;
  if (arrivalMs - eventMs > bounds.maxBehindMs)
    return `event time ${new Date(eventMs).toISOString()} is more than ${span(bounds.maxBehindMs)} behind arrival ${isoOrRaw(arrivalMs)}`;
  return undefined;
}

const isoOrRaw = (ms: number) => (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));
