import { Readable, Writable } from 'node:stream';
import { ScoreInputError, scoreCsv, type ScoreOptions } from '../../../cli/commands/score';
import { RandomCutForest } from '../../../shared/rcf';

const base: ScoreOptions = { trees: 10, sampleSize: 16, timeDecay: 1000, shingleSize: 1, seed: 5, explain: false };

async function run(csv: string, options: Partial<ScoreOptions> = {}): Promise<string[]> {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  await scoreCsv(Readable.from([csv]), sink, { ...base, ...options });
  return out.split('\n').filter((l) => l !== '');
}

function csvOf(header: string | null, rows: number[][]): string {
  return [...(header ? [header] : []), ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

const rows = Array.from({ length: 60 }, (_, t) => [10 + (t % 7), 100 - (t % 5)]);

describe('stream-sentinel score', () => {
  it('skips the header and prints one score per row, the same scores as the forest API', async () => {
    const lines = await run(csvOf('cars,speed', rows));
    expect(lines).toHaveLength(60);
    const forest = new RandomCutForest({ dimensions: 2, numberOfTrees: 10, subSampleSize: 16, timeDecay: 1000, seed: 5 });
    const expected = rows.map((r) => Number(forest.process(r).score.toFixed(6)));
    expect(lines.map(Number)).toEqual(expected);
    expect(lines.slice(0, 16).every((l) => l === '0')).toBe(true);
  });

  it('treats an all-numeric first row as data and names columns COL0… in explanations', async () => {
    const lines = await run(csvOf(null, [...rows, [40, 100]]), { explain: true });
    expect(lines).toHaveLength(61);
    const [score, json] = lines[60]!.split('\t');
    const explanation = JSON.parse(json!) as Record<string, { ATTRIBUTION_SCORE: number; DIRECTION: string }>;
    expect(Object.keys(explanation)).toEqual(['COL0', 'COL1']);
    expect(explanation.COL0!.DIRECTION).toBe('HIGH');
    expect(explanation.COL0!.ATTRIBUTION_SCORE + explanation.COL1!.ATTRIBUTION_SCORE).toBeCloseTo(Number(score), 5);
  });

  it('scores selected columns by header name', async () => {
    const csv = 'timestamp,value\n' + rows.map((r, i) => `2024-01-01 00:${String(i).padStart(2, '0')}:00,${r[0]}`).join('\n');
    const lines = await run(csv, { columns: ['value'], explain: true });
    expect(lines).toHaveLength(60);
    expect(Object.keys(JSON.parse(lines[59]!.split('\t')[1]!) as object)).toEqual(['value']);
  });

  it('names the line of a bad row', async () => {
    await expect(run('v\n1\n2\nfoo\n')).rejects.toThrow(new ScoreInputError('line 4: column v is not a finite number: "foo"'));
    await expect(run('a,b\n1,2\n3\n')).rejects.toThrow('line 3: expected 2 columns, got 1');
    await expect(run('v\n1\n1e40\n')).rejects.toThrow('line 3: column 0 of the record is 1e+40');
  });

  it('reports out-of-range parameters by their flag', async () => {
    await expect(run('v\n1\n', { sampleSize: 5 })).rejects.toThrow('--sample-size must be an integer from 10 to 1000, got 5');
  });
});
