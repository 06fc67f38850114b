import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { scenarioNames } from '../../shared/producers/scenarios';
import type { ClockSkewSpec, LatencySpec } from '../../shared/producers/realism';
import {
  CliOptionError,
  collect,
  parseChoice,
  parseClockSkew,
  parseDuration,
  parseFlush,
  parseInteger,
  parseLatency,
  parseNumberIn,
  parseSpeed,
} from '../options';

/**
 * `stream-sentinel start` (`npm start`): the whole pipeline on this machine — emulators, the real
 * handlers, alerts captured, a producer scenario in compressed event time, a live dashboard — then a
 * summary (and `--report <file.json>`).
 */

// Heavy modules (AWS SDK, emulators, handlers) load inside the action so `--help` stays fast. The CLI
// runs through tsx's CommonJS hook, which dynamic import() bypasses, hence require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(path: string): T => require(path) as T;

/** The parsed options (commander runs the shared parsers of ../options.ts on each value). */
export interface StartCommandOptions {
  scenario: string;
  replay?: string;
  duration?: number;
  seed: number;
  speed?: number | 'max';
  anomaly: string[];
  forever?: boolean;
  report?: string;
  detectors?: string;
  window: number;
  shards?: number;
  dashboard: boolean;
  port?: number;
  /** undefined: keep open on an interactive terminal only. */
  keepOpen?: boolean;
  latency?: LatencySpec;
  /** ms */
  flush?: number;
  clockSkew?: ClockSkewSpec;
}

/** The producer conditions the options ask for (undefined: none), checked against --replay. */
export function startProducers(opts: Pick<StartCommandOptions, 'latency' | 'flush' | 'clockSkew' | 'replay' | 'seed'>) {
  if (opts.latency === undefined && opts.flush === undefined && opts.clockSkew === undefined) return undefined;
  if (opts.replay && opts.clockSkew)
    throw new CliOptionError(
      "--clock-skew shifts the time a scenario's generator writes; a replayed file keeps its own times: use --latency or --flush with --replay",
    );
  return {
    seed: opts.seed,
    ...(opts.latency ? { latency: opts.latency } : {}),
    ...(opts.flush !== undefined ? { flushMs: opts.flush } : {}),
    ...(opts.clockSkew ? { clockSkew: opts.clockSkew } : {}),
  };
}

/** Keep the dashboard up after the run: as asked, else on an interactive terminal (someone is looking at it). */
export const keepOpenByDefault = (asked: boolean | undefined, dashboard: boolean, tty: boolean): boolean => asked ?? (dashboard && tty);

export function startCommand(program: Command): Command {
  return program
    .command('start')
    .description(
      'Local mode: emulators, the real functions, captured alerts, a producer scenario and a live dashboard — no AWS account needed',
    )
    .option('--scenario <name>', `producer scenario to run: ${scenarioNames.join(', ')}`, parseChoice(scenarioNames, 'scenario'), 'toll')
    .option(
      '--replay <file|dir>',
      "replay a file or directory instead of a scenario (CSV, NDJSON, raw Firehose JSON or kept rejects, gzip or not; key and event time from the detectors' fields)",
    )
    .option('--duration <time>', "event time of the scenario: 600, 90s, 5m, 1h (default: the scenario's demo length)", parseDuration)
    .option(
      '--anomaly <kind[:key]@time[+duration]>',
      "inject an anomaly instead of the demo's, repeatable (as in produce): diversion@3m, gust@2m, spike@5m+30s, hotspot@4m",
      collect,
    )
    .option('--seed <n>', 'seed of the scenario (same seed, same records)', parseInteger(-(2 ** 31), 2 ** 31 - 1), 7)
    .option(
      '--speed <x|max>',
      'event seconds per wall-clock second, e.g. 30 or 60x; max = as fast as whole windows can be put (default: fast enough to reach the anomaly in about a minute)',
      parseSpeed,
    )
    .option('--forever', 'keep producing until Ctrl-C')
    .option('--detectors <file>', 'the detectors file to run with (default: DETECTORS_FILE or detectors.yml)')
    .option(
      '--report <file.json>',
      'write a JSON report of the run (produced, processed, rejected, injected, windows with count and scoredCount, alerts)',
    )
    .option('--window <seconds>', "the local event source's tumbling window in wall-clock seconds", parseNumberIn(0.1, 900, ' seconds'), 1)
    .option('--shards <n>', 'shards of the local stream (default: from resources/stream.yml)', parseInteger(1, 50))
    .option('--no-dashboard', 'do not serve the dashboard')
    .option('--port <n>', 'dashboard port (default: any free port)', parseInteger(0, 65535))
    .option(
      '--latency <dist>',
      "delay each record's arrival, in event time: 0-3s (uniform), exp:1s (exponential, mean 1 s), 2s (fixed); see scoredCount in --report",
      parseLatency,
    )
    .option('--flush <time>', "hold each producer's records and put them together every <time> of event time (KPL-style): 5s", parseFlush)
    .option(
      '--clock-skew <skew>',
      'shift the event time the producers write, not their arrival: +4s, -2s, or ±4s (each producer its own within ±4 s)',
      parseClockSkew,
    )
    .option('--keep-open', 'after the summary, keep the stack and dashboard up until Ctrl-C (default on an interactive terminal)')
    .option('--no-keep-open', 'end when the run ends, even on an interactive terminal');
}

export function register(program: Command): void {
  startCommand(program).action(async (opts: StartCommandOptions) => {
    if (opts.replay && opts.anomaly?.length) throw new CliOptionError('--anomaly injects into a scenario; it cannot be used with --replay');
    if (opts.detectors && !existsSync(opts.detectors))
      throw new CliOptionError(`--detectors ${opts.detectors} does not exist: give the path of a detectors file (see docs/detectors.md)`);
    const producers = startProducers(opts);
    const { runLocalMode } = load<typeof import('../../local/main')>('../../local/main');
    const tty = Boolean(process.stdout.isTTY && process.stdin.isTTY);
    const report = await runLocalMode({
      scenario: opts.scenario,
      ...(opts.replay ? { replay: resolve(opts.replay) } : {}),
      ...(opts.duration !== undefined ? { duration: opts.duration } : {}),
      seed: opts.seed,
      ...(opts.speed !== undefined ? { speed: opts.speed === 'max' ? Infinity : opts.speed } : {}),
      ...(opts.anomaly?.length ? { anomalies: opts.anomaly } : {}),
      forever: Boolean(opts.forever),
      ...(opts.report ? { reportFile: resolve(opts.report) } : {}),
      ...(opts.detectors ? { detectorsFile: resolve(opts.detectors) } : {}),
      tumblingWindowSeconds: opts.window,
      ...(opts.shards !== undefined ? { shards: opts.shards } : {}),
      dashboard: opts.dashboard ? { ...(opts.port !== undefined ? { port: opts.port } : {}) } : false,
      keepOpen: keepOpenByDefault(opts.keepOpen, opts.dashboard, tty),
      out: process.stdout,
      ...(producers ? { producers } : {}),
    });
    // Records that could not be processed are a failed run, even though the demo reached its end.
    if (report.onFailure > 0) process.exitCode = 1;
  });
}
