import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Several sensor columns: a daily-like cycle per column, a slow walk and reading noise, rounded to 0.1. */
function sensorRows(n: number, columns: number, seed: number): number[][] {
  const rng = new Xoshiro128(seed);
  const walk = new Array<number>(columns).fill(0);
  return Array.from({ length: n }, (_, t) =>
    walk.map((w, c) => {
      walk[c] = 0.99 * w + (rng.nextDouble() - 0.5);
      return Math.round((20 + 5 * c + 8 * Math.sin((2 * Math.PI * t) / 144 + c) + walk[c]! + rng.nextDouble()) * 10) / 10;
    }),
  );
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

  it('round-trips a 4-column, shingle-8 forest at KDA defaults: the reloaded forest scores the rest of the stream like the original', () => {
    const rows = sensorRows(3200, 4, 6);
    rows[2600] = rows[2600]!.map((x) => x + 40); // one clear anomaly in the continued part
    const original = new RandomCutForest({ dimensions: 4, shingleSize: 8, seed: 12 });
    for (const r of rows.slice(0, 2000)) original.process(r);
    const bytes = original.toBytes();
    const reloaded = RandomCutForest.fromBytes(bytes);
    const again = RandomCutForest.fromBytes(bytes);
    expect(reloaded.parameters).toEqual(original.parameters);
    expect(reloaded.records).toBe(2000);
    expect(reloaded.updates).toBe(1993);
    expect(reloaded.storedPoints).toBe(original.storedPoints);
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    for (const r of rows.slice(2000)) {
      a.push(original.process(r).score);
      b.push(reloaded.process(r).score);
      c.push(again.process(r).score);
    }
    // Trees are rebuilt with fresh cuts, so scores agree up to the forest's own randomness, not bit for bit…
    expect(pearson(a, b)).toBeGreaterThan(0.95);
    expect(mean(b) / mean(a)).toBeGreaterThan(0.97);
    expect(mean(b) / mean(a)).toBeLessThan(1.03);
    expect(b[600]).toBeGreaterThan(2);
    expect(a[600]).toBeGreaterThan(2);
    // …but the same bytes always reload to the same forest.
    expect(c).toEqual(b);
  });

  it('stores a shingled stream once: at shingle 8 the state is well under twice the unshingled one (each point whole would be 8 times)', () => {
    const rng = new Xoshiro128(8);
    const rows = Array.from({ length: 3000 }, () => [rng.nextDouble() * 100, rng.nextDouble() * 100]);
    const sizeAt = (shingleSize: number): number => {
      const forest = new RandomCutForest({ dimensions: 2, shingleSize, numberOfTrees: 50, subSampleSize: 64, timeDecay: 1000, seed: 1 });
      for (const r of rows) forest.process(r);
      return forest.toBytes().length;
    };
    const one = sizeAt(1);
    // Sampled points are spread out at this decay, so records between them are kept too, but each only once.
    expect(sizeAt(8)).toBeLessThan(2 * one);
  });

  it('reads a version-1 state (written before shingle-aware states) and scores on from it', () => {
    const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'state-v1.json'), 'utf8')) as {
      options: { numberOfTrees: number; subSampleSize: number; timeDecay: number; shingleSize: number; dimensions: number };
      rows: number[][];
      state: string;
      continuing: number[];
    };
    const bytes = new Uint8Array(Buffer.from(fixture.state, 'base64'));
    expect(bytes[3]).toBe(1);
    const forest = RandomCutForest.fromBytes(bytes);
    const { seed: _seed, ...parameters } = { ...fixture.options, seed: 0 };
    expect(forest.parameters).toEqual(parameters);
    expect(forest.records).toBe(600);
    expect(forest.updates).toBe(597);
    const scores = fixture.rows.slice(600).map((r) => forest.process(r).score);
    expect(pearson(scores, fixture.continuing)).toBeGreaterThan(0.9);
    expect(mean(scores) / mean(fixture.continuing)).toBeGreaterThan(0.9);
    expect(mean(scores) / mean(fixture.continuing)).toBeLessThan(1.1);
    expect(scores[100]).toBeGreaterThan(2); // the spike at row 700, as the original forest saw it
    // Saving it again writes the current version, which reads back.
    const resaved = forest.toBytes();
    expect(resaved[3]).toBe(2);
    expect(RandomCutForest.fromBytes(resaved).records).toBe(900);
  });

  it('rejects bytes that are not a forest state with RcfStateError', () => {
    const good = new RandomCutForest({ dimensions: 1, numberOfTrees: 5, subSampleSize: 10, seed: 1 }).toBytes();
    expect(() => RandomCutForest.fromBytes(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(RcfStateError);
    const future = good.slice();
    future[3] = 99;
    expect(() => RandomCutForest.fromBytes(future)).toThrow('format version 99 is not supported (this build reads 1 and 2)');
    expect(() => RandomCutForest.fromBytes(good.subarray(0, good.length - 3))).toThrow(RcfStateError);
  });
});
