import type { Writable } from 'node:stream';
import { HOTSPOTS_KEY } from './dashboard/data';
import { createLocalPipeline, localPipelineFactory } from './pipeline';
import { partialWindows, rejectAdvice, type RunReport } from './report';
import { startLocalRun, type RunEvent, type RunProgress } from './run';
import { replaySource, scenarioSource } from './sources';
import type { ProducerConditions } from '../shared/producers/realism';

/** What `stream-sentinel start` asks for (validated by the command). */
export interface LocalModeOptions {
  scenario: string;
  replay?: string;
  duration?: number;
  seed: number;
  /** Event seconds per wall second; Infinity: as fast as whole windows can be put. */
  speed?: number;
  /** Anomalies to inject instead of the scenario's demo ones (produce's `--anomaly` syntax). */
  anomalies?: string[];
  forever: boolean;
  reportFile?: string;
  tumblingWindowSeconds: number;
  shards?: number;
  dashboard: false | { port?: number };
  keepOpen: boolean;
  out: Writable & { isTTY?: boolean };
  /** The detectors file (default: DETECTORS_FILE or detectors.yml). */
  detectorsFile?: string;
  /** Where the stack file goes (default .stream-sentinel/stack.json; false: none, as in tests). */
  stackFile?: string | false;
  /** Field producers' latency, flushes and clock skew (`--latency`, `--flush`, `--clock-skew`), in event time. */
  producers?: ProducerConditions;
}

