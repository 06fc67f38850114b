import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { ScoreInputError, scoreCsv, type ScoreOptions } from '../../../cli/commands/score';

/** `score` on the inputs a newcomer gives it: a NAB-style CSV with a timestamp column, an empty pipe. */

const base: ScoreOptions = { trees: 10, sampleSize: 16, timeDecay: 1000, shingleSize: 1, seed: 5, explain: false };

async function run(csv: string, options: Partial<ScoreOptions> = {}): Promise<{ lines: string[]; notes: string; rows: number }> {
  let out = '';
  let notes = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  const rows = await scoreCsv(Readable.from([csv]), sink, { ...base, notes: (t) => (notes += t), ...options });
  return { lines: out.split('\n').filter((l) => l !== ''), notes, rows };
}

const nab =
  ['timestamp,value', ...Array.from({ length: 40 }, (_, i) => `2014-07-01 ${String(i % 24).padStart(2, '0')}:00:00,${100 + (i % 5)}`)].join(
    '\n',
  ) + '\n';

describe('stream-sentinel score input', () => {
  it('scores the numeric columns of a CSV with a timestamp column, says which, and prints the timestamp beside each score', async () => {
    const { lines, notes, rows } = await run(nab);
    expect(rows).toBe(40);
    expect(notes).toMatch(
      /column timestamp is not numeric; scoring value with timestamp as the row id \(pick the numeric columns with --columns value\)/,
    );
    expect(lines[0]).toBe('timestamp,score');
    expect(lines).toHaveLength(41);
    expect(lines[1]).toBe('2014-07-01 00:00:00,0');
    expect(lines.slice(1).every((l) => /^2014-07-01 \d\d:00:00,\d+(\.\d+)?$/.test(l))).toBe(true);
  });

  it('gives the same scores as --columns value, which keeps the timestamp as the row id', async () => {
    const auto = await run(nab);
    const picked = await run(nab, { columns: ['value'] });
    expect(picked.lines).toEqual(auto.lines);
    expect(picked.notes).toBe('');
  });

  it('prints line numbers with --id line and bare scores with --id none', async () => {
    const byLine = await run(nab, { id: 'line' });
    expect(byLine.lines.slice(0, 3)).toEqual(['line,score', '2,0', '3,0']);
    const bare = await run(nab, { id: 'none' });
    expect(bare.lines[0]).toBe('0');
    expect(bare.lines).toHaveLength(40);
  });

  it('keeps bare scores for an all-numeric input (the KDA-style output)', async () => {
    const { lines } = await run('v\n1\n2\n3\n');
    expect(lines).toEqual(['0', '0', '0']);
  });

  it('suggests --columns when a later row has text where the first had a number', async () => {
    await expect(run('t,a,b\nx,1,2\ny,oops,3\n', { id: 'none' })).rejects.toThrow(
      new ScoreInputError('line 3: column a is not a finite number: "oops" (pick the numeric columns with --columns b)'),
    );
  });

  it('on empty input or a header only scores nothing, and the CLI says so on stderr and exits 1', async () => {
    expect((await run('')).rows).toBe(0);
    expect((await run('timestamp,value\n')).lines).toEqual([]);
    const bin = resolve(__dirname, '../../../bin/stream-sentinel.js');
    const child = promisify(execFile)(process.execPath, [bin, 'score'], { timeout: 60_000 });
    child.child.stdin!.end('timestamp,value\n');
    await expect(child).rejects.toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/score: no rows to score: stdin was empty or held only a header line/),
    });
  }, 90_000);
});
