import { GradeStateError, gradeWindow } from '../anomaly';
import { RandomCutForest } from '../rcf';
import { DEFAULT_ALERT_ON, type RcfDetector } from '../detectors/schema';
import type { HopSpan, StepAggregate } from './hopping';
import type { WindowAggregate } from './plan';
import type { LearnedWindow, ModelParams, StoredModel, WindowResult } from './ports';
import { LruCache } from '../lru';

/**
 * A key's forest and what the table knows of it, and the warm container's cache of them. A key's forest is always
 * the one read from its last save plus the windows written since, learned in order: a rebuild replays them
 * (replayLearned), and a container that keeps a forest cached takes the saved bytes back after each save
 * (settleSaved). Reading a forest back is deterministic but not the identity (shared/rcf rebuilds its trees from
 * the samples), so this one form is what makes every container, cache size and cold start score alike.
 * The key's anomaly grade state (shared/anomaly) travels the same path: saved beside the forest in the model item,
 * and rebuilt by grading the replayed windows' scores again — the replay's scores are the scoring's own, so the
 * grades and the state come out identical without storing a state per window.
 */

/** A forest with what the table knows about it. */
export interface LiveModel {
  forest: RandomCutForest;
  /** Version of the stored item this forest came from (undefined: not stored yet). */
  version?: number;
  /** Start of the last window learned (or written fresh): windows at or before it are late. */
  lastWindowMs?: number;
  /** lastWindowMs of the saved model this forest came from. */
  savedWindowMs?: number;
  /** Windows written fresh since that save. */
  sinceSave: number;
  params: ModelParams;
  /** The key's grade state (GradeState JSON) after the last window learned; undefined for a new key or after a reset. */
  grade?: unknown;
  /**
   * Hopping detectors (./hopping.ts): the key's last steps as of lastWindowMs, what its next hopping windows merge;
   * undefined until read from the step items (a rebuilt forest, or after late merges changed them).
   */
  hopSteps?: StepAggregate[];
}

export function modelParams(d: RcfDetector): ModelParams {
  return { ...d.rcf, dimensions: d.features.length, features: [...d.features] };
}

export const sameParams = (a: ModelParams, b: ModelParams): boolean =>
  a.numberOfTrees === b.numberOfTrees &&
  a.subSampleSize === b.subSampleSize &&
  a.timeDecay === b.timeDecay &&
  a.shingleSize === b.shingleSize &&
  a.dimensions === b.dimensions &&
  a.features.length === b.features.length &&
  a.features.every((f, i) => f === b.features[i]);

/** FNV-1a: a new key's forest gets a seed from its name, so a retry after a crash rebuilds the same forest. */
export function seedFor(detector: string, key: string): number {
  let h = 0x811c9dc5;
  const s = `${detector}\u0000${key}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The forest for a key: the stored one when its parameters still match the detector, otherwise a new one.
 * A parameter change starts learning afresh but keeps lastWindow, so old windows are not learned again.
 */
export function liveModel(d: RcfDetector, key: string, stored: StoredModel | undefined): { model: LiveModel; reset: boolean } {
  const params = modelParams(d);
  if (stored && sameParams(stored.params, params)) {
    const forest = RandomCutForest.fromBytes(stored.state);
    return {
      model: {
        forest,
        version: stored.version,
        lastWindowMs: stored.lastWindowMs,
        savedWindowMs: stored.lastWindowMs,
        sinceSave: 0,
        params,
        ...(stored.grade !== undefined ? { grade: stored.grade } : {}),
      },
      reset: false,
    };
  }
  const forest = new RandomCutForest({ ...d.rcf, dimensions: d.features.length, seed: seedFor(d.name, key) });
  return {
    model: {
      forest,
      version: stored?.version,
      lastWindowMs: stored?.lastWindowMs,
      savedWindowMs: stored?.lastWindowMs,
      sinceSave: 0,
      params,
    },
    reset: Boolean(stored),
  };
}

/**
 * Brings a forest built from its save up to date with the windows written since (`learnedSince`), learning each
 * in order as scoring did. After a parameter reset the new forest learns nothing of them: they were scored by the
 * old one, and the reset starts learning afresh from the next window.
 */
export function replayLearned(model: LiveModel, since: readonly LearnedWindow[], reset: boolean, detector?: RcfDetector): void {
  for (const w of since) {
    if (!reset && w.features) {
      // explain as scoring did: the same arithmetic, so the same score for the grade.
      const { score } = model.forest.process(w.features, { explain: true });
      if (detector) gradeScored(model, detector, score, w.features);
    }
    model.lastWindowMs = Math.max(model.lastWindowMs ?? w.startMs, w.startMs);
    model.sinceSave++;
  }
}

/** Grades one scored window on the key's state and keeps the new state; late windows never come here. */
function gradeScored(model: LiveModel, d: RcfDetector, score: number, values: readonly number[]) {
  const input = {
    score,
    values,
    features: d.features,
    alertOn: d.alertOn ?? DEFAULT_ALERT_ON,
    threshold: d.threshold,
    ...(d.suppress?.length ? { suppress: d.suppress } : {}),
    // The grade's budget is per hour of scored windows: a hopping detector scores one every step.
    windowSeconds: d.everySeconds ?? d.windowSeconds,
  };
  let g;
  try {
    g = gradeWindow({ ...input, state: model.grade });
  } catch (error) {
    // A state this version cannot read (an older format) grades the key afresh rather than failing the shard on
    // every retry; the replay meets the same state and decides the same way.
    if (!(error instanceof GradeStateError)) throw error;
    g = gradeWindow({ ...input, state: undefined });
  }
  model.grade = g.state;
  return g;
}

/**
 * Scores and learns one fresh window on the key's forest, then grades it (oldest first, right after the forest):
 * the result carries the grade, the usual values and decideAlert's decision. A window with a feature that is not a
 * finite number is stored unscored, ungraded and unlearned.
 */
export function scoreWindow(model: LiveModel, w: WindowAggregate & { hop?: HopSpan }): WindowResult {
  const d = w.detector;
  const threshold = d.threshold;
  const hop = w.hop ? { hop: w.hop } : {};
  if (!w.features) return { window: w, threshold, ...hop };
  const { score, attribution } = model.forest.process(w.features, { explain: true });
  const g = gradeScored(model, d, score, w.features);
  return {
    window: w,
    score,
    threshold,
    features: w.features,
    attribution: (attribution ?? []).map((a, i) => ({ column: d.features[i]!, score: a.score, direction: a.direction })),
    grade: g.grade,
    expected: g.expected,
    alertOn: d.alertOn ?? DEFAULT_ALERT_ON,
    alert: g.alert,
    ...(g.suppressed && g.reason ? { suppressed: g.reason } : {}),
    ...hop,
  };
}

/** After a save: the model is the saved forest read back (see the module header) and counts from this save. */
export function settleSaved(model: LiveModel, saved: StoredModel): void {
  model.forest = RandomCutForest.fromBytes(saved.state);
  model.grade = saved.grade;
  model.version = saved.version;
  model.savedWindowMs = saved.lastWindowMs;
  model.sinceSave = 0;
}

/** Warm-container cache of forests, least recently used evicted first (a default forest is ~2 MB of heap). */
export class ModelCache extends LruCache<LiveModel> {
  constructor(capacity = 256) {
    super(capacity);
  }
}
