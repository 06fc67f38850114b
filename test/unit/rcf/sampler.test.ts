import { Xoshiro128 } from '../../../shared/rcf/random';
import { ReservoirSampler, samplerKey } from '../../../shared/rcf/sampler';

/** Runs `samplers` independent reservoirs over updates 0..updates-1 and returns the ages of the kept entries. */
function keptAges(capacity: number, timeDecay: number, updates: number, samplers: number, seed: number): number[] {
  const rng = new Xoshiro128(seed);
  const ages: number[] = [];
  for (let s = 0; s < samplers; s++) {
    const sampler = new ReservoirSampler(capacity);
    for (let t = 0; t < updates; t++) {
      const key = samplerKey(1 / timeDecay, t, rng.nextOpen());
      if (sampler.accepts(key)) sampler.add(key, t);
    }
    for (let i = 0; i < sampler.size; i++) ages.push(updates - 1 - sampler.slots[i]!);
  }
  return ages;
}

describe('time-decayed reservoir sampler', () => {
  it('accepts everything until full, then evicts the entry with the largest key', () => {
    const sampler = new ReservoirSampler(3);
    expect(sampler.add(5, 50)).toBe(-1);
    expect(sampler.add(1, 10)).toBe(-1);
    expect(sampler.add(3, 30)).toBe(-1);
    expect(sampler.isFull).toBe(true);
    expect(sampler.accepts(6)).toBe(false);
    expect(sampler.accepts(4)).toBe(true);
    expect(sampler.add(4, 40)).toBe(50);
    expect(sampler.maxKey).toBe(4);
    expect(sampler.add(0, 0)).toBe(40);
    expect(Array.from(sampler.slots).sort((a, b) => a - b)).toEqual([0, 10, 30]);
  });

  it('keeps a soft window: sampled ages are roughly exponential with mean timeDecay', () => {
    const ages = keptAges(50, 1000, 20_000, 20, 7);
    const meanAge = ages.reduce((a, b) => a + b, 0) / ages.length;
    expect(meanAge).toBeGreaterThan(850);
    expect(meanAge).toBeLessThan(1150);
    // Exponential: about e^-1 of the sample is older than the mean, and some points are much older (not a hard cut).
    const older = ages.filter((a) => a > 1000).length / ages.length;
    expect(older).toBeGreaterThan(0.3);
    expect(older).toBeLessThan(0.44);
    expect(Math.max(...ages)).toBeGreaterThan(3000);
  });

  it('samples almost uniformly over the stream when timeDecay is much longer than the stream', () => {
    const ages = keptAges(100, 100_000, 5_000, 10, 11);
    const meanAge = ages.reduce((a, b) => a + b, 0) / ages.length;
    // Uniform over 5000 updates has mean age 2500; decay over 5% of 1/λ barely tilts it.
    expect(meanAge).toBeGreaterThan(2250);
    expect(meanAge).toBeLessThan(2600);
  });

  it('keeps the most recent points when timeDecay is 1', () => {
    const ages = keptAges(10, 1, 500, 5, 3);
    expect(Math.max(...ages)).toBeLessThan(40);
  });
});
