import type { Command } from 'commander';
import { z } from 'zod';
import type { ProduceOptions, ProduceProgress, ProduceSummary, PutRecord } from '../../shared/producers/put';
import type { StreamTarget, TargetOptions } from '../../shared/producers/target';
import type { ProducerConditions } from '../../shared/producers/realism';
import { CliOptionError, collect, optionValue, parseClockSkew, parseDuration, parseFlush, parseLatency } from '../options';

/**
 * `stream-sentinel produce`: a scenario's traffic (seeds 000–004) onto the input stream at a steady rate,
 * with anomalies injected on request. Shares the target options and the progress display with `replay`.
 */

// Heavy modules (AWS SDK) load inside the actions so `--help` stays fast; tsx's CommonJS hook needs require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const load = <T>(path: string): T => require(path) as T;

/** Where a command's messages go: stderr by default, so that stdout stays for data (--print). */
export interface CliIo {
  log: (line: string) => void;
  stream: { write(text: string): unknown; isTTY?: boolean };
  /** Where data goes (--print); process.stdout when not given. */
  stdout?: NodeJS.WritableStream;
}
export const stderrIo: CliIo = { log: (line) => console.error(line), stream: process.stderr };

/**
 * `--print`: one record per line, read from the generator only as fast as the reader takes them. A reader that
 * stops early (`| head`) closes the pipe: that ends the output quietly (EPIPE is not an error here).
 */
export async function printRecords(records: Iterable<{ data: string | Uint8Array }>, out: NodeJS.WritableStream): Promise<void> {
  const { Readable } = load<typeof import('node:stream')>('node:stream');
  const { pipeline } = load<typeof import('node:stream/promises')>('node:stream/promises');
  const lines = function* () {
    for (const r of records) yield `${typeof r.data === 'string' ? r.data : Buffer.from(r.data).toString('utf8')}\n`;
  };
  try {
    await pipeline(Readable.from(lines()), out, { end: false });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPIPE' && code !== 'ERR_STREAM_PREMATURE_CLOSE' && code !== 'ERR_STREAM_DESTROYED') throw error;
  }
}

export { CliOptionError };

/** Adds the "where to" options every putting command has. */
export function targetOptions(command: Command): Command {
  return command
    .option('--stage <stage>', 'put into the deployed stack stream-sentinel-<stage> (its StreamName output, read with CloudFormation)')
    .option('--region <region>', "AWS region of the stage (default: AWS_REGION or the profile's)")
    .option('--local', 'put into the local emulators started by `npm run stack` / `npm start` (.stream-sentinel/stack.json)')
    .option('--endpoint <url>', 'any Kinesis-compatible endpoint (with --stream)')
    .option('--stream <name>', "the stream name (with --endpoint; overrides the stack's stream otherwise)")
    .option('--concurrency <n>', 'PutRecords calls in flight at once', '2');
}

export interface TargetCliOptions {
  stage?: string;
  region?: string;
  local?: boolean;
  endpoint?: string;
  stream?: string;
  concurrency: string;
}

export const toTargetOptions = (o: TargetCliOptions): TargetOptions => ({
  ...(o.stage !== undefined ? { stage: o.stage } : {}),
  ...(o.region !== undefined ? { region: o.region } : {}),
  ...(o.local ? { local: true } : {}),
  ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
  ...(o.stream !== undefined ? { stream: o.stream } : {}),
});

