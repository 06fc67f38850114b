import { RandomCutForest, RcfInputError, RcfParameterError } from '../../../shared/rcf';
import { Xoshiro128 } from '../../../shared/rcf/random';

/** A noisy daily-like sine wave: a realistic, deterministic input. */
function wave(n: number, seed = 5, columns = 1): number[][] {
  const rng = new Xoshiro128(seed);
  return Array.from({ length: n }, (_, t) =>
    Array.from({ length: columns }, (_, c) => 100 + 20 * Math.sin((2 * Math.PI * t) / 50 + c) + rng.nextDouble() * 4),
  );
}

describe('RandomCutForest parameters', () => {
  it('uses KDA defaults', () => {
    expect(new RandomCutForest({ dimensions: 1 }).parameters).toEqual({
      numberOfTrees: 100,
      subSampleSize: 256,
      timeDecay: 100000,
      shingleSize: 1,
      dimensions: 1,
    });
  });

  it.each([
    [{ dimensions: 1, numberOfTrees: 0 }, 'numberOfTrees must be an integer from 1 to 1000, got 0'],
    [{ dimensions: 1, numberOfTrees: 1001 }, 'numberOfTrees must be an integer from 1 to 1000, got 1001'],
    [{ dimensions: 1, subSampleSize: 9 }, 'subSampleSize must be an integer from 10 to 1000, got 9'],
    [{ dimensions: 1, timeDecay: 0.5 }, 'timeDecay must be an integer from 1 to 2147483647, got 0.5'],
    [{ dimensions: 1, shingleSize: 31 }, 'shingleSize must be an integer from 1 to 30, got 31'],
    [{ dimensions: 31 }, 'dimensions must be an integer from 1 to 30, got 31'],
    [{ dimensions: '2' }, 'dimensions must be an integer from 1 to 30, got "2"'],
    [{}, 'dimensions is required'],
    [{ dimensions: 1, seed: 1.5 }, 'seed must be a safe integer, got 1.5'],
  ])('rejects %j with a message naming the parameter', (options, message) => {
    expect(() => new RandomCutForest(options as never)).toThrow(RcfParameterError);
    expect(() => new RandomCutForest(options as never)).toThrow(message);
  });
});