/** Runs local mode with a terminal a person can follow: a live status line, each alert as it is sent, a summary. */
export async function runLocalMode(options: LocalModeOptions): Promise<RunReport> {
  const out = options.out;
  const tty = Boolean(out.isTTY);
  let statusShown = false;
  let lastPlain = 0;
  const line = (text: string) => {
    if (tty && statusShown) out.write('\r\x1b[K');
    statusShown = false;
    out.write(text + '\n');
  };
  const status = (p: RunProgress) => {
    const text =
      `records in ${p.produced}${p.total !== undefined ? `/${p.total}` : ''} · processed ${p.processed} · windows ${p.windows} · ` +
      `anomalies ${p.anomalies} · alerts ${p.alerts}${p.rejected ? ` · rejected ${p.rejected}` : ''}`;
    if (tty) {
      out.write(`\r\x1b[K${text}`);
      statusShown = true;
    } else if (Date.now() - lastPlain > 5000) {
      lastPlain = Date.now();
      out.write(text + '\n');
    }
  };

  // The pacer fills the event source's arrival-time windows, so it must know their length.
  const slotSeconds = options.tumblingWindowSeconds;
  const source = options.replay
    ? await replaySource({
        file: options.replay,
        slotSeconds,
        ...(options.detectorsFile ? { detectorsFile: options.detectorsFile } : {}),
        ...(options.speed !== undefined ? { speed: options.speed } : {}),
        ...(options.producers ? { conditions: options.producers, seed: options.seed } : {}),
      })
    : scenarioSource({
        scenario: options.scenario,
        seed: options.seed,
        slotSeconds,
        ...(options.detectorsFile ? { detectorsFile: options.detectorsFile } : {}),
        ...(options.duration !== undefined ? { duration: options.duration } : {}),
        ...(options.speed !== undefined ? { speed: options.speed } : {}),
        ...(options.anomalies?.length ? { anomalies: options.anomalies } : {}),
        ...(options.producers ? { conditions: options.producers } : {}),
        forever: options.forever,
      });

  let holding = false;
  const onEvent = (event: RunEvent) => {
    switch (event.type) {
      case 'started':
        line(
          [
            'stream-sentinel local mode — emulators in this process, nothing leaves 127.0.0.1',
            `  Kinesis ${event.stack.kinesisEndpoint} · DynamoDB ${event.stack.dynamodbEndpoint} · SNS (captured) ${event.stack.snsEndpoint}`,
            `  source: ${event.source}`,
            event.dashboardUrl ? `  dashboard: ${event.dashboardUrl}` : '  dashboard: off',
            options.forever ? '  Ctrl-C stops producing; the run then finishes and prints its summary.' : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
        break;
      case 'progress':
        status(event.progress);
        break;
      case 'alert':
        line(
          `ALERT sent ${event.message.sentAt.slice(11, 19)}Z${event.message.subject ? ` · ${event.message.subject}` : ''}\n  ${event.message.message.replace(/\n/g, '\n  ')}`,
        );
        break;
      case 'failure':
        line(
          `on-failure: ${event.failure.KinesisBatchInfo.batchSize} record(s) of ${event.failure.KinesisBatchInfo.shardId} given up after ${event.failure.requestContext.approximateInvokeCount} attempts: ${event.failure.error}`,
        );
        break;
      case 'phase':
        if (event.phase === 'draining') line('all records put; waiting for the last windows to close…');
        if (event.phase === 'alerting') line('windows written; sending the alerts still owed…');
        break;
      case 'finished':
        line(summary(event.report, options.reportFile));
        break;
      case 'holding':
        holding = true;
        line(keptOpenText(event.dashboardUrl));
        break;
    }
  };

  const run = await startLocalRun({
    pipeline: options.detectorsFile ? localPipelineFactory({ detectorsFile: options.detectorsFile }) : createLocalPipeline,
    source,
    tumblingWindowSeconds: options.tumblingWindowSeconds,
    dashboard: options.dashboard === false ? false : options.dashboard,
    ...(options.reportFile ? { reportFile: options.reportFile } : {}),
    stack: {
      ...(options.shards ? { shards: options.shards } : {}),
      ...(options.stackFile !== undefined ? { stackFile: options.stackFile } : {}),
    },
    exitWhenDone: !options.keepOpen,
    onEvent,
    meta: options.replay ? { replay: options.replay } : { scenario: options.scenario, seed: options.seed },
  });
  let stopped = false;
  const onSignal = () => {
    if (stopped) process.exit(130);
    stopped = true;
    line(holding ? '\nstopping the stack and dashboard…' : '\nstopping: finishing what was produced (Ctrl-C again to quit at once)…');
    run.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await run.finished;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Said once the summary (and report) are out and the run stays up for the dashboard. */
export function keptOpenText(dashboardUrl: string | undefined): string {
  return dashboardUrl
    ? `The run is done. The dashboard stays up at ${dashboardUrl} (and the emulators with it) until Ctrl-C.`
    : 'The run is done. The emulators stay up until Ctrl-C.';
}

/** An alert is about an injected anomaly when it is on its key, or (hotspots: per detector) any gathering. */
const covers = (a: RunReport['alerts'][number], i: RunReport['injected'][number]) => a.key === i.key || a.key === HOTSPOTS_KEY;

export function summary(report: RunReport, reportFile?: string): string {
  const keys = new Set(report.windows.map((w) => `${w.detector}/${w.key}`));
  const anomalies = report.windows.filter((w) =>
    report.alerts.some((a) => a.detector === w.detector && a.key === w.key && a.windowStart === w.windowStart),
  );
  const lines = [
    '',
    '── summary ──',
    `  records produced ${report.produced}, processed ${report.processed}, rejected ${report.rejected} in ${report.wallSeconds.toFixed(1)} s (${report.recordsPerSecond} records/s)`,
    `  windows written ${report.windows.length} over ${keys.size} key(s); alerts sent ${report.alerts.length} in ${report.messages.length} message(s)`,
  ];
  const partial = partialWindows(report.windows);
  if (partial.partial)
    lines.push(
      `  windows scored on a partial count: ${partial.partial} of ${partial.windows} (they had ${Math.round(100 * partial.meanScoredShare)}% of their records on average; the rest arrived late and was merged: scoredCount vs count in the report)`,
    );
  if (report.recordAlerts?.length)
    lines.push(
      `  per-record anomalies alerted: ${report.recordAlerts.length} record(s) (${report.recordAlerts
        .slice(0, 5)
        .map((a) => `${a.detector}/${a.key} at ${a.time}, score ${a.score.toFixed(2)}`)
        .join('; ')}${report.recordAlerts.length > 5 ? '; …' : ''})`,
    );
  for (const i of report.injected) {
    const alerted = report.alerts.find((a) => covers(a, i) && a.windowStart >= i.windowStart);
    lines.push(
      `  injected ${i.kind} on ${i.key} at ${i.windowStart}: ${alerted ? `alerted for the window of ${alerted.windowStart} (score ${alerted.score.toFixed(2)})` : 'not alerted'}`,
    );
  }
  for (const a of anomalies.length ? report.alerts : []) {
    if (!report.injected.some((i) => covers(a, i)))
      lines.push(`  also alerted: ${a.detector}/${a.key} at ${a.windowStart} (score ${a.score.toFixed(2)})`);
  }
  if (report.rejectReasons?.length) {
    lines.push(`  rejected records, commonest reasons first (all kept in the report's rejectReasons):`);
    for (const r of report.rejectReasons)
      lines.push(`    ${r.count} × ${r.detector ? `${r.detector}: ` : ''}${r.reason}   e.g. ${JSON.stringify(r.example)}`);
    for (const a of rejectAdvice(report.rejectReasons)) lines.push(`  → ${a}`);
  }
  for (const o of report.outputs ?? [])
    lines.push(`  output ${o.output}: ${o.delivered} record(s) delivered to ${o.name}${o.location ? ` (captured in ${o.location})` : ''}`);
  if (report.onFailure) lines.push(`  ${report.onFailure} batch(es) went to the on-failure destination: see the report`);
  if (reportFile) lines.push(`  report written to ${reportFile}`);
  return lines.join('\n');
}
