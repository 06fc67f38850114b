import type { Command } from 'commander';
import { resolve } from 'node:path';

/**
 * `stream-sentinel start` (`npm start`): the whole pipeline on this machine — emulators, the real
 * handlers, alerts captured, a producer scenario in compressed event time, a live dashboard — then a
 * summary (and `--report <file.json>`).
 */

// Heavy modules (AWS SDK, emulators, handlers) load inside the action so `--help` stays fast. The CLI
// runs through tsx's CommonJS hook, which dynamic import() bypasses, hence require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(path: string): T => require(path) as T;

export interface StartCommandOptions {
  scenario: string;
  replay?: string;
  duration?: string;
  seed: string;
  speed?: string;
  forever?: boolean;
  report?: string;
  window: string;
  shards?: string;
  dashboard: boolean;
  port?: string;
  keepOpen?: boolean;
}

function number(value: string | undefined, flag: string, check: (n: number) => boolean, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new Error(`${flag} must be ${what}, got "${value}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command('start')
    .description(
      'Local mode: emulators, the real functions, captured alerts, a producer scenario and a live dashboard — no AWS account needed',
    )
    .option('--scenario <name>', 'producer scenario to run', 'toll')
    .option(
      '--replay <file|dir>',
      "replay a file or directory instead of a scenario (CSV, NDJSON, raw Firehose JSON or kept rejects, gzip or not; key and event time from the detectors' fields)",
    )
    .option('--duration <seconds>', "event-time length of the scenario (default: the scenario's demo length)")
    .option('--seed <n>', 'seed of the scenario (same seed, same records)', '7')
    .option('--speed <x>', 'event seconds per wall-clock second (default: fast enough to reach the anomaly in about a minute)')
    .option('--forever', 'keep producing until Ctrl-C')
    .option('--report <file.json>', 'write a JSON report of the run (produced, processed, rejected, injected, windows, alerts)')
    .option('--window <seconds>', "the local event source's tumbling window in wall-clock seconds", '1')
    .option('--shards <n>', 'shards of the local stream (default: from resources/stream.yml)')
    .option('--no-dashboard', 'do not serve the dashboard')
    .option('--port <n>', 'dashboard port (default: any free port)')
    .option('--keep-open', 'after the run, keep the stack and dashboard up until Ctrl-C')
    .action(async (opts: StartCommandOptions) => {
      const { runLocalMode } = load<typeof import('../../local/main')>('../../local/main');
      const seed = number(opts.seed, '--seed', Number.isInteger, 'an integer')!;
      const duration = number(opts.duration, '--duration', (n) => n > 0, 'a positive number of seconds');
      const speed = number(opts.speed, '--speed', (n) => n > 0, 'a positive number');
      const window = number(opts.window, '--window', (n) => n >= 0.1 && n <= 900, 'between 0.1 and 900 seconds')!;
      const shards = number(opts.shards, '--shards', (n) => Number.isInteger(n) && n >= 1 && n <= 50, 'an integer 1..50');
      const port = number(opts.port, '--port', (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'a port number');
      const report = await runLocalMode({
        scenario: opts.scenario,
        ...(opts.replay ? { replay: resolve(opts.replay) } : {}),
        ...(duration !== undefined ? { duration } : {}),
        seed,
        ...(speed !== undefined ? { speed } : {}),
        forever: Boolean(opts.forever),
        ...(opts.report ? { reportFile: resolve(opts.report) } : {}),
        tumblingWindowSeconds: window,
        ...(shards !== undefined ? { shards } : {}),
        dashboard: opts.dashboard ? { ...(port !== undefined ? { port } : {}) } : false,
        keepOpen: Boolean(opts.keepOpen),
        out: process.stdout,
      });
      // Records that could not be processed are a failed run, even though the demo reached its end.
      if (report.onFailure > 0) process.exitCode = 1;
    });
}
