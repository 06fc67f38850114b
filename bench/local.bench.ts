import { scenarios } from '../shared/producers';
import { createLocalPipeline } from '../local/pipeline';
import { scenarioSource } from '../local/sources';
import { pacedPut } from '../local/pacing';
import { startLocalRun, type RecordSource } from '../local/run';
import type { BenchReport } from './types';

/**
 * Local mode end to end, through the real windows and alerts functions on kinesalite and dynalite:
 * 1. the default demo (`npm start`) and the other scenarios' demos (`--scenario wind|clicks|players`): wall time
 *    until the injected anomaly's alert is sent (issue: about a minute);
 * 2. throughput: a long toll stretch put as fast as the stream takes it, records/s from first put to the
 *    last window written.
 */

async function demo(scenario = 'toll'): Promise<{ firstAlertSeconds: number; wallSeconds: number; produced: number; alerts: number }> {
  const started = Date.now();
  let firstAlert = Number.NaN;
  const run = await startLocalRun({
    pipeline: createLocalPipeline,
    source: scenarioSource({ scenario, seed: 7 }),
    dashboard: false,
    stack: { stackFile: false },
    onEvent: (e) => {
      if (e.type === 'alert' && Number.isNaN(firstAlert)) firstAlert = (Date.now() - started) / 1000;
    },
  });
  const report = await run.finished;
  return {
    firstAlertSeconds: firstAlert,
    wallSeconds: (Date.now() - started) / 1000,
    produced: report.produced,
    alerts: report.alerts.length,
  };
}

async function throughput(
  seconds: number,
): Promise<{ records: number; wallSeconds: number; recordsPerSecond: number; windows: number; invokes: number }> {
  const records = [...scenarios.toll.generate({ seed: 3, start: Date.UTC(2026, 0, 1), duration: seconds })].map((r) => ({
    data: r.data,
    partitionKey: r.partitionKey,
    eventTime: r.eventTime.getTime(),
  }));
  let began = 0;
  const source: RecordSource = {
    description: `toll, ${records.length} records, unpaced`,
    total: records.length,
    injected: [],
    run: async (client, streamName, onProgress) => {
      began = Date.now();
      // One slot holding everything: put as fast as PutRecords goes, as a replay of history would.
      return (
        await pacedPut(records, {
          client,
          streamName,
          eventWindowMs: 10_000,
          slotMs: 1000,
          windowsPerSlot: Number.MAX_SAFE_INTEGER,
          onProgress,
        })
      ).put;
    },
    stop: () => undefined,
  };
  const run = await startLocalRun({ pipeline: createLocalPipeline, source, dashboard: false, stack: { stackFile: false } });
  const report = await run.finished;
  const wallSeconds = (Date.parse(report.finishedAt) - began) / 1000;
  return {
    records: report.processed,
    wallSeconds,
    recordsPerSecond: Math.round(report.processed / wallSeconds),
    windows: report.windows.length,
    invokes: report.eventSource.invokes ?? 0,
  };
}

export default async function bench(): Promise<BenchReport> {
  const d = await demo();
  const others: Array<[string, Awaited<ReturnType<typeof demo>>]> = [];
  for (const scenario of ['wind', 'clicks', 'players']) others.push([scenario, await demo(scenario)]);
  const t = await throughput(1200);
  return {
    name: 'local mode (npm start) end to end',
    figures: {
      'demo: records produced': d.produced,
      'demo: wall s to first alert': Number(d.firstAlertSeconds.toFixed(1)),
      'demo: wall s total': Number(d.wallSeconds.toFixed(1)),
      'demo: alerts': d.alerts,
      ...Object.fromEntries(
        others.flatMap(([name, o]) => [
          [`demo ${name}: wall s to first alert`, Number(o.firstAlertSeconds.toFixed(1))],
          [`demo ${name}: wall s total`, Number(o.wallSeconds.toFixed(1))],
          [`demo ${name}: alerts`, o.alerts],
        ]),
      ),
      'throughput: records': t.records,
      'throughput: wall s (first put → last window written)': Number(t.wallSeconds.toFixed(2)),
      'throughput: records/s end to end': t.recordsPerSecond,
      'throughput: windows written': t.windows,
      'throughput: invokes': t.invokes,
    },
    targets: [
      {
        name: 'demo reaches its anomaly alert within about a minute',
        value: `${d.firstAlertSeconds.toFixed(1)} s`,
        target: '≤ 60 s',
        met: d.firstAlertSeconds <= 60,
      },
      ...others.map(([name, o]) => ({
        name: `${name} demo reaches its anomaly alert within about a minute`,
        value: `${o.firstAlertSeconds.toFixed(1)} s`,
        target: '≤ 60 s',
        met: o.firstAlertSeconds <= 60,
      })),
    ],
  };
}
