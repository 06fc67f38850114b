import { InvalidArgumentError } from 'commander';
import { StreamSentinelError } from '../shared/errors';
import type { ClockSkewSpec, LatencySpec } from '../shared/producers/realism';

/**
 * The option values the putting commands share (`start`, `produce`, `replay`): one parser per kind, so
 * `--duration 5m`, `--speed max` or a negative number mean the same thing (or fail with the same message)
 * whichever command they are given to. Each parser is a commander argParser: a bad value stops the command
 * before anything starts, with "error: option '--x <v>' argument '…' is invalid. <our message>".
 */

export class CliOptionError extends StreamSentinelError {}

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** "90", "90s", "1.5m", "2h", "500ms" → seconds, more than 0. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) {
    const what = /^\s*-/.test(text) ? 'a duration cannot be negative' : 'a duration is seconds or a time with a unit';
    throw new InvalidArgumentError(`${what}: e.g. 90, 90s, 5m, 1h.`);
  }
  const seconds = Number(m[1]) * UNITS[m[2] ?? 's']!;
  if (!(seconds > 0)) throw new InvalidArgumentError('a duration must be more than 0: e.g. 90s, 5m.');
  return seconds;
}

/** A pace: "1", "10", "60x", "0.5" (× the records' own event-time pace), or "max" (as fast as it goes). */
export function parseSpeed(text: string): number | 'max' {
  const t = text.trim().toLowerCase();
  if (t === 'max') return 'max';
  const m = /^(\d+(?:\.\d+)?)x?$/.exec(t);
  if (!m || !(Number(m[1]) > 0)) throw new InvalidArgumentError('a speed is a factor more than 0 (1, 10, 60x) or "max".');
  return Number(m[1]);
}

export function parseInteger(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\s*-?\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`an integer from ${min} to ${max} is expected.`);
    return n;
  };
}

export function parseNumberIn(min: number, max: number, unit = ''): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`a number from ${min} to ${max}${unit} is expected.`);
    return n;
  };
}

/** A name from a fixed list; the message lists them. */
export function parseChoice<T extends string>(choices: readonly T[], what: string): (text: string) => T {
  return (text) => {
    if ((choices as readonly string[]).includes(text)) return text as T;
    throw new InvalidArgumentError(`no such ${what}: use one of ${choices.join(', ')}.`);
  };
}

const TIME = String.raw`(\d+(?:\.\d+)?)\s*(ms|s|m|h)?`;
const ms = (value: string, unit: string | undefined) => Number(value) * UNITS[unit ?? 's']! * 1000;

/** Upper bounds: beyond them a run would only hold records, or the functions would refuse them (5 min ahead). */
const MAX_LATENCY_MS = 3_600_000;
const MAX_FLUSH_MS = 900_000;
const MAX_SKEW_MS = 300_000;

/**
 * `--latency`: "0-3s" (uniform between the two; a bare first number takes the second's unit), "500ms-2s", "exp:1s"
 * (exponential with that mean), or "2s" (every record exactly that late).
 */
export function parseLatency(text: string): LatencySpec {
  const t = text.trim().toLowerCase();
  const exp = new RegExp(`^exp(?:onential)?:\\s*${TIME}$`).exec(t);
  if (exp) {
    const meanMs = ms(exp[1]!, exp[2]);
    if (!(meanMs > 0) || meanMs > MAX_LATENCY_MS)
      throw new InvalidArgumentError('an exponential latency needs a mean above 0 and up to 1h: e.g. exp:1s.');
    return { kind: 'exponential', meanMs };
  }
  const range = new RegExp(`^${TIME}\\s*(?:-|\\.\\.|–)\\s*${TIME}$`).exec(t);
  const single = new RegExp(`^${TIME}$`).exec(t);
  if (!range && !single) {
    const what = /^\s*-/.test(t) ? 'a latency cannot be negative' : 'a latency is a range, a mean or a time';
    throw new InvalidArgumentError(`${what}: e.g. 0-3s (uniform), exp:1s (exponential, mean 1 s) or 2s (fixed).`);
  }
  const [minMs, maxMs] = range
    ? [ms(range[1]!, range[2] ?? range[4]), ms(range[3]!, range[4])]
    : [ms(single![1]!, single![2]), ms(single![1]!, single![2])];
  if (minMs > maxMs) throw new InvalidArgumentError('a latency range puts the smaller time first: e.g. 0-3s, not 3-0s.');
  if (maxMs > MAX_LATENCY_MS) throw new InvalidArgumentError('a latency of more than 1h is not a producer, it is an outage: e.g. 0-3s.');
  return { kind: 'uniform', minMs, maxMs };
}

/** `--flush`: a producer's flush interval (KPL's RecordMaxBufferedTime), e.g. 5s or 500ms. */
export function parseFlush(text: string): number {
  const flushMs = parseDuration(text) * 1000;
  if (flushMs > MAX_FLUSH_MS) throw new InvalidArgumentError('a flush interval is at most 15m: e.g. 5s or 500ms.');
  return flushMs;
}

/**
 * `--clock-skew`: "+4s" or "-4s" (every producer's clock that far off; "4s" is +4s), "±4s" or "+-4s" (each producer's
 * own skew, uniform within ±4 s).
 */
export function parseClockSkew(text: string): ClockSkewSpec {
  const m = new RegExp(`^(±|\\+-|\\+/-|\\+|-)?\\s*${TIME}$`).exec(text.trim().toLowerCase());
  if (!m) throw new InvalidArgumentError('a clock skew is a signed time, or ± a time for a spread over the producers: e.g. +4s, -2s, ±4s.');
  const size = ms(m[2]!, m[3]);
  if (size > MAX_SKEW_MS)
    throw new InvalidArgumentError(
      'a clock skew is at most 5m: the functions refuse records more than 5 min ahead of arrival (EVENT_TIME_MAX_AHEAD_SECONDS).',
    );
  const sign = m[1];
  if (sign === '±' || sign === '+-' || sign === '+/-') return { kind: 'spread', ms: size };
  return { kind: 'fixed', ms: sign === '-' ? -size : size };
}

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * The same parsers for commands that take their options as strings (runProduce / runReplay are also called
 * from code): a bad value is a CliOptionError worded like commander's own.
 */
export function optionValue<T>(flag: string, text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new CliOptionError(`${flag} "${text}" is invalid: ${error.message}`);
    throw error;
  }
}
