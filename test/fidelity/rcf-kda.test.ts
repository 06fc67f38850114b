import { RandomCutForest } from '../../shared/rcf';
import { loadKdaScores, loadNabSeries, mean, pearson } from '../support/nab';

/** Scores a NAB series with KDA's parameters (100 trees, 256, 100000, shingle 1) and compares with KDA's real output. */
function compare(name: string, seed: number): { pearson: number; ratio: number; ours: number[]; kda: number[] } {
  const series = loadNabSeries(name);
  const kda = loadKdaScores(name);
  const forest = new RandomCutForest({ dimensions: 1, numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1, seed });
  const ours = series.values.map((v) => forest.process([v]).score);
  // Both are 0 during warm-up; comparing there would only inflate the correlation.
  const a = ours.slice(256);
  const b = kda.scores.slice(256);
  return { pearson: pearson(a, b), ratio: mean(a) / mean(b), ours, kda: kda.scores };
}

describe('fidelity to Kinesis Data Analytics RANDOM_CUT_FOREST (real KDA output on NAB)', () => {
  it.each([
    ['realTweets/Twitter_volume_PFE.csv'], // integer counts: 99.9% of values are repeats
    ['realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv'], // few distinct values, long flat stretches
    ['realKnownCause/nyc_taxi.csv'], // seasonal counts, mostly distinct
    ['realAdExchange/exchange-2_cpc_results.csv'], // continuous values, short series
  ])('%s: Pearson ≥ 0.97 and mean score within 0.9–1.1 of KDA', (name) => {
    const result = compare(name, 2024);
    expect(result.pearson).toBeGreaterThanOrEqual(0.97);
    expect(result.ratio).toBeGreaterThanOrEqual(0.9);
    expect(result.ratio).toBeLessThanOrEqual(1.1);
  });

  it('scores the constant series exactly as KDA: 0 for 256 records, then 8/257', () => {
    const { ours, kda } = compare('artificialNoAnomaly/art_flatline.csv', 1);
    expect(ours.slice(0, 256).every((s) => s === 0)).toBe(true);
    for (let i = 256; i < ours.length; i++) {
      expect(ours[i]).toBeCloseTo(8 / 257, 12);
      expect(kda[i]).toBeCloseTo(8 / 257, 9);
    }
  });
});
