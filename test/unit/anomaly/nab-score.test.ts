import {
  NAB_PROFILES,
  bestThreshold,
  corpusBaselines,
  normalise,
  prepareNabFile,
  probationLength,
  scaledSigmoid,
  scoreCorpus,
  scoreDetections,
} from '../../../shared/anomaly/nab-score';
import { loadNabCorpus } from '../../../bench/nab/corpus';

/** 20 rows at t = 0…19, one labelled window over rows 10–13; NAB's probation is floor(0.15 · 20) = 3 rows. */
const tinyFile = () =>
  prepareNabFile(
    'tiny.csv',
    Array.from({ length: 20 }, (_, t) => t),
    [[10, 13]],
  );

function flags(rows: number[], n = 20): boolean[] {
  return Array.from({ length: n }, (_, i) => rows.includes(i));
}

describe('NAB scaled sigmoid', () => {
  it('is ≈0.987 at a window start, 0 at its right edge and −1 from 3 window-lengths after it', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3)).toBe(-1);
  });

  it('sets aside 15 % of a file, at most 750 rows', () => {
    expect(probationLength(20)).toBe(3);
    expect(probationLength(4032)).toBe(604);
    expect(probationLength(22695)).toBe(750);
  });
});

describe('NAB score of detections (hand-computed case)', () => {
  it('earns the earliest detection in a window, penalises false positives by distance after the window, ignores probation', () => {
    // Row 1: probation (ignored). Row 5: before any window, full penalty −0.11. Row 11: in the window at position
    // −(13 − 11 + 1)/4 = −0.75 → S(−0.75)/S(−1) = 0.966989; row 12 later in the same window adds nothing.
    // Row 15: 2 rows after the window's right edge, position 2/(4 − 1) → 0.11 · S(0.667) = −0.102422.
    const s = scoreDetections(tinyFile(), flags([1, 5, 11, 12, 15]), NAB_PROFILES.standard);
    expect(s.score).toBeCloseTo(0.966989 - 0.11 - 0.102422, 5);
    expect(s).toMatchObject({ windowsDetected: 1, windows: 1, falsePositives: 2 });
    expect(scoreDetections(tinyFile(), flags([1, 5, 11, 12, 15]), NAB_PROFILES.reward_low_FP_rate).score).toBeCloseTo(
      0.966989 - 0.22 - 0.204844,
      5,
    );
  });

  it('charges fnWeight for a missed window and normalises between the null (0) and perfect (100) detectors', () => {
    const file = tinyFile();
    expect(scoreDetections(file, flags([]), NAB_PROFILES.standard).score).toBe(-1);
    expect(scoreDetections(file, flags([]), NAB_PROFILES.reward_low_FN_rate).score).toBe(-2);
    expect(corpusBaselines([file], NAB_PROFILES.standard)).toEqual({ nullScore: -1, perfect: 1 });
    expect(scoreCorpus([file], [flags([10])], NAB_PROFILES.standard).score).toBeCloseTo(100, 10);
    expect(scoreCorpus([file], [flags([])], NAB_PROFILES.standard).score).toBe(0);
    expect(scoreCorpus([file], [flags([1, 5, 11, 12, 15])], NAB_PROFILES.standard).score).toBeCloseTo(87.7284, 3);
    expect(normalise(0, { nullScore: -1, perfect: 1 })).toBe(50);
  });

  it('sweeps one threshold over the corpus and keeps the best', () => {
    const file = tinyFile();
    const scores = Array.from({ length: 20 }, (_, i) => (i === 11 ? 0.9 : i === 5 ? 0.95 : 0.1));
    // ≥ 0.95 flags only the false positive (worse than nothing); ≥ 0.9 adds the window: best.
    const best = bestThreshold([file], [scores], NAB_PROFILES.standard);
    expect(best.threshold).toBe(0.9);
    expect(best.raw).toBeCloseTo(0.966989 - 0.11, 5);
  });
});

describe('NAB scorer against KDA’s published results', () => {
  it('reproduces KDA RANDOM_CUT_FOREST’s NAB scores (51.7 standard, 38.4 reward-low-FP, 59.7 reward-low-FN) from its real output', () => {
    const corpus = loadNabCorpus();
    expect(corpus).toHaveLength(58);
    const files = corpus.map((c) => c.file);
    const kda = corpus.map((c) => c.kda);
    expect(bestThreshold(files, kda, NAB_PROFILES.standard).score).toBeGreaterThan(51.7 - 0.5);
    expect(bestThreshold(files, kda, NAB_PROFILES.standard).score).toBeLessThan(51.7 + 0.5);
    expect(Math.abs(bestThreshold(files, kda, NAB_PROFILES.reward_low_FP_rate).score - 38.4)).toBeLessThan(0.5);
    expect(Math.abs(bestThreshold(files, kda, NAB_PROFILES.reward_low_FN_rate).score - 59.7)).toBeLessThan(0.5);
  });
});
