import { InvalidArgumentError } from 'commander';
import { StreamSentinelError } from '../shared/errors';

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
