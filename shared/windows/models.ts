import { RandomCutForest } from '../rcf';
import type { RcfDetector } from '../detectors/schema';
import type { LearnedWindow, ModelParams, StoredModel } from './ports';

/**
 * A key's forest and what the table knows of it, and the warm container's cache of them. A key's forest is always
 * the one read from its last save plus the windows written since, learned in order: a rebuild replays them
 * (replayLearned), and a container that keeps a forest cached takes the saved bytes back after each save
 * (settleSaved). Reading a forest back is deterministic but not the identity (shared/rcf rebuilds its trees from
 * the samples), so this one form is what makes every container, cache size and cold start score alike.
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
export function replayLearned(model: LiveModel, since: readonly LearnedWindow[], reset: boolean): void {
  for (const w of since) {
    if (!reset && w.features) model.forest.process(w.features);
    model.lastWindowMs = Math.max(model.lastWindowMs ?? w.startMs, w.startMs);
    model.sinceSave++;
  }
}

/** After a save: the model is the saved forest read back (see the module header) and counts from this save. */
export function settleSaved(model: LiveModel, saved: StoredModel): void {
  model.forest = RandomCutForest.fromBytes(saved.state);
  model.version = saved.version;
  model.savedWindowMs = saved.lastWindowMs;
  model.sinceSave = 0;
}

/** Warm-container cache of forests, least recently used evicted first (a default forest is ~2 MB of heap). */
export class ModelCache {
  private readonly map = new Map<string, LiveModel>();
  constructor(readonly capacity = 256) {}
  get(id: string): LiveModel | undefined {
    const m = this.map.get(id);
    if (m) {
      this.map.delete(id);
      this.map.set(id, m);
    }
    return m;
  }
  set(id: string, model: LiveModel): void {
    this.map.delete(id);
    this.map.set(id, model);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
  }
  delete(id: string): void {
    this.map.delete(id);
  }
  clear(): void {
    this.map.clear();
  }
  get size(): number {
    return this.map.size;
  }
}