describe('RandomCutForest scoring', () => {
  it('scores 0 during warm-up: the first subSampleSize shingles, and records before the first full shingle', () => {
    const forest = new RandomCutForest({ dimensions: 1, numberOfTrees: 10, subSampleSize: 20, shingleSize: 3, seed: 1 });
    const scores = wave(60).map((r) => forest.process(r).score);
    expect(scores.slice(0, 22).every((s) => s === 0)).toBe(true); // 2 incomplete shingles + 20 full ones
    expect(scores.slice(22).every((s) => s > 0)).toBe(true);
    expect(forest.updates).toBe(58);
  });

  it('is reproducible with a seed and differs with another seed', () => {
    const run = (seed: number): number[] => {
      const forest = new RandomCutForest({ dimensions: 2, numberOfTrees: 20, subSampleSize: 64, shingleSize: 2, seed });
      return wave(400, 9, 2).map((r) => forest.process(r).score);
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });

  it('gives a clear anomaly a score above 2 and normal points scores near 1', () => {
    const forest = new RandomCutForest({ dimensions: 1, numberOfTrees: 50, seed: 3 });
    const scores = wave(1500).map((r) => forest.process(r).score);
    const normal = scores.slice(300);
    expect(normal.reduce((a, b) => a + b, 0) / normal.length).toBeGreaterThan(0.5);
    expect(normal.reduce((a, b) => a + b, 0) / normal.length).toBeLessThan(1.3);
    expect(forest.process([400]).score).toBeGreaterThan(2);
  });

  it('scores a constant series exactly as KDA did: 8/257 with the defaults', () => {
    const forest = new RandomCutForest({ dimensions: 1, seed: 1 });
    const scores = Array.from({ length: 300 }, () => forest.process([45]).score);
    expect(scores[255]).toBe(0);
    expect(scores[256]).toBeCloseTo(8 / 257, 12);
    expect(scores[299]).toBeCloseTo(8 / 257, 12);
  });

  it('score() matches what process() returns next, without learning', () => {
    const forest = new RandomCutForest({ dimensions: 1, numberOfTrees: 20, subSampleSize: 32, shingleSize: 4, seed: 8 });
    for (const r of wave(200)) forest.process(r);
    const before = forest.updates;
    const s1 = forest.score([130]);
    const s2 = forest.score([130]);
    expect(s2).toBe(s1);
    expect(forest.updates).toBe(before);
    expect(forest.process([130]).score).toBe(s1);
  });
});

describe('RandomCutForest attribution', () => {
  it('sums to the score and points at the column and direction that moved', () => {
    const explained = new RandomCutForest({ dimensions: 3, numberOfTrees: 30, subSampleSize: 64, shingleSize: 2, seed: 21 });
    const plain = new RandomCutForest({ dimensions: 3, numberOfTrees: 30, subSampleSize: 64, shingleSize: 2, seed: 21 });
    const rows = wave(300, 4, 3);
    for (const r of rows) {
      const a = explained.process(r, { explain: true });
      const b = plain.process(r);
      expect(a.score).toBeCloseTo(b.score, 10); // explaining does not change the score or the random stream
      const total = a.attribution!.reduce((s, c) => s + c.score, 0);
      expect(total).toBeCloseTo(a.score, 10);
    }
    const up = explained.process([100, 300, 100], { explain: true });
    expect(up.score).toBeGreaterThan(2);
    expect(up.attribution!.reduce((s, c) => s + c.score, 0)).toBeCloseTo(up.score, 10);
    expect(up.attribution![1]!.direction).toBe('HIGH');
    expect(up.attribution![1]!.score).toBeGreaterThan(up.attribution![0]!.score + up.attribution![2]!.score);
    const down = explained.process([100, 100, -200], { explain: true });
    expect(down.attribution![2]!.direction).toBe('LOW');
    expect(down.attribution![2]!.score).toBeGreaterThan(down.attribution![0]!.score + down.attribution![1]!.score);
  });

  it('returns zero attribution per column during warm-up', () => {
    const forest = new RandomCutForest({ dimensions: 2, seed: 1 });
    expect(forest.process([1, 2], { explain: true })).toEqual({
      score: 0,
      attribution: [
        { score: 0, direction: 'LOW' },
        { score: 0, direction: 'LOW' },
      ],
    });
  });
});

describe('RandomCutForest input validation', () => {
  it.each([
    [[Number.NaN], 'column 0 of the record is NaN'],
    [[Number.POSITIVE_INFINITY], 'column 0 of the record is Infinity'],
    [[1e39], 'column 0 of the record is 1e+39: RCF needs finite numbers within float32 range'],
    [['12'], 'column 0 of the record is "12"'],
    [[1, 2], 'a record must have 1 numeric value, got 2 values'],
    [[], 'a record must have 1 numeric value, got 0 values'],
  ])('rejects %j with RcfInputError and leaves the forest unchanged', (bad, message) => {
    const run = (withBad: boolean): number[] => {
      const forest = new RandomCutForest({ dimensions: 1, numberOfTrees: 10, subSampleSize: 16, shingleSize: 2, seed: 2 });
      return wave(60).map((r, i) => {
        if (withBad && i === 30) {
          expect(() => forest.process(bad as number[])).toThrow(RcfInputError);
          expect(() => forest.score(bad as number[])).toThrow(message);
        }
        return forest.process(r).score;
      });
    };
    expect(run(true)).toEqual(run(false));
  });

  it('treats -0 as 0', () => {
    const forest = new RandomCutForest({ dimensions: 1, numberOfTrees: 5, subSampleSize: 10, seed: 1 });
    for (let i = 0; i < 10; i++) forest.process([0]);
    expect(forest.score([-0])).toBeCloseTo(forest.score([0]), 15);
    expect(forest.score([-0])).toBeCloseTo((1 / 11) * Math.log2(10), 12);
  });
});
