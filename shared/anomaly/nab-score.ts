/**
 * The Numenta Anomaly Benchmark's scoring, written from NAB's published description (Lavin & Ahmad 2015,
 * "Evaluating Real-time Anomaly Detection Algorithms — the Numenta Anomaly Benchmark") and the rules of its
 * scorer (numenta/NAB, nab/sweeper.py, read for the exact conventions). Measurement code: pure, no I/O; the
 * bench (bench/nab.bench.ts) and its tests load the files.
 *
 * Owns: anomaly windows → per-row weights (scaled sigmoid relative to the window's right edge), profile cost
 * matrices, the score of a set of detections (first detection per window, every false positive penalised by
 * its distance after the preceding window), NAB's corpus-wide threshold sweep, and the normalisation against
 * the null detector (no detections) and the perfect one (every window caught at its first row).
 */

export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

export type NabProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

/** NAB's config/profiles.json (tnWeight is unused by the scorer). */
export const NAB_PROFILES: Record<NabProfileName, CostMatrix> = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
};

export const NAB_PROFILE_NAMES = Object.keys(NAB_PROFILES) as NabProfileName[];

/** NAB ignores the first 15 % of each file (at most 750 rows): detectors are still learning there. */
export const PROBATION_PERCENT = 0.15;

export function probationLength(rows: number, percent = PROBATION_PERCENT): number {
  return Math.min(Math.floor(percent * rows), percent * 5000);
}

/**
 * NAB's scaled sigmoid of a position relative to a window's right edge: −1 is the window's first row
 * (≈ 0.987), 0 its right edge (0), positive positions are after the window (→ −1, and exactly −1 from 3 on).
 */
export function scaledSigmoid(position: number): number {
  if (position >= 3) return -1;
  return 2 / (1 + Math.exp(5 * position)) - 1;
}

const MAX_TP = scaledSigmoid(-1);

/** One labelled file, reduced to what scoring needs. Row order is time order. */
export interface NabFile {
  name: string;
  /** Row → index of the window it lies in, or −1. */
  windowOf: Int32Array;
  /** Number of windows that have at least one scorable (post-probation) row. */
  windowCount: number;
  /** Windows in the labels, probation or not (NAB's "perfect" counts them all). */
  labelledWindows: number;
  probation: number;
  /** Per row, the weight a detection there earns: > 0 in a window, ≤ 0 outside (before the profile's weights). */
  tpPart: Float64Array;
  /** Per row, the unweighted false-positive factor (scaled sigmoid of its distance after the last window, ≤ 0). */
  fpPart: Float64Array;
}

/**
 * Builds a file's scoring table from row timestamps and the labelled windows (inclusive [start, end], same
 * clock as the timestamps; any comparable numbers, e.g. epoch ms). A window holds the rows whose time lies in it.
 */
export function prepareNabFile(
  name: string,
  timestamps: ArrayLike<number>,
  windows: ReadonlyArray<readonly [number, number]>,
  probationPercent = PROBATION_PERCENT,
): NabFile {
  const n = timestamps.length;
  const windowOf = new Int32Array(n).fill(-1);
  const sorted = [...windows].sort((a, b) => a[0] - b[0]);
  const bounds: Array<{ left: number; right: number }> = [];
  for (const [start, end] of sorted) {
    let left = -1;
    let right = -1;
    for (let i = 0; i < n; i++) {
      const t = timestamps[i]!;
      if (t >= start && t <= end) {
        if (left < 0) left = i;
        right = i;
      }
    }
    if (left < 0) continue;
    for (let i = left; i <= right; i++) windowOf[i] = bounds.length;
    bounds.push({ left, right });
  }
  const probation = probationLength(n, probationPercent);
  const tpPart = new Float64Array(n);
  const fpPart = new Float64Array(n);
  let prev: { left: number; right: number } | undefined;
  for (let i = 0; i < n; i++) {
    const w = windowOf[i]!;
    if (w >= 0) {
      const { left, right } = bounds[w]!;
      const width = right - left + 1;
      tpPart[i] = scaledSigmoid(-(right - i + 1) / width) / MAX_TP;
      if (i === right) prev = bounds[w];
    } else if (!prev) {
      fpPart[i] = -1;
    } else {
      const width = prev.right - prev.left + 1;
      // NAB divides by (width − 1); a one-row window would divide by zero there, so treat it as far away.
      fpPart[i] = width > 1 ? scaledSigmoid(Math.abs(prev.right - i) / (width - 1)) : -1;
    }
  }
  const scorable = new Set<number>();
  for (let i = Math.ceil(probation); i < n; i++) if (windowOf[i]! >= 0) scorable.add(windowOf[i]!);
  return { name, windowOf, windowCount: scorable.size, labelledWindows: windows.length, probation, tpPart, fpPart };
}

