import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runLocalMode } from '../../../local/main';

/**
 * `start --replay` on data no shipped detector takes: the summary says how many were rejected, why, with an
 * example, and what to change; with `--detectors <file>` describing the data, the same file gives windows.
 */
describe('start --replay with and without a detectors file for the data', () => {
  let dir: string;
  let csv: string;
  let detectors: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'detectors-file-'));
    csv = join(dir, 'sensors.csv');
    const start = Date.UTC(2026, 0, 1);
    // Four columns: the shipped toll detector (three CSV columns) does not take them.
    const lines = ['time,sensor,reading,unit'];
    for (let i = 0; i < 300; i++) lines.push(`${new Date(start + i * 1000).toISOString()},s${i % 3},${20 + (i % 7)},C`);
    writeFileSync(csv, lines.join('\n') + '\n');
    detectors = join(dir, 'detectors.yml');
    writeFileSync(
      detectors,
      [
        'version: 1',
        'detectors:',
        '  - name: sensors',
        '    format: csv',
        '    csv: { columns: [time, sensor, reading, unit] }',
        '    key: sensor',
        '    time: time',
        '    windowSeconds: 10',
        '    aggregates: [avg(reading)]',
        '    rcf: { numberOfTrees: 10, subSampleSize: 16, timeDecay: 100, shingleSize: 1 }',
        '    threshold: 3',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (detectorsFile?: string) => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const report = await runLocalMode({
      scenario: 'toll',
      replay: csv,
      seed: 1,
      speed: Infinity,
      forever: false,
      tumblingWindowSeconds: 1,
      dashboard: false,
      keepOpen: false,
      out,
      stackFile: false,
      ...(detectorsFile ? { detectorsFile } : {}),
    });
    return { report, text };
  };

  it('without one: every record rejected, and the summary says why and what to change', async () => {
    const { report, text } = await run();
    expect(report.rejected).toBe(300);
    expect(report.rejectReasons).toEqual([expect.objectContaining({ reason: 'matches no detector', count: 300 })]);
    expect(text).toMatch(/300 × matches no detector {3}e\.g\. "2026-01-01T00:00:00\.000Z,s0,20,C"/);
    expect(text).toContain('→ no detector in the detectors file takes these records');
    expect(text).toContain('--detectors <file>');
  });

  it('with --detectors: the records are taken and counted in windows per sensor', async () => {
    const { report } = await run(detectors);
    expect(report.rejected).toBe(0);
    expect(report.rejectReasons).toBeUndefined();
    expect(new Set(report.windows.map((w) => `${w.detector}/${w.key}`))).toEqual(new Set(['sensors/s0', 'sensors/s1', 'sensors/s2']));
    expect(report.windows.reduce((n, w) => n + w.count, 0)).toBe(300);
  });
});
