import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { localPipelineFactory } from '../../local/pipeline';
import { replaySource } from '../../local/sources';
import { startLocalRun } from '../../local/run';
import { summary } from '../../local/main';
import type { RunReport } from '../../local/report';

/**
 * `start --replay` on the data sets in ../shared/data with the detectors files shipped for them (examples/detectors/):
 * records are taken (none rejected), windows are written and scored, and NAB's labelled anomaly on nyc_taxi.csv is
 * alerted. Kept light: ten of the ticker archive's sixty objects, and the NAB series from 2014-10-15 to the
 * anomaly (2014-11-02 01:00, the end of daylight saving time) — enough past the forest's 256-record warm-up.
 */

const ROOT = resolve(__dirname, '../..');
const DATA = resolve(ROOT, '../shared/data');
const TICKER_DETECTORS = join(ROOT, 'examples/detectors/ticker.yml');
const NAB_DETECTORS = join(ROOT, 'examples/detectors/nab.yml');

async function replay(file: string, detectorsFile: string, outputsDir: string): Promise<RunReport> {
  const run = await startLocalRun({
    pipeline: localPipelineFactory({ detectorsFile, outputsDir }),
    source: await replaySource({ file, detectorsFile, speed: Infinity }),
    dashboard: false,
    stack: { stackFile: false },
  });
  return run.finished;
}

/** The JSON or CSV lines a local Firehose output captured. */
function captured(dir: string): string[] {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
  return files.flatMap((f) => readFileSync(join(f.parentPath, f.name), 'utf8').split('\n')).filter((l) => l.trim() !== '');
}

describe('start --replay on the shipped data sets', () => {
  const work = mkdtempSync(join(tmpdir(), 'ss-replay-datasets-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  describe('the ticker archive (raw Firehose objects) with examples/detectors/ticker.yml', () => {
    let report: RunReport;
    let sent = 0;
    const outputs = join(work, 'ticker-outputs');

    beforeAll(async () => {
      const dir = join(work, 'ticker');
      mkdirSync(dir);
      const objects = readdirSync(join(DATA, 'ticker-firehose')).sort().slice(0, 10);
      for (const name of objects) {
        copyFileSync(join(DATA, 'ticker-firehose', name), join(dir, name));
        sent += readFileSync(join(dir, name), 'utf8').match(/"ticker_symbol"/g)!.length;
      }
      report = await replay(dir, TICKER_DETECTORS, outputs);
    }, 300_000);

    it('takes every record: none rejected, none lost', () => {
      expect(report.produced).toBe(sent);
      expect(report.processed).toBe(sent);
      expect(report.rejected).toBe(0);
      expect(report.onFailure).toBe(0);
      expect(summary(report)).not.toMatch(/rejected records, commonest reasons/);
    });

    it('writes arrival-time windows per ticker symbol with the quotes counted and a score', () => {
      const windows = report.windows.filter((w) => w.detector === 'ticker-price');
      expect(new Set(windows.map((w) => w.key)).size).toBeGreaterThanOrEqual(40);
      expect(windows.reduce((n, w) => n + w.count, 0)).toBe(sent);
      for (const w of windows) expect(Number.isFinite(w.score)).toBe(true);
    });

    it("scores every quote per ticker symbol, above 0 past each symbol's warm-up", () => {
      const rows = captured(outputs).map((l) => JSON.parse(l) as { ticker_symbol: string; price: unknown; ANOMALY_SCORE: number });
      expect(rows).toHaveLength(sent);
      // One forest per symbol: its first 64 quotes score 0 (the sample fills), the rest are scored.
      const bySymbol = new Map<string, typeof rows>();
      for (const r of rows) bySymbol.set(r.ticker_symbol, [...(bySymbol.get(r.ticker_symbol) ?? []), r]);
      const warm = [...bySymbol.values()].filter((quotes) => quotes.length > 64);
      expect(warm.length).toBeGreaterThan(0);
      for (const quotes of warm) {
        const scored = quotes.filter((r) => r.ANOMALY_SCORE > 0).length;
        expect(scored).toBeGreaterThanOrEqual(Math.floor((quotes.length - 64) * 0.9));
      }
    });
  });

  describe('NAB nyc_taxi.csv with examples/detectors/nab.yml', () => {
    let report: RunReport;
    let rows = 0;
    const outputs = join(work, 'nab-outputs');

    beforeAll(async () => {
      const [header, ...lines] = readFileSync(join(DATA, 'nab/data/realKnownCause/nyc_taxi.csv'), 'utf8').trim().split('\n');
      const slice = lines.filter((l) => l >= '2014-10-15' && l < '2014-11-02 06');
      rows = slice.length;
      const file = join(work, 'nyc_taxi-slice.csv');
      writeFileSync(file, [header, ...slice].join('\n') + '\n');
      report = await replay(file, NAB_DETECTORS, outputs);
    }, 300_000);

    it('takes every row (the header is not sent), none rejected', () => {
      expect(report.produced).toBe(rows);
      expect(report.processed).toBe(rows);
      expect(report.rejected).toBe(0);
      expect(report.onFailure).toBe(0);
    });

    it('scores every row, in the shape of KDA’s published scores', () => {
      const scored = captured(outputs).filter((l) => /^2014-/.test(l));
      expect(scored).toHaveLength(rows);
      expect(scored.filter((l) => Number(l.split(',')[2]) > 0).length).toBeGreaterThan(rows / 2);
    });

    it('alerts the labelled anomaly at 2014-11-02 01:00 and nothing before the labelled window', () => {
      expect(report.recordAlerts?.map((a) => a.time)).toContain('2014-11-02T01:00:00.000Z');
      for (const a of report.recordAlerts ?? []) expect(a.time >= '2014-10-30T15:30:00.000Z').toBe(true);
      expect(report.messages.some((m) => /value 39197 at 2014-11-02 01:00:00 UTC is unusual/.test(m.message))).toBe(true);
    });
  });
});