export interface DetectionScore {
  /** Raw NAB score of this file (sum of true-positive, false-negative and false-positive parts). */
  score: number;
  /** Windows caught (a detection in the window). */
  windowsDetected: number;
  windows: number;
  /** Rows flagged outside every window, after probation. */
  falsePositives: number;
}

/** The raw score of a set of detections (one boolean per row) on one file, as NAB's scorer computes it. */
export function scoreDetections(file: NabFile, detected: ArrayLike<boolean | number>, profile: CostMatrix): DetectionScore {
  if (detected.length !== file.windowOf.length)
    throw new Error(`${file.name}: ${detected.length} detections for ${file.windowOf.length} rows`);
  const best = new Map<number, number>();
  let fp = 0;
  let falsePositives = 0;
  for (let i = 0; i < detected.length; i++) {
    if (i < file.probation || !detected[i]) continue;
    const w = file.windowOf[i]!;
    if (w >= 0) {
      // The earliest detection earns the most; later ones in the same window add nothing.
      const s = file.tpPart[i]! * profile.tpWeight;
      best.set(w, Math.max(best.get(w) ?? -Infinity, s));
    } else {
      fp += file.fpPart[i]! * profile.fpWeight;
      falsePositives++;
    }
  }
  const tp = [...best.values()].reduce((a, b) => a + b, 0);
  const fn = -(file.windowCount - best.size) * profile.fnWeight;
  return { score: tp + fn + fp, windowsDetected: best.size, windows: file.windowCount, falsePositives };
}

/** NAB's baselines for a corpus: the null detector (nothing flagged) and the perfect one (every window at its first row). */
export function corpusBaselines(files: readonly NabFile[], profile: CostMatrix): { nullScore: number; perfect: number } {
  const windows = files.reduce((a, f) => a + f.windowCount, 0);
  const labelled = files.reduce((a, f) => a + f.labelledWindows, 0);
  return { nullScore: -windows * profile.fnWeight, perfect: labelled * profile.tpWeight };
}

/** 100 · (raw − null) / (perfect − null): 0 is the null detector, 100 a perfect one. */
export function normalise(raw: number, baselines: { nullScore: number; perfect: number }): number {
  return (100 * (raw - baselines.nullScore)) / (baselines.perfect - baselines.nullScore);
}

/** Normalised NAB score of detections on a whole corpus (files and detections in the same order). */
export function scoreCorpus(files: readonly NabFile[], detections: ReadonlyArray<ArrayLike<boolean | number>>, profile: CostMatrix) {
  let raw = 0;
  let windowsDetected = 0;
  let windows = 0;
  let falsePositives = 0;
  files.forEach((f, k) => {
    const s = scoreDetections(f, detections[k]!, profile);
    raw += s.score;
    windowsDetected += s.windowsDetected;
    windows += s.windows;
    falsePositives += s.falsePositives;
  });
  return { score: normalise(raw, corpusBaselines(files, profile)), raw, windowsDetected, windows, falsePositives };
}

/**
 * NAB's threshold sweep: one threshold for the whole corpus, every distinct anomaly score tried (rows with
 * score ≥ threshold are detections), the best raw total kept. This is how NAB reports a detector that outputs
 * scores rather than decisions — the threshold is chosen afterwards, per profile, on the labels.
 */
export function bestThreshold(files: readonly NabFile[], scores: ReadonlyArray<ArrayLike<number>>, profile: CostMatrix) {
  const rows: Array<{ s: number; f: number; i: number }> = [];
  files.forEach((file, f) => {
    const xs = scores[f]!;
    if (xs.length !== file.windowOf.length) throw new Error(`${file.name}: ${xs.length} scores for ${file.windowOf.length} rows`);
    for (let i = Math.ceil(file.probation); i < xs.length; i++) rows.push({ s: xs[i]!, f, i });
  });
  rows.sort((a, b) => b.s - a.s);
  const baselines = corpusBaselines(files, profile);
  // Each window starts as a miss; as the threshold falls, a window's part becomes its best detection so far.
  const windowParts = files.map((f) => new Float64Array(f.labelledWindows).fill(-profile.fnWeight));
  let total = baselines.nullScore;
  let best = { threshold: Infinity, raw: total };
  for (let k = 0; k < rows.length; k++) {
    const { f, i } = rows[k]!;
    const file = files[f]!;
    const w = file.windowOf[i]!;
    if (w >= 0) {
      const s = file.tpPart[i]! * profile.tpWeight;
      const parts = windowParts[f]!;
      if (s > parts[w]!) {
        total += s - parts[w]!;
        parts[w] = s;
      }
    } else total += file.fpPart[i]! * profile.fpWeight;
    // A threshold is only meaningful once every row with this score is in.
    const next = rows[k + 1];
    if ((!next || next.s !== rows[k]!.s) && total > best.raw) best = { threshold: rows[k]!.s, raw: total };
  }
  return { threshold: best.threshold, raw: best.raw, score: normalise(best.raw, baselines) };
}
