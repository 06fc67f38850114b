import { Command, CommanderError } from 'commander';
import { producerConditions, runProduce } from '../../../cli/commands/produce';
import { startCommand, startProducers, type StartCommandOptions } from '../../../cli/commands/start';
import { CliOptionError, parseClockSkew, parseFlush, parseLatency } from '../../../cli/options';
import { kinesisClient } from '../../../shared/aws/clients';
import { scenarios } from '../../../shared/producers';
import { createStream, startKinesalite } from '../../support/emulators';
import { readAllRecords } from '../producers/kinesis-readback';

/**
 * `--latency`, `--flush` and `--clock-skew` on `start` and `produce`: what each form means, and what a bad value says
 * to type instead.
 */

function parseStart(args: string[]): { opts?: StartCommandOptions; error?: string } {
  const program = new Command('stream-sentinel').exitOverride();
  let error = '';
  program.configureOutput({ writeErr: (t) => void (error += t), writeOut: () => undefined });
  const start = startCommand(program).exitOverride();
  start.action(() => undefined);
  try {
    program.parse(['node', 'stream-sentinel', 'start', ...args]);
    return { opts: start.opts<StartCommandOptions>() };
  } catch (e) {
    if (e instanceof CommanderError) return { error };
    throw e;
  }
}

describe('parseLatency', () => {
  it('reads a uniform range, the first number taking the second one’s unit when it has none', () => {
    expect(parseLatency('0-3s')).toEqual({ kind: 'uniform', minMs: 0, maxMs: 3000 });
    expect(parseLatency('500ms-2s')).toEqual({ kind: 'uniform', minMs: 500, maxMs: 2000 });
    expect(parseLatency('200-900ms')).toEqual({ kind: 'uniform', minMs: 200, maxMs: 900 });
  });

  it('reads an exponential mean and a fixed latency', () => {
    expect(parseLatency('exp:1s')).toEqual({ kind: 'exponential', meanMs: 1000 });
    expect(parseLatency('exp:250ms')).toEqual({ kind: 'exponential', meanMs: 250 });
    expect(parseLatency('2s')).toEqual({ kind: 'uniform', minMs: 2000, maxMs: 2000 });
  });

  it('refuses what it cannot read, negative and reversed ranges, with an example to type', () => {
    expect(() => parseLatency('soon')).toThrow('a latency is a range, a mean or a time: e.g. 0-3s (uniform), exp:1s');
    expect(() => parseLatency('-1-3s')).toThrow('a latency cannot be negative: e.g. 0-3s');
    expect(() => parseLatency('3-0s')).toThrow('a latency range puts the smaller time first: e.g. 0-3s, not 3-0s.');
    expect(() => parseLatency('exp:0s')).toThrow('an exponential latency needs a mean above 0');
    expect(() => parseLatency('0-2h')).toThrow('a latency of more than 1h');
  });
});

describe('parseFlush and parseClockSkew', () => {
  it('read a flush interval in ms, with the duration parser’s messages', () => {
    expect(parseFlush('5s')).toBe(5000);
    expect(parseFlush('500ms')).toBe(500);
    expect(() => parseFlush('0')).toThrow('a duration must be more than 0');
    expect(() => parseFlush('1h')).toThrow('a flush interval is at most 15m');
  });

  it('read a fixed skew with or without a sign, and a spread with ± or +-', () => {
    expect(parseClockSkew('+4s')).toEqual({ kind: 'fixed', ms: 4000 });
    expect(parseClockSkew('4s')).toEqual({ kind: 'fixed', ms: 4000 });
    expect(parseClockSkew('-2.5s')).toEqual({ kind: 'fixed', ms: -2500 });
    expect(parseClockSkew('±4s')).toEqual({ kind: 'spread', ms: 4000 });
    expect(parseClockSkew('+-500ms')).toEqual({ kind: 'spread', ms: 500 });
  });

  it('refuses an unreadable skew and one the functions would refuse as too far ahead', () => {
    expect(() => parseClockSkew('fast')).toThrow(
      'a clock skew is a signed time, or ± a time for a spread over the producers: e.g. +4s, -2s, ±4s.',
    );
    expect(() => parseClockSkew('+10m')).toThrow('EVENT_TIME_MAX_AHEAD_SECONDS');
  });
});

