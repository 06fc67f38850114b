/**
 * The anomaly grade: how unusual a key's current Random Cut Forest score is against that key's own recent
 * scores, in [0, 1], and the shipped default alert rule built on it. Pure (no I/O, no AWS); the state is a
 * small JSON-able object stored per (detector, key) beside the forest.
 *
 * Method (adapted from two published ones, measured on NAB — docs/detectors.md, bench/nab.bench.ts):
 * - HTM's anomaly likelihood (numenta/nupic, anomaly_likelihood.py) judges a short-term average of the raw
 *   scores against the distribution of that average over a long history, not a single raw score against a
 *   fixed number. Here: the mean of the last `smooth` scores against a time-decayed histogram of that mean.
 * - AWS's ThresholdedRandomCutForest (random-cut-forest-by-aws, parkservices BasicThresholder and
 *   PredictorCorrector) keeps an adaptive threshold from discounted score statistics with an absolute lower
 *   bound, and does not re-alert on the same anomaly region. Here: the threshold is the larger of an absolute
 *   floor (KDA scale) and `factor` × the (1 − tail) quantile of the decayed histogram, and after an alert the
 *   key stays quiet for `refractory` windows unless a clearly worse anomaly comes (`rise`). A score graded
 *   anomalous enters the histogram capped at the threshold, so one anomaly (or a long anomalous stretch) does
 *   not blind the key to the next.
 * The tail is a budget per hour of data, not per window, so a 10-second detector does not get 30 times the false
 * alerts of a 5-minute one. The RCF score distribution is heavy-tailed and differs per series (bursty tweet
 * counts vs smooth CPU), which is why a quantile of the key's own history beats a mean + z·σ rule (measured: at
 * most 48 on NAB's standard profile).
 */

export interface GradeOptions {
  /** Half-life of the score history, in windows (scores older than this count half). */
  halfLife: number;
  /**
   * How often per hour of data the key's history exceeds its quantile: the tail fraction per window is
   * `tailPerHour × windowSeconds / 3600` (at most `maxTail`), and its quantile × `factor` is the key's threshold.
   * Per hour rather than per window, so 10-second and 5-minute windows get the same false-alert budget in time.
   */
  tailPerHour: number;
  maxTail: number;
  factor: number;
  /** The detector's window length (NAB: the series' sampling interval). */
  windowSeconds: number;
  /** No score below this (KDA scale) is anomalous, however quiet the key has been. */
  floor: number;
  /** Scores averaged before grading (HTM's short-term average). */
  smooth: number;

  /** Windows after an alert during which the key does not alert again... */
  refractory: number;
  /** ...unless its short-term average reaches `rise` × the last alert's (a worse anomaly is not hidden by a lesser one). */
  rise: number;
  /** Non-zero scores the key must have seen before it is graded at all. */
  minScores: number;
  /**
   * While the key has fewer than `minScores` scores (its grade is still learning), alert on the detector's own
   * score threshold (KDA's `score ≥ threshold`) instead of not at all, so a new key or a short demo is not blind.
   */
  fallbackToScore: boolean;
  /**
   * Once graded, an alert also needs the highest raw score of the last `smooth` windows to reach this × the
   * detector's score threshold (0: no such condition). The grade adapts the bar to the key's history, the raw
   * score keeps the detector's absolute bar: both must agree.
   */
  peakOfThreshold: number;
}

/** Options for one grader: the window length is required, everything else defaults to the shipped rule. */
export type GradeSettings = Partial<GradeOptions> & { windowSeconds: number };

/** The shipped default, chosen once on NAB (the same for every detector, key and series; see docs/detectors.md). */
export const DEFAULT_GRADE_OPTIONS: Readonly<Omit<GradeOptions, 'windowSeconds'>> = Object.freeze({
  halfLife: 2000,
  tailPerHour: 0.12,
  maxTail: 0.05,
  factor: 1.1,
  floor: 2.5,
  smooth: 2,
  refractory: 100,
  rise: 2,
  minScores: 200,
  fallbackToScore: true,
  peakOfThreshold: 1,
});

/** Histogram of scores on the KDA scale: 64 bins of 0.125 cover 0–8 (log2 of the default sample size); the last bin holds everything above. */
const BINS = 64;
const BIN_WIDTH = 0.125;
const STATE_VERSION = 1;

/** What is stored per key; every field is a number or an array of numbers, so JSON or DynamoDB takes it as is. */
export interface GradeState {
  v: number;
  /** Non-zero scores seen. */
  n: number;
  /** Decayed histogram mass per bin (rounded to 4 significant digits when saved). */
  h: number[];
  /** The last `smooth − 1` scores, oldest first. */
  r: number[];
  /** Windows since the last alert (−1: never alerted). */
  a: number;
  /** The short-term average score of the last alert (0: never alerted). */
  l: number;
  /** Per feature, the running estimate of its usual value (null until a value is seen). */
  e: Array<number | null>;
}

