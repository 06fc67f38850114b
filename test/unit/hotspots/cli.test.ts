import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { hotspotsCsv, HotspotsCliError } from '../../../cli/commands/hotspots';
import { HotspotsWindow } from '../../../shared/hotspots';
import { noiseWithClusters, rng } from './synthetic';

const ROOT = resolve(__dirname, '../../..');

async function run(csv: string, options: Parameters<typeof hotspotsCsv>[2]): Promise<string[]> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await hotspotsCsv(Readable.from([csv]), out, options);
  out.end();
  return Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
}

describe('stream-sentinel hotspots', () => {
  it('prints one HOTSPOTS_RESULT line per data row, skipping the header, equal to the window evaluated row by row', async () => {
    const { stream } = noiseWithClusters(rng(31), { min: [0, 0], max: [10, 10] }, 1500, [{ center: [4, 6], radius: 0.3, points: 200 }]);
    const csv = 'latitude,longitude\n' + stream.map((p) => p.join(',')).join('\n') + '\n';
    const lines = await run(csv, { windowSize: 1000, scanRadius: 0.15, minPoints: 10 });
    expect(lines).toHaveLength(1500);
    const window = new HotspotsWindow({ windowSize: 1000, scanRadius: 0.15, minPoints: 10, dimensions: 2 });
    stream.forEach((p, i) => {
      window.push(p);
      if (i % 100 === 99) expect(JSON.parse(lines[i]!)).toEqual(window.result());
    });
    expect(JSON.parse(lines[0]!)).toEqual({ hotspots: [] });
    const last = JSON.parse(lines[1499]!) as { hotspots: Array<{ minValues: number[]; maxValues: number[] }> };
    expect(last.hotspots.some((h) => h.minValues[0]! <= 4 && h.maxValues[0]! >= 4 && h.minValues[1]! <= 6 && h.maxValues[1]! >= 6)).toBe(
      true,
    );
  });

  it('uses only the columns named by --columns, by header name or index', async () => {
    const csv = 'player_id,latitude,longitude\n' + ['a,1,1', 'b,1.05,1', 'c,1,1.05', 'd,3,3'].join('\n');
    const byName = await run(csv, { windowSize: 10, scanRadius: 0.1, minPoints: 3, columns: ['latitude', 'longitude'] });
    const byIndex = await run(csv, { windowSize: 10, scanRadius: 0.1, minPoints: 3, columns: ['1', '2'] });
    expect(byName).toEqual(byIndex);
    expect(JSON.parse(byName[3]!)).toEqual({ hotspots: [{ density: expect.any(Number), minValues: [1, 1], maxValues: [1.05, 1.05] }] });
  });

  it('names the line and the column of a value that is not a number, and the row of a wrong width', async () => {
    await expect(run('x,y\n1,2\n3,oops\n', { windowSize: 10, scanRadius: 1, minPoints: 2 })).rejects.toThrow(
      new HotspotsCliError('line 3: y is not a finite number: "oops"'),
    );
    await expect(run('1,2\n3\n', { windowSize: 10, scanRadius: 1, minPoints: 2 })).rejects.toThrow(/line 2: expected 2 columns, got 1/);
    await expect(run('x,y\n1,2\n', { windowSize: 10, scanRadius: 1, minPoints: 2, columns: ['z'] })).rejects.toThrow(
      /--columns: no column "z"/,
    );
    await expect(run('1,2\n', { windowSize: 10, scanRadius: 1, minPoints: 11 })).rejects.toThrow(
      '--min-points must be an integer from 2 to 10, got 11',
    );
  });

  it('runs from the command line: stdin in, JSON lines out, and a clear error with exit status 1', () => {
    const bin = resolve(ROOT, 'bin/stream-sentinel.js');
    const out = execFileSync('node', [bin, 'hotspots', '--window-size', '100', '--scan-radius', '0.2', '--min-points', '3'], {
      input: 'x,y\n1,1\n1.1,1\n1,1.1\n',
      encoding: 'utf8',
    });
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([{ hotspots: [] }, { hotspots: [] }, { hotspots: [{ density: 1, minValues: [1, 1], maxValues: [1.1, 1.1] }] }]);
    const bad = spawnSync('node', [bin, 'hotspots', '--scan-radius', '-1', '--min-points', '3'], { input: '', encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--scan-radius must be a number greater than 0, got "-1"');
  });
});