export function parseConcurrency(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new CliOptionError(`--concurrency must be an integer from 1 to 64, got "${text}"`);
  return n;
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

/** A cli-progress bar on a terminal; plain lines every few seconds otherwise (CI logs, pipes). */
export function progressReporter(
  label: string,
  total?: number,
  stream: CliIo['stream'] = process.stderr,
): { update(p: ProduceProgress): void; stop(): void } {
  if (stream.isTTY) {
    const { SingleBar, Presets } = load<typeof import('cli-progress')>('cli-progress');
    const bar = new SingleBar(
      {
        format: total
          ? `${label} {bar} {percentage}% | {value}/{total} records | {rps} rec/s | failures {failed} | throttled {throttled}`
          : `${label} {value} records | {rps} rec/s | failures {failed} | throttled {throttled}`,
        stream: stream as NodeJS.WriteStream,
        hideCursor: true,
        etaBuffer: 50,
      },
      Presets.shades_classic,
    );
    bar.start(total ?? 0, 0, { rps: '0', failed: 0, throttled: 0 });
    return {
      update: (p) => {
        if (total && p.sent > total) bar.setTotal(p.sent);
        bar.update(p.sent, { rps: fmt(p.recordsPerSecond), failed: p.failed, throttled: p.throttled });
      },
      stop: () => bar.stop(),
    };
  }
  let lastLine = 0;
  let last: ProduceProgress | undefined;
  const line = (p: ProduceProgress) =>
    stream.write(
      `${label}: ${p.sent}${total ? `/${total}` : ''} records sent, ${fmt(p.recordsPerSecond)} records/s, ${p.failed} failures, ${p.throttled} throttled\n`,
    );
  return {
    update: (p) => {
      last = p;
      if (p.elapsedMs - lastLine >= 5000) {
        lastLine = p.elapsedMs;
        line(p);
      }
    },
    stop: () => {
      if (last && last.elapsedMs !== lastLine) line(last);
    },
  };
}

export function summaryText(what: string, where: string, s: ProduceSummary): string {
  const errors = Object.entries(s.errors).map(([code, n]) => `${code} ×${n}`);
  const lines = [
    `${what}: ${s.sent} records (${fmt(s.bytes / 1024)} KiB) into ${where} in ${fmt(s.elapsedMs / 1000, 2)} s, ${fmt(s.recordsPerSecond)} records/s; ${s.requests} PutRecords calls for ${s.batches} batches`,
    `  failures retried: ${s.failed} entries${errors.length ? ` (${errors.join(', ')})` : ''}; ${s.retriedRecords} records needed a retry; throttled requests: ${s.throttled}`,
  ];
  if (s.firstEventTime && s.lastEventTime) lines.push(`  event time: ${s.firstEventTime.toISOString()} → ${s.lastEventTime.toISOString()}`);
  if (s.stopped) lines.push('  stopped before the end of the records');
  return lines.join('\n');
}

const produceOptionsSchema = z.object({
  scenario: z.string(),
  rate: z
    .string()
    .regex(/^\d+(\.\d+)?(\/s)?$/, '--rate is records per second, e.g. 100 or 100/s')
    .transform((t) => Number(t.replace('/s', '')))
    .refine((n) => n > 0, '--rate must be more than 0')
    .optional(),
  duration: z.string(),
  seed: z
    .string()
    .regex(/^-?\d+$/, '--seed must be an integer')
    .transform(Number),
  start: z
    .string()
    .refine((t) => !Number.isNaN(Date.parse(t)), '--start must be an ISO-8601 date-time, e.g. 2026-01-01T00:00:00Z')
    .transform((t) => new Date(t))
    .optional(),
  anomaly: z.array(z.string()).default([]),
  pace: z.boolean().default(true),
  print: z.boolean().default(false),
});

export interface ProduceCliOptions extends TargetCliOptions {
  scenario: string;
  rate?: string;
  duration: string;
  seed: string;
  start?: string;
  anomaly: string[];
  pace: boolean;
  print?: boolean;
  latency?: string;
  flush?: string;
  clockSkew?: string;
}

/** `--latency`, `--flush`, `--clock-skew` as producer conditions drawn from `seed`; undefined when none is given. */
export function producerConditions(
  o: { latency?: string | undefined; flush?: string | undefined; clockSkew?: string | undefined },
  seed: number,
): ProducerConditions | undefined {
  if (o.latency === undefined && o.flush === undefined && o.clockSkew === undefined) return undefined;
  return {
    seed,
    ...(o.latency !== undefined ? { latency: optionValue('--latency', o.latency, parseLatency) } : {}),
    ...(o.flush !== undefined ? { flushMs: optionValue('--flush', o.flush, parseFlush) } : {}),
    ...(o.clockSkew !== undefined ? { clockSkew: optionValue('--clock-skew', o.clockSkew, parseClockSkew) } : {}),
  };
}

export async function runProduce(opts: ProduceCliOptions, io: CliIo = stderrIo): Promise<ProduceSummary | undefined> {
  const parsed = produceOptionsSchema.safeParse(opts);
  if (!parsed.success) throw new CliOptionError(parsed.error.issues.map((i) => i.message).join('; '));
  const o = parsed.data;
  const { getScenario, parseAnomaly, injectedAnomalies } = load<typeof import('../../shared/producers')>('../../shared/producers');
  const scenario = getScenario(o.scenario);
  const conditions = producerConditions(opts, o.seed);
  const options = {
    seed: o.seed,
    rate: o.rate ?? scenario.defaultRate,
    start: o.start ?? new Date(),
    duration: optionValue('--duration', o.duration, parseDuration),
    anomalies: o.anomaly.map(parseAnomaly),
  };
  const generated = scenario.generate(options);
  const { withConditions, describeConditions } = load<typeof import('../../shared/producers/realism')>('../../shared/producers/realism');
  // With producer conditions the records go out at their simulated arrival (sendAt), carrying the time their
  // producer's clock wrote; the pacer follows sendAt, so latency and flushes happen in real time.
  const records: Iterable<PutRecord> = conditions
    ? (function* () {
        for (const r of withConditions(generated, conditions)) yield { ...r, sendAt: new Date(r.arrivalMs) };
      })()
    : generated;
  const injected = injectedAnomalies(scenario.name, options);
  if (o.print) {
    await printRecords(records, io.stdout ?? process.stdout);
    return undefined;
  }
  const { resolveTarget } = load<typeof import('../../shared/producers/target')>('../../shared/producers/target');
  const concurrency = parseConcurrency(opts.concurrency);
  const target = await resolveTarget(toTargetOptions(opts));
  const expected = Math.round(options.duration * options.rate);
  io.log(
    `${scenario.name}: ${fmt(options.rate)} records/s${o.pace ? '' : ' (unpaced)'} for ${options.duration} s of event time from ${options.start.toISOString()}, seed ${o.seed}, into ${target.description}`,
  );
  if (conditions) io.log(`  producers: ${describeConditions(conditions)} (seed ${o.seed})`);
  for (const a of injected)
    io.log(`  anomaly ${a.kind} on ${a.key} at +${a.at} s for ${fmt(a.duration)} s (${new Date(a.startMs).toISOString()})`);
  return putWithProgress(
    'produce',
    target,
    {
      records,
      concurrency,
      // Real-time pacing by the records' own event times: the generator spaces them at exactly `rate` a second,
      // so the rate is steady, event time stays with the clock (the KDG's {{date.now}}), and anomalies that
      // add or remove traffic (spike, quiet) do so in real time instead of shifting every later record.
      ...(o.pace ? { speed: 1 } : {}),
    },
    io,
    expected,
  );
}

/** Puts the records on the target with a progress display, then prints the summary; the target's client is closed after. */
export async function putWithProgress<R extends PutRecord>(
  what: 'produce' | 'replay',
  target: StreamTarget,
  options: Omit<ProduceOptions<R>, 'client' | 'streamName' | 'onProgress'>,
  io: CliIo,
  total?: number,
): Promise<ProduceSummary<R>> {
  const { produce } = load<typeof import('../../shared/producers/put')>('../../shared/producers/put');
  const progress = progressReporter(what, total, io.stream);
  try {
    const summary = await produce({ ...options, client: target.client, streamName: target.streamName, onProgress: progress.update });
    progress.stop();
    io.log(summaryText(what, target.description, summary));
    return summary;
  } catch (error) {
    progress.stop();
    throw error;
  } finally {
    target.client.destroy();
  }
}

export function register(program: Command): void {
  const command = program
    .command('produce')
    .description("Put a scenario's records (seeds 000–004) on the input stream at a steady rate, with anomalies injected on request")
    .requiredOption('--scenario <name>', 'toll | wind | players | clicks')
    .option('--rate <n>', "records per second, e.g. 100 or 100/s (default: the scenario's; toll 100, wind 10, players 50, clicks 50)")
    .option('--duration <time>', 'event time to produce: 90s, 5m, 1h', '60s')
    .option(
      '--anomaly <kind[:key]@time[+duration]>',
      'inject an anomaly, repeatable: diversion@120s, quiet:Exit29@5m, gust@30s, storm:harbor@2m, hotspot@1m, spike@90s+30s',
      collect,
      [],
    )
    .option('--seed <n>', 'seed of the generator: the same seed gives the same records', '1')
    .option('--start <iso>', 'event time of the first record (default: now)')
    .option('--no-pace', "send as fast as the stream accepts instead of in real time (by the records' event times, i.e. at --rate)")
    .option('--print', 'write the records to stdout instead of putting them (no stream needed)')
    .option('--latency <dist>', "delay each record's arrival: 0-3s (uniform), exp:1s (exponential, mean 1 s) or 2s (fixed)")
    .option(
      '--flush <time>',
      "hold each producer's records and put them together every <time>, as a KPL producer's RecordMaxBufferedTime: 5s, 500ms",
    )
    .option(
      '--clock-skew <skew>',
      'shift the event time the producers write (not their arrival): +4s, -2s, or ±4s (each producer its own skew within ±4 s)',
    );
  targetOptions(command).addHelpText(
    'after',
    `
Scenarios and anomalies:
  toll     CSV date,station,plate (seed 001's KDG template)       diversion[:station] (default 35South), quiet[:station] (default Exit29)
  wind     JSON {location, speed, timestamp} (seed 002)             gust[:location] (20 s), storm[:location] (3 min); default north-ridge
  players  JSON {player_id, latitude, longitude, timestamp} (000)   hotspot[:lat,lon] (2 min; default 40.758,-73.9855)
  clicks   JSON {url, visitor_id, timestamp} (seed 004)             spike[:url] (60 s, 10× visitors; default https://news.ycombinator.com/)

Examples:
  stream-sentinel produce --scenario toll --local --duration 5m --anomaly diversion@3m
  stream-sentinel produce --scenario wind --stage dev --rate 20/s --anomaly storm:harbor@2m
  stream-sentinel produce --scenario clicks --endpoint http://127.0.0.1:4567 --stream test --no-pace --duration 1h
  stream-sentinel produce --scenario toll --local --latency 0-3s --flush 5s --clock-skew ±4s   # field producers (docs/producers.md)`,
  );
  command.action(async (opts: ProduceCliOptions) => {
    await runProduce(opts);
  });
}
