import { Command, CommanderError } from 'commander';
import { keepOpenByDefault, startCommand } from '../../../cli/commands/start';
import { CliOptionError, optionValue, parseDuration, parseSpeed } from '../../../cli/options';

/** Parses `start` arguments as the CLI does, without running it: the options, or commander's error message. */
function parseStart(args: string[]): { opts?: Record<string, unknown>; error?: string } {
  const program = new Command('stream-sentinel').exitOverride();
  let error = '';
  program.configureOutput({ writeErr: (t) => void (error += t), writeOut: () => undefined });
  const start = startCommand(program).exitOverride();
  start.action(() => undefined);
  try {
    program.parse(['node', 'stream-sentinel', 'start', ...args]);
    return { opts: start.opts() };
  } catch (e) {
    if (e instanceof CommanderError) return { error };
    throw e;
  }
}

describe('the shared option parsers', () => {
  it('read durations with units as seconds, like produce', () => {
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('5m')).toBe(300);
    expect(parseDuration('1.5h')).toBe(5400);
    expect(parseDuration('500ms')).toBe(0.5);
  });

  it('refuse negative, zero and unreadable durations with what to type', () => {
    expect(() => parseDuration('-5')).toThrow('a duration cannot be negative: e.g. 90, 90s, 5m, 1h.');
    expect(() => parseDuration('0s')).toThrow('a duration must be more than 0');
    expect(() => parseDuration('soon')).toThrow('a duration is seconds or a time with a unit');
  });

  it('read speeds as factors or max', () => {
    expect(parseSpeed('max')).toBe('max');
    expect(parseSpeed('60x')).toBe(60);
    expect(parseSpeed('2.5')).toBe(2.5);
    expect(() => parseSpeed('0')).toThrow('a speed is a factor more than 0');
    expect(() => parseSpeed('fast')).toThrow('a speed is a factor more than 0');
  });

  it('name the option and the value for commands that take strings (produce, replay)', () => {
    expect(() => optionValue('--duration', '-5', parseDuration)).toThrow(CliOptionError);
    expect(() => optionValue('--duration', '-5', parseDuration)).toThrow('--duration "-5" is invalid: a duration cannot be negative');
  });
});

describe('start options', () => {
  it('takes --duration 5m and --speed max like produce and replay', () => {
    expect(parseStart(['--duration', '5m', '--speed', 'max']).opts).toMatchObject({ duration: 300, speed: 'max' });
    expect(parseStart(['--speed', '60x']).opts).toMatchObject({ speed: 60 });
  });

  it('rejects --duration -5 with a clear message instead of running the default demo', () => {
    expect(parseStart(['--duration', '-5']).error).toContain(
      "option '--duration <time>' argument '-5' is invalid. a duration cannot be negative",
    );
  });

  it('lists the valid scenarios for --scenario nope', () => {
    expect(parseStart(['--scenario', 'nope']).error).toContain('no such scenario: use one of toll, wind, players, clicks.');
  });

  it('takes --anomaly like produce, repeatable', () => {
    expect(parseStart(['--scenario', 'wind', '--anomaly', 'gust@2m', '--anomaly', 'storm:harbor@5m']).opts).toMatchObject({
      scenario: 'wind',
      anomaly: ['gust@2m', 'storm:harbor@5m'],
    });
  });

  it('leaves --keep-open undecided unless given either way (decided by the terminal)', () => {
    expect(parseStart([]).opts!.keepOpen).toBeUndefined();
    expect(parseStart(['--keep-open']).opts!.keepOpen).toBe(true);
    expect(parseStart(['--no-keep-open']).opts!.keepOpen).toBe(false);
  });

  it('keeps the run open on an interactive terminal with a dashboard, or when asked either way', () => {
    expect(keepOpenByDefault(undefined, true, true)).toBe(true);
    expect(keepOpenByDefault(undefined, true, false)).toBe(false); // a pipe, CI
    expect(keepOpenByDefault(undefined, false, true)).toBe(false); // nothing to look at
    expect(keepOpenByDefault(true, false, false)).toBe(true);
    expect(keepOpenByDefault(false, true, true)).toBe(false);
  });

  it('checks integers and ranges', () => {
    expect(parseStart(['--seed', '1.5']).error).toContain('an integer from');
    expect(parseStart(['--window', '0']).error).toContain('a number from 0.1 to 900 seconds is expected.');
    expect(parseStart(['--shards', '3']).opts).toMatchObject({ shards: 3 });
  });
});