export interface GradeResult {
  /** 0 below the key's threshold; from 0.5 at the threshold to 1 at twice it. */
  grade: number;
  /** The key's threshold for the short-term average score (KDA scale); 0 while the key is still learning. */
  threshold: number;
  /** The short-term average that was graded. */
  smoothedScore: number;
  /**
   * The default rule. While learning: score ≥ the detector's score threshold (`fallbackToScore`). Once graded:
   * graded anomalous, not within `refractory` windows of the key's last alert, and the recent peak score at
   * least `peakOfThreshold` × the detector's score threshold.
   */
  alert: boolean;
  /** The key has fewer than `minScores` scores: its grade is 0 and the alert (if any) is the score fallback's. */
  learning: boolean;
  /** The usual value of each feature before this window (null until one has been seen). */
  expected: Array<number | null>;
}

export class GradeStateError extends Error {
  override name = 'GradeStateError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Half-life of the expected-value estimate, in windows: short, so "usual" follows the recent level. */
const EXPECTED_HALF_LIFE = 32;

function round4(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(4));
}

/** Histogram mass below this is dropped when saved: against a total of ~2,900 it changes no quantile, and it keeps long exponents out of the state. */
const NEGLIGIBLE_MASS = 1e-4;

/**
 * One key's grader. `update(score, values)` grades a window's score (score-then-learn, like the forest) and
 * learns it; state() / fromState() carry it between invocations.
 */
export class AnomalyGrader {
  private readonly options: GradeOptions;
  private readonly decay: number;
  private readonly tail: number;
  private n: number;
  private readonly hist: Float64Array;
  private total: number;
  private recent: number[];
  private sinceAlert: number;
  private lastAlert: number;
  private expected: Array<number | null>;

  constructor(features: number, options: GradeSettings, state?: GradeState) {
    this.options = { ...DEFAULT_GRADE_OPTIONS, ...options };
    validateOptions(this.options);
    this.decay = Math.pow(0.5, 1 / this.options.halfLife);
    this.tail = Math.min(this.options.maxTail, (this.options.tailPerHour * this.options.windowSeconds) / 3600);
    this.hist = new Float64Array(BINS);
    if (state !== undefined) {
      checkState(state, features);
      this.n = state.n;
      state.h.forEach((x, i) => (this.hist[i] = x));
      this.total = state.h.reduce((a, b) => a + b, 0);
      this.recent = state.r.slice(-(this.options.smooth - 1));
      this.sinceAlert = state.a;
      this.lastAlert = state.l;
      this.expected = [...state.e];
    } else {
      this.n = 0;
      this.total = 0;
      this.recent = [];
      this.sinceAlert = -1;
      this.lastAlert = 0;
      this.expected = new Array<number | null>(features).fill(null);
    }
  }

  /** A grader from a saved `state()` (after JSON or DynamoDB); GradeStateError if it is not one. */
  static fromState(state: unknown, features: number, options: GradeSettings): AnomalyGrader {
    if (state === undefined) throw new GradeStateError('not a grade state this version reads: undefined');
    return new AnomalyGrader(features, options, state as GradeState);
  }

  /** The key's current threshold for the short-term average score; 0 while still learning. */
  threshold(): number {
    if (this.n < this.options.minScores) return 0;
    return Math.max(this.options.floor, this.options.factor * this.quantile(1 - this.tail));
  }

  /**
   * Grades one window. A score of 0 (the forest's warm-up) is neither graded nor learned, so the grade's own
   * warm-up starts when the forest's ends. `values` are the window's feature values (for the expected value).
   * `scoreThreshold` is the detector's KDA-scale threshold: the fallback while learning and the floor of the
   * recent peak score once graded. Without it (Infinity, the default) the rule is the grade alone and a learning
   * key never alerts.
   */
  update(score: number, values: readonly number[] = [], scoreThreshold = Infinity): GradeResult {
    if (!Number.isFinite(score) || score < 0) throw new RangeError(`score must be a finite number ≥ 0, got ${score}`);
    if (Number.isNaN(scoreThreshold) || scoreThreshold < 0) throw new RangeError(`scoreThreshold must be ≥ 0, got ${scoreThreshold}`);
    const expected = [...this.expected];
    if (this.sinceAlert >= 0) this.sinceAlert++;
    const learning = this.n < this.options.minScores;
    if (score === 0) return { grade: 0, threshold: 0, smoothedScore: 0, alert: false, learning, expected };
    const window = [...this.recent, score];
    const smoothed = window.reduce((a, b) => a + b, 0) / window.length;
    const threshold = this.threshold();
    const grade = threshold > 0 && smoothed >= threshold ? Math.min(1, smoothed / (2 * threshold)) : 0;
    const quiet = this.sinceAlert >= 0 && this.sinceAlert <= this.options.refractory && smoothed < this.options.rise * this.lastAlert;
    // No threshold given: the grade alone decides (the peak condition is vacuous).
    const peakBar = Number.isFinite(scoreThreshold) ? this.options.peakOfThreshold * scoreThreshold : 0;
    const graded = grade > 0 && !quiet && Math.max(...window) >= peakBar;
    const alert = learning ? this.options.fallbackToScore && score >= scoreThreshold : graded;
    // Only a graded alert starts the refractory period: the fallback is KDA's rule, which has none (the alerts
    // function's cooldown holds its repeats back).
    if (graded && !learning) {
      this.sinceAlert = 0;
      this.lastAlert = smoothed;
    }
    this.learn(grade > 0 ? Math.min(smoothed, threshold) : smoothed);
    this.recent = this.options.smooth > 1 ? window.slice(-(this.options.smooth - 1)) : [];
    // The usual value learns from unremarkable windows only, so an anomaly does not become "usual".
    if (grade === 0) this.learnExpected(values);
    return { grade, threshold, smoothedScore: smoothed, alert, learning, expected };
  }

