import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compareFiles, pickDetector } from '../../../cli/commands/compare';
import { parseDetectors } from '../../../shared/detectors';
import { CompareError } from '../../../shared/sql/compare';

const ROOT = resolve(__dirname, '../../..');
const bin = resolve(ROOT, 'bin/stream-sentinel.js');
const FIXTURES = resolve(ROOT, 'test/fixtures/sql');
const run = (...args: string[]) => spawnSync('node', [bin, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

describe('import-sql and compare on the command line', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'import-sql-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the detectors to a file and the report to standard error', () => {
    const out = join(dir, 'toll.yml');
    const res = run(
      'import-sql',
      resolve(FIXTURES, 'workshop-toll.sql'),
      '--threshold',
      '2.5',
      '--csv-columns',
      'date,station_id,plate',
      '--name',
      'toll',
      '-o',
      out,
    );
    expect(res.status).toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr.split('\n')).toContain('result: toll is valid and deployable');
    expect(parseDetectors(readFileSync(out, 'utf8'), out)).toMatchObject([{ name: 'toll', key: 'station_id', threshold: 2.5 }]);
  }, 60_000);

  it('exits 1 when nothing could be translated, and when --threshold is not a number', () => {
    const none = run('import-sql', resolve(FIXTURES, 'unsupported.sql'));
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('result: no detector could be translated');
    const bad = run('import-sql', resolve(FIXTURES, 'unsupported.sql'), '--threshold', 'high');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--threshold must be a number above 0, got high');
  }, 60_000);

  it('compares a recorded input with KDA output from files', () => {
    const detectors = join(dir, 'd.yml');
    writeFileSync(
      detectors,
      'detectors:\n  - name: r\n    kind: records\n    format: json\n    features: [x]\n    rcf: { numberOfTrees: 5, subSampleSize: 10 }\n    threshold: 1\n',
    );
    const input = join(dir, 'in.jsonl');
    const kda = join(dir, 'kda.csv');
    writeFileSync(input, Array.from({ length: 30 }, (_, i) => JSON.stringify({ x: i % 3 })).join('\n'));
    writeFileSync(kda, `x,anomaly_score\n${Array.from({ length: 30 }, (_, i) => `${i % 3},${i < 10 ? 0 : 0.5}`).join('\n')}\n`);
    const report = compareFiles(detectors, input, kda, {});
    expect(report).toMatchObject({ detector: 'r', compared: 30 });
    expect(report.alerts.onlyKda).toBe(0);
    const res = run('compare', input, kda, '-d', detectors);
    expect(res.status).toBe(0);
    expect(res.stdout.split('\n')[0]).toBe('r (records): 30 rows compared, ' + `${report.warm} past warm-up on both sides`);
    const missing = run('compare', input, kda, '-d', detectors, '--detector', 'nope');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('stream-sentinel compare: no detector named nope (detectors: r)');
  }, 60_000);

  it('picks the only scoring detector, or asks which', () => {
    const ds = parseDetectors(
      'detectors:\n  - name: a\n    format: json\n    key: k\n  - name: b\n    format: json\n    key: k\n  - name: h\n    kind: hotspots\n    format: json\n    columns: [x, y]\n    windowSize: 10\n    scanRadius: 1\n    minPoints: 2\n',
    );
    expect(() => pickDetector(ds, undefined)).toThrow(
      new CompareError('the file has 2 rcf/records detectors (a, b); name one with --detector'),
    );
    expect(() => pickDetector(ds, 'h')).toThrow('h is a hotspots detector; compare scores rcf and records detectors');
    expect(pickDetector(ds, 'b').name).toBe('b');
  });
});
