import { RandomCutForest } from '../rcf';
import type { RcfDetector } from '../detectors/schema';
import type { ModelParams, StoredModel } from './ports';

/** A forest with what the table knows about it. */
export interface LiveModel {
  forest: RandomCutForest;
  /** Version of the stored item this forest came from (undefined: not stored yet). */
  version?: number;
  lastWindowMs?: number;
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
    return { model: { forest: RandomCutForest.fromBytes(stored.state), version: stored.version, lastWindowMs: stored.lastWindowMs, params }, reset: false };
  }
  const forest = new RandomCutForest({ ...d.rcf, dimensions: d.features.length, seed: seedFor(d.name, key) });
  return { model: { forest, version: stored?.version, lastWindowMs: stored?.lastWindowMs, params }, reset: Boolean(stored) };
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
