import { createLocalPipeline } from '../../local/pipeline';
import type { RunReport } from '../../local/report';
import { startLocalRun } from '../../local/run';
import { scenarioSource, SCENARIO_DEFAULTS } from '../../local/sources';
import { HOTSPOTS_KEY } from '../../local/dashboard/data';

/**
 * Every scenario is a demo (`npm start -- --scenario <name>`): with its defaults it plays past the forests'
 * warm-up, injects its anomaly, and that anomaly is alerted — and nothing before it. (The toll demo is covered
 * in depth by local-mode.test.ts.) The real functions behind the event-source emulator, on kinesalite/dynalite.
 */
const WINDOW_MS = 10_000;
const start = Date.UTC(2026, 0, 5, 8, 0, 0);

async function demo(scenario: string): Promise<RunReport> {
  const run = await startLocalRun({
    pipeline: createLocalPipeline,
    source: scenarioSource({ scenario, seed: 7, start }),
    dashboard: false,
    stack: { stackFile: false },
  });
  return run.finished;
}

describe.each([
  ['wind', 'north-ridge'],
  ['clicks', 'https://news.ycombinator.com/'],
  ['players', HOTSPOTS_KEY],
])('the %s demo', (scenario, alertedKey) => {
  let report: RunReport;
  beforeAll(async () => {
    report = await demo(scenario);
  }, 400_000);

  it('injects its anomaly after the warm-up, within the default run', () => {
    expect(SCENARIO_DEFAULTS[scenario]).toBeDefined();
    expect(report.injected).toHaveLength(1);
    expect(report.processed).toBe(report.produced);
    expect(report.rejected).toBe(0);
    expect(report.onFailure).toBe(0);
  });

  it('alerts the injected anomaly within 3 windows of it, and nothing before it', () => {
    const injectedAt = Date.parse(report.injected[0]!.windowStart);
    const alerts = report.alerts.map((a) => ({ key: a.key, at: Date.parse(a.windowStart) }));
    expect(alerts.filter((a) => a.at < injectedAt)).toEqual([]);
    const first = alerts.filter((a) => a.key === alertedKey).sort((a, b) => a.at - b.at)[0];
    expect(first).toBeDefined();
    expect(first!.at - injectedAt).toBeLessThanOrEqual(3 * WINDOW_MS);
    expect(report.messages.length).toBeGreaterThanOrEqual(1);
  });
});
