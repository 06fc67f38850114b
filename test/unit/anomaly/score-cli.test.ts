import { Readable, Writable } from 'node:stream';
import { ScoreInputError, scoreCsv, type ScoreOptions } from '../../../cli/commands/score';
import { AnomalyGrader } from '../../../shared/anomaly';
import { RandomCutForest } from '../../../shared/rcf';

const base: ScoreOptions = { trees: 20, sampleSize: 32, timeDecay: 1000, shingleSize: 1, seed: 7, explain: false, windowSeconds: 10 };

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

/** A count that is usually 10–14, then one window at 141 (row 400). */
const counts = Array.from({ length: 420 }, (_, t) => (t === 400 ? 141 : 10 + ((t * 7) % 5)));
const csv = 'count\n' + counts.join('\n') + '\n';

describe('stream-sentinel score --output', () => {
  it('prints line, score, grade and alert per row: the forest’s scores and the grader’s decisions', async () => {
    const lines = await run(csv, { output: ['score', 'grade', 'alert'] });
    expect(lines[0]).toBe('line,score,grade,alert');
    expect(lines).toHaveLength(counts.length + 1);
    const forest = new RandomCutForest({ dimensions: 1, numberOfTrees: 20, subSampleSize: 32, timeDecay: 1000, seed: 7 });
    const grader = new AnomalyGrader(1, { windowSeconds: 10 });
    counts.forEach((c, i) => {
      const score = forest.process([c]).score;
      const g = grader.update(score, [c]);
      const [line, s, grade, alert] = lines[i + 1]!.split(',');
      expect(Number(line)).toBe(i + 2); // the header is line 1
      expect(Number(s)).toBeCloseTo(score, 6);
      expect(Number(grade)).toBeCloseTo(g.grade, 6);
      expect(alert).toBe(g.alert ? '1' : '0');
    });
    const alerts = lines.slice(1).filter((l) => l.endsWith(',1'));
    expect(alerts.map((l) => Number(l.split(',')[0]))).toContain(402); // row 400 of the data is line 402
    expect(alerts.length).toBeLessThan(5);
  });

  it('prints the graded short-term average, the threshold and the expected (usual) value per column', async () => {
    const lines = await run(csv, { output: ['alert', 'average', 'threshold', 'expected'] });
    expect(lines[0]).toBe('line,alert,average,threshold,expected_count');
    const spike = lines.find((l) => l.startsWith('402,'))!.split(',');
    expect(spike[1]).toBe('1');
    expect(Number(spike[2])).toBeGreaterThanOrEqual(Number(spike[3]));
    expect(Number(spike[3])).toBeGreaterThanOrEqual(2);
    expect(Number(spike[4])).toBeGreaterThan(10);
    expect(Number(spike[4])).toBeLessThan(14);
  });

  it('applies KDA’s rule with --alert-on score --threshold', async () => {
    const lines = await run(csv, { output: ['score', 'alert'], alertOn: 'score', threshold: 2 });
    for (const l of lines.slice(1)) {
      const [, s, alert] = l.split(',');
      expect(alert).toBe(Number(s) >= 2 ? '1' : '0');
    }
    await expect(run(csv, { output: ['alert'], alertOn: 'score' })).rejects.toThrow(
      new ScoreInputError('--alert-on score needs --threshold (the score from which an alert is owed, e.g. 3.5)'),
    );
  });

  it('refuses --explain with --output, and --output without --window-seconds, saying what to add', async () => {
    await expect(run(csv, { output: ['score'], explain: true })).rejects.toThrow('--explain and --output cannot be combined');
    await expect(run(csv, { output: ['grade'], windowSeconds: undefined })).rejects.toThrow('--output needs --window-seconds');
  });
});
