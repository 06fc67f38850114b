import { parseAnomaly, scenarios } from '../../../shared/producers';
import { rcfDetectors } from '../../../shared/detectors';
import { createLocalPipeline, loadLocalDetectors } from '../../../local/pipeline';
import { scenarioSource } from '../../../local/sources';
import { startLocalRun } from '../../../local/run';
import { summary } from '../../../local/main';
import { partialWindows, type RunReport } from '../../../local/report';

/**
 * A local run with late producers (`npm start -- --latency 0-3s`): local mode has no event-time watermark (its event
 * time runs ~30× ahead of the arrival clock), so a window is scored at the final invoke of the arrival window its
 * records came in, and records delayed past it are merged late. The report shows it: `scoredCount` below `count`
 * for some windows, every record still counted exactly once.
 */
describe('local mode with producer latency', () => {
  const seed = 11;
  const start = Date.UTC(2026, 0, 5, 8, 0, 0);
  const duration = 150;
  const detector = rcfDetectors(loadLocalDetectors()).find((d) => d.name === 'toll-stations')!;
  const windowMs = detector.windowSeconds * 1000;
  let report: RunReport;

  beforeAll(async () => {
    const run = await startLocalRun({
      pipeline: createLocalPipeline,
      source: scenarioSource({
        scenario: 'toll',
        seed,
        start,
        duration,
        anomalies: [],
        conditions: { latency: { kind: 'uniform', minMs: 0, maxMs: 3000 } },
      }),
      dashboard: false,
      stack: { stackFile: false },
    });
    report = await run.finished;
  }, 300_000);

  it('counts every record once in its event-time window, however late it came', () => {
    const records = [...scenarios.toll.generate({ seed, start, duration, rate: 50, anomalies: [].map(parseAnomaly) })];
    expect(report.produced).toBe(records.length);
    expect(report.processed).toBe(records.length);
    expect(report.rejected).toBe(0);
    const expected = new Map<string, number>();
    for (const r of records) {
      const id = `${r.key}|${new Date(Math.floor(r.eventTime.getTime() / windowMs) * windowMs).toISOString()}`;
      expected.set(id, (expected.get(id) ?? 0) + 1);
    }
    const counted = new Map(
      report.windows.filter((w) => w.detector === detector.name && w.count > 0).map((w) => [`${w.key}|${w.windowStart}`, w.count]),
    );
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(expected));
  });

  it('scores some windows on part of their records: scoredCount below count by the records merged late', () => {
    const mine = report.windows.filter((w) => w.detector === detector.name);
    for (const w of mine) expect(w.scoredCount).toBeLessThanOrEqual(w.count);
    const partial = mine.filter((w) => w.scoredCount! < w.count);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.every((w) => w.late)).toBe(true);
    expect(partialWindows(mine).partial).toBe(partial.length);
    expect(summary(report)).toContain(`windows scored on a partial count: ${partial.length} of `);
  });
});