describe('start --latency --flush --clock-skew', () => {
  it('parses them before anything starts, a negative skew included', () => {
    const { opts } = parseStart(['--latency', '0-3s', '--flush', '5s', '--clock-skew', '-2s']);
    expect(opts).toMatchObject({
      latency: { kind: 'uniform', minMs: 0, maxMs: 3000 },
      flush: 5000,
      clockSkew: { kind: 'fixed', ms: -2000 },
    });
    expect(startProducers(opts!)).toEqual({
      seed: 7,
      latency: { kind: 'uniform', minMs: 0, maxMs: 3000 },
      flushMs: 5000,
      clockSkew: { kind: 'fixed', ms: -2000 },
    });
  });

  it("stops with commander's message and ours on a bad value", () => {
    expect(parseStart(['--latency', '3-0s']).error).toContain(
      "option '--latency <dist>' argument '3-0s' is invalid. a latency range puts the smaller time first",
    );
    expect(parseStart(['--clock-skew', 'later']).error).toContain("option '--clock-skew <skew>' argument 'later' is invalid.");
  });

  it('gives no conditions without the options, and refuses a clock skew on a replay', () => {
    expect(startProducers(parseStart([]).opts!)).toBeUndefined();
    expect(() => startProducers({ seed: 1, replay: 'x.csv', clockSkew: { kind: 'fixed', ms: 1000 } })).toThrow(
      /--clock-skew shifts the time a scenario's generator writes.*use --latency or --flush with --replay/,
    );
    expect(startProducers({ seed: 1, replay: 'x.csv', latency: { kind: 'exponential', meanMs: 1000 } })).toEqual({
      seed: 1,
      latency: { kind: 'exponential', meanMs: 1000 },
    });
  });
});

describe('produce --latency --flush --clock-skew', () => {
  it('builds the conditions from the strings, seeded by --seed', () => {
    expect(producerConditions({ latency: 'exp:1s', clockSkew: '±4s' }, 3)).toEqual({
      seed: 3,
      latency: { kind: 'exponential', meanMs: 1000 },
      clockSkew: { kind: 'spread', ms: 4000 },
    });
    expect(producerConditions({}, 3)).toBeUndefined();
  });

  it('names the option and the value in its error', () => {
    expect(() => producerConditions({ flush: 'often' }, 1)).toThrow(CliOptionError);
    expect(() => producerConditions({ flush: 'often' }, 1)).toThrow(
      '--flush "often" is invalid: a duration is seconds or a time with a unit',
    );
  });

  it('--print writes the records in arrival order with the time their producer’s clock wrote', async () => {
    const base = {
      scenario: 'toll',
      duration: '20s',
      seed: '4',
      start: '2026-03-01T12:00:00Z',
      anomaly: [],
      pace: true,
      print: true,
      concurrency: '2',
    };
    const io = { log: () => undefined, stream: { write: () => true } };
    const { Writable } = await import('node:stream');
    const sink = () => {
      const lines: string[] = [];
      const out = new Writable({ write: (c: Buffer, _e, done) => void (lines.push(...c.toString().split('\n').filter(Boolean)), done()) });
      return { lines, out };
    };
    const plain = sink();
    await runProduce(base, { ...io, stdout: plain.out });
    const skewed = sink();
    await runProduce({ ...base, clockSkew: '+4s', flush: '5s' }, { ...io, stdout: skewed.out });
    expect(skewed.lines).toHaveLength(plain.lines.length);
    const shifted = (line: string) => `${new Date(Date.parse(line.slice(0, 24)) + 4000).toISOString()}${line.slice(24)}`;
    expect([...skewed.lines].sort()).toEqual(plain.lines.map(shifted).sort());
    // Flushed in batches per station: not in event-time order any more.
    expect(skewed.lines).not.toEqual(plain.lines.map(shifted));
  });
});

describe('produce --latency --flush --clock-skew into a stream (kinesalite)', () => {
  it('puts every record once, with the time its producer’s clock wrote', async () => {
    const kinesalite = await startKinesalite();
    const client = kinesisClient({ endpoint: kinesalite.endpoint });
    try {
      const streamName = await createStream(kinesalite.endpoint, 'field', 2);
      const opts = {
        scenario: 'toll',
        duration: '30s',
        rate: '20',
        seed: '6',
        start: '2026-03-01T12:00:00Z',
        anomaly: [],
        pace: false,
        concurrency: '2',
        endpoint: kinesalite.endpoint,
        stream: streamName,
        latency: '0-2s',
        flush: '1s',
        clockSkew: '+4s',
      };
      const logged: string[] = [];
      const summary = await runProduce(opts, { log: (l) => void logged.push(l), stream: { write: () => true } });
      const generated = [...scenarios.toll.generate({ seed: 6, start: Date.parse(opts.start), duration: 30, rate: 20 })];
      expect(summary!.sent).toBe(generated.length);
      const landed = await readAllRecords(client, streamName);
      const shifted = generated.map((r) => `${new Date(r.eventTime.getTime() + 4000).toISOString()}${r.data.slice(24)}`);
      expect(landed.map((r) => r.data).sort()).toEqual(shifted.sort());
      expect(logged.join('\n')).toContain('producers: latency U(0 s, 2 s), flush every 1 s, producer clocks +4 s (seed 6)');
    } finally {
      client.destroy();
      await kinesalite.close();
    }
  });
});
