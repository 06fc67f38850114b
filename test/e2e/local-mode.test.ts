import { parseAnomaly, scenarios, type ProducedRecord } from '../../shared/producers';
import { rcfDetectors } from '../../shared/detectors';
import { createLocalPipeline, loadLocalDetectors } from '../../local/pipeline';
import { scenarioSource, SCENARIO_DEFAULTS } from '../../local/sources';
import { startLocalRun } from '../../local/run';
import type { RunReport } from '../../local/report';

/**
 * `npm start` end to end on the toll scenario with a fixed seed: the real windows and alerts functions
 * behind the event-source emulator, on kinesalite and dynalite.
 */
describe('local mode on the toll scenario', () => {
  const seed = 7;
  const start = Date.UTC(2026, 0, 5, 8, 0, 0);
  const detector = rcfDetectors(loadLocalDetectors()).find((d) => d.name === 'toll-stations')!;
  const windowMs = detector.windowSeconds * 1000;
  let report: RunReport;
  let records: ProducedRecord[];

  beforeAll(async () => {
    const defaults = SCENARIO_DEFAULTS.toll!;
    // The same records the run puts: the scenario is a pure function of its options.
    records = [
      ...scenarios.toll.generate({
        seed,
        start,
        duration: defaults.duration,
        ...(defaults.rate ? { rate: defaults.rate } : {}),
        anomalies: defaults.anomalies.map(parseAnomaly),
      }),
    ];
    const run = await startLocalRun({
      pipeline: createLocalPipeline,
      source: scenarioSource({ scenario: 'toll', seed, start }),
      dashboard: false,
      stack: { stackFile: false },
    });
    report = await run.finished;
  }, 400_000); // a loaded 2-core box can take minutes for the 840-s demo

  it('processes every produced record, rejects none and gives up on no batch', () => {
    expect(report.produced).toBe(records.length);
    expect(report.processed).toBe(report.produced);
    expect(report.rejected).toBe(0);
    expect(report.onFailure).toBe(0);
  });

  it('counts exactly what was produced in every (station, window): nothing lost, nothing counted twice', () => {
    const expected = new Map<string, number>();
    for (const r of records) {
      const id = `${r.key}|${new Date(Math.floor(r.eventTime.getTime() / windowMs) * windowMs).toISOString()}`;
      expected.set(id, (expected.get(id) ?? 0) + 1);
    }
    const counted = new Map<string, number>();
    for (const w of report.windows.filter((x) => x.detector === detector.name)) {
      if (w.count > 0) counted.set(`${w.key}|${w.windowStart}`, w.count);
    }
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(expected));
  });

  it('alerts the diverted station within 3 windows of the anomaly, nothing before it, at most once per window', () => {
    expect(report.injected).toHaveLength(1);
    const anomaly = report.injected[0]!;
    const from = Date.parse(anomaly.windowStart);
    const alerted = report.alerts.filter(
      (a) => a.key === anomaly.key && Date.parse(a.windowStart) >= from && Date.parse(a.windowStart) < from + 3 * windowMs,
    );
    expect(alerted.length).toBeGreaterThan(0);
    expect(report.alerts.filter((a) => Date.parse(a.windowStart) < from)).toEqual([]);
    const perWindow = new Map<string, number>();
    for (const a of report.alerts)
      perWindow.set(`${a.detector}|${a.key}|${a.windowStart}`, (perWindow.get(`${a.detector}|${a.key}|${a.windowStart}`) ?? 0) + 1);
    expect(Math.max(...perWindow.values())).toBe(1);
    expect(alerted[0]!.message).toContain(anomaly.key);
  });
});
