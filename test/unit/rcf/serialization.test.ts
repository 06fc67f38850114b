import { RandomCutForest, RcfStateError } from '../../../shared/rcf';
import { Xoshiro128 } from '../../../shared/rcf/random';
import { mean, pearson } from '../../support/nab';

/** Count-like data with trend, seasonality, repeats and a few spikes. */
function counts(n: number, seed: number): number[] {
  const rng = new Xoshiro128(seed);
  return Array.from({ length: n }, (_, t) => {
    const base = 40 + 15 * Math.sin((2 * Math.PI * t) / 144) + Math.floor(rng.nextDouble() * 6);
    return rng.nextDouble() < 0.01 ? base * 3 : Math.round(base);
  });
}

describe('RandomCutForest serialization', () => {
  it('round-trips: a reloaded forest keeps parameters and counters and scores like the original', () => {
    const data = counts(6000, 1);
    const original = new RandomCutForest({ dimensions: 1, seed: 10 });
    for (const x of data.slice(0, 3000)) original.process([x]);
    const bytes = original.toBytes();
    const reloaded = RandomCutForest.fromBytes(bytes);
    expect(reloaded.parameters).toEqual(original.parameters);
    expect(reloaded.updates).toBe(3000);
    expect(reloaded.storedPoints).toBe(original.storedPoints);
    const a: number[] = [];
    const b: number[] = [];
    for (const x of data.slice(3000)) {
      a.push(original.process([x]).score);
      b.push(reloaded.process([x]).score);
    }
    expect(pearson(a, b)).toBeGreaterThan(0.97);
    expect(mean(b) / mean(a)).toBeGreaterThan(0.97);
    expect(mean(b) / mean(a)).toBeLessThan(1.03);
  });

  it('restores the shingle so scoring continues mid-stream', () => {
    const data = counts(1200, 2);
    const original = new RandomCutForest({ dimensions: 2, numberOfTrees: 40, subSampleSize: 64, shingleSize: 4, timeDecay: 500, seed: 3 });
    for (let i = 0; i < 700; i++) original.process([data[i]!, data[i]! % 7]);
    const reloaded = RandomCutForest.fromBytes(original.toBytes());
    expect(reloaded.records).toBe(700);
    expect(reloaded.updates).toBe(697);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 700; i < 1200; i++) {
      a.push(original.process([data[i]!, data[i]! % 7]).score);
      b.push(reloaded.process([data[i]!, data[i]! % 7]).score);
    }
    expect(pearson(a, b)).toBeGreaterThan(0.9);
    expect(mean(b) / mean(a)).toBeGreaterThan(0.93);
    expect(mean(b) / mean(a)).toBeLessThan(1.07);
  });

  it('round-trips a forest still warming up, and reloading the same bytes is deterministic', () => {
    const forest = new RandomCutForest({ dimensions: 1, numberOfTrees: 10, subSampleSize: 50, seed: 4 });
    for (const x of counts(30, 3)) forest.process([x]);
    const bytes = forest.toBytes();
    const r1 = RandomCutForest.fromBytes(bytes);
    const r2 = RandomCutForest.fromBytes(bytes);
    const s1 = counts(100, 4).map((x) => r1.process([x]).score);
    const s2 = counts(100, 4).map((x) => r2.process([x]).score);
    expect(s1).toEqual(s2);
    expect(s1.slice(0, 20).every((s) => s === 0)).toBe(true);
    expect(s1[20]).toBeGreaterThan(0);
    expect(RandomCutForest.fromBytes(new RandomCutForest({ dimensions: 3 }).toBytes()).updates).toBe(0);
  });

  it('rejects bytes that are not a forest state with RcfStateError', () => {
    const good = new RandomCutForest({ dimensions: 1, numberOfTrees: 5, subSampleSize: 10, seed: 1 }).toBytes();
    expect(() => RandomCutForest.fromBytes(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(RcfStateError);
    const future = good.slice();
    future[3] = 99;
    expect(() => RandomCutForest.fromBytes(future)).toThrow('format version 99 is not supported');
    expect(() => RandomCutForest.fromBytes(good.subarray(0, good.length - 3))).toThrow(RcfStateError);
  });
});