  state(): GradeState {
    return {
      v: STATE_VERSION,
      n: this.n,
      h: Array.from(this.hist, (x) => (x < NEGLIGIBLE_MASS ? 0 : round4(x))),
      r: this.recent.map(round4),
      a: this.sinceAlert,
      l: round4(this.lastAlert),
      e: this.expected.map((x) => (x === null ? null : round4(x))),
    };
  }

  private learn(x: number): void {
    this.n++;
    for (let b = 0; b < BINS; b++) this.hist[b]! *= this.decay;
    this.total = this.total * this.decay + 1;
    this.hist[Math.min(BINS - 1, Math.floor(x / BIN_WIDTH))]! += 1;
  }

  private learnExpected(values: readonly number[]): void {
    const alpha = 1 - Math.pow(0.5, 1 / EXPECTED_HALF_LIFE);
    values.forEach((x, i) => {
      if (i >= this.expected.length || !Number.isFinite(x)) return;
      const e = this.expected[i];
      this.expected[i] = e === null || e === undefined ? x : e + alpha * (x - e);
    });
  }

  /** The score below which fraction q of the decayed mass lies (upper edge of the bin where it is crossed). */
  private quantile(q: number): number {
    let above = 0;
    const limit = (1 - q) * this.total;
    for (let b = BINS - 1; b >= 0; b--) {
      if (above + this.hist[b]! > limit) return (b + 1) * BIN_WIDTH;
      above += this.hist[b]!;
    }
    return 0;
  }
}

function validateOptions(o: GradeOptions): void {
  const check = (name: keyof GradeOptions, ok: boolean, range: string) => {
    if (!ok) throw new RangeError(`grade ${name} must be ${range}, got ${o[name]}`);
  };
  check('halfLife', o.halfLife >= 1 && Number.isFinite(o.halfLife), 'a number ≥ 1');
  check('windowSeconds', o.windowSeconds > 0 && Number.isFinite(o.windowSeconds), 'a number of seconds > 0 (the window length)');
  check('tailPerHour', o.tailPerHour > 0 && Number.isFinite(o.tailPerHour), 'a positive number');
  check('maxTail', o.maxTail > 0 && o.maxTail < 1, 'between 0 and 1');
  check('factor', o.factor > 0 && Number.isFinite(o.factor), 'a positive number');
  check('floor', o.floor >= 0 && Number.isFinite(o.floor), 'a number ≥ 0');
  check('smooth', Number.isInteger(o.smooth) && o.smooth >= 1 && o.smooth <= 16, 'an integer from 1 to 16');
  check('refractory', Number.isInteger(o.refractory) && o.refractory >= 0, 'an integer ≥ 0');
  check('rise', o.rise >= 1, 'a number ≥ 1 (Infinity: never re-alert within refractory)');
  check('minScores', Number.isInteger(o.minScores) && o.minScores >= 1, 'an integer ≥ 1');
  check('fallbackToScore', typeof o.fallbackToScore === 'boolean', 'true or false');
  check('peakOfThreshold', o.peakOfThreshold >= 0 && Number.isFinite(o.peakOfThreshold), 'a number ≥ 0');
}

function checkState(s: GradeState, features: number): void {
  const fail = (why: string) => new GradeStateError(`not a grade state this version reads: ${why}`);
  if (typeof s !== 'object' || s === null) throw fail('not an object');
  if (s.v !== STATE_VERSION) throw fail(`version ${String(s.v)} (this version reads ${STATE_VERSION})`);
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  if (!finite(s.n) || s.n < 0) throw fail('n');
  if (!Array.isArray(s.h) || s.h.length !== BINS || !s.h.every((x) => finite(x) && x >= 0)) throw fail(`h must be ${BINS} numbers ≥ 0`);
  if (!Array.isArray(s.r) || !s.r.every(finite)) throw fail('r');
  if (!finite(s.a) || s.a < -1) throw fail('a');
  if (!finite(s.l) || s.l < 0) throw fail('l');
  if (!Array.isArray(s.e) || s.e.length !== features || !s.e.every((x) => x === null || finite(x)))
    throw fail(`e must have one entry per feature (${features})`);
}
