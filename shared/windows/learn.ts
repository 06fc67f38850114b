import type { Detector } from '../detectors/schema';
import type { AggregateOptions, CompiledDetector, InputRecord, WindowsState } from './aggregate';
import { aggregateRecords, parseEntryKey } from './aggregate';
import { emitWindows, type EmitStats } from './emit';
import { ModelCache } from './models';
import type { KeyRegistry } from './plan';
import type { FreshOutcome, LateOutcome, ModelStore, WindowResult, WindowStore } from './ports';

/**
 * Warm start from history (issue 16): a new detector's (or new key's) forests and grade state learned from archived
 * records without alerting, so the key does not spend its warm-ups (64 windows of forest, 200 of grade) live. The
 * history runs through the windows service itself (aggregateRecords, emitWindows: the same scoring, grading and
 * saving as live) over a window store that writes nothing — no window items, no pendingAlert — and only the models
 * (forest + grade state, conditional save) reach the table. Pure over the ports, like ./emit.ts.
 */

export interface LearnInput {
  records: readonly InputRecord[];
  compiled: readonly CompiledDetector[];
  /** Detectors another function serves: their records are not rejects here. */
  others?: readonly Detector[];
  models: ModelStore;
  /** Names this learning run (the models' emission id); the same id makes a retried run write the same models. */
  runId: string;
  /** Event-time bounds for the history (default: any age behind the records' arrivalMs). */
  aggregate?: AggregateOptions;
}

export interface LearnStats extends Pick<EmitStats, 'windowsWritten' | 'modelsSaved' | 'silentWindows'> {
  /** Keys learned. */
  keys: number;
  /** Keys that already had a model: left alone (their live windows since its save are what it learned). */
  skippedKeys: string[];
  /** Windows the alert rule would have flagged (not alerted: nothing is written but the models). */
  wouldAlert: number;
  rejects: number;
}

/** A window store that keeps nothing: what learning needs from emitWindows is the forests, not the items. */
class LearnOnlyWindowStore implements WindowStore {
  wouldAlert = 0;
  async putFresh(result: WindowResult): Promise<FreshOutcome> {
    if (result.alert) this.wouldAlert++;
    return 'written';
  }
  async mergeLate(): Promise<LateOutcome> {
    return 'duplicate';
  }
  async getRegistry(): Promise<KeyRegistry> {
    return new Map();
  }
  async putRegistry(): Promise<void> {}
}

/**
 * Learns the records' windows into the keys' models. A key that already has a model is skipped (learning more into it
 * here would leave out the live windows written since its save). The whole history is one emission: it is held in
 * memory (a window's partials per detector and key), so learn a detector's history in pieces of at most some hours
 * per key when it is large — a later piece finds the models of the earlier one and skips them, so split by keys.
 */
export async function learnFromHistory(input: LearnInput): Promise<LearnStats> {
  const state: WindowsState = { v: 1, id: input.runId, w: {} };
  const rejects = aggregateRecords(state, input.records, input.compiled, input.others ?? [], input.aggregate ?? {});
  const entries = Object.keys(state.w).map((e) => ({ entry: e, ...parseEntryKey(e) }));
  const pairs = [...new Map(entries.map((e) => [`${e.detector}\u0000${e.key}`, { detector: e.detector, key: e.key }])).values()];
  const existing = pairs.length ? await input.models.loadMany(pairs) : new Map();
  const skipped = new Set<string>();
  for (const e of entries) {
    if (!existing.has(`${e.detector}\u0000${e.key}`)) continue;
    skipped.add(`${e.detector}/${e.key}`);
    delete state.w[e.entry];
    delete state.s?.[e.entry];
  }
  const kept = entries.filter((e) => e.entry in state.w);
  const store = new LearnOnlyWindowStore();
  if (!kept.length) {
    return {
      keys: 0,
      skippedKeys: [...skipped],
      windowsWritten: 0,
      modelsSaved: 0,
      silentWindows: 0,
      wouldAlert: 0,
      rejects: rejects.length,
    };
  }
  const startMs = Math.min(...kept.map((e) => e.startMs));
  const windowMs = Math.max(...input.compiled.map((c) => c.windowMs));
  const endMs = Math.max(...kept.map((e) => e.startMs)) + windowMs;
  const stats = await emitWindows({
    state,
    compiled: input.compiled,
    shardId: 'learn',
    lambdaWindow: { startMs, endMs },
    emissionId: input.runId,
    windows: store,
    models: input.models,
    cache: new ModelCache(1),
  });
  return {
    keys: pairs.length - skipped.size,
    skippedKeys: [...skipped],
    windowsWritten: stats.windowsWritten,
    modelsSaved: stats.modelsSaved,
    silentWindows: stats.silentWindows,
    wouldAlert: store.wouldAlert,
    rejects: rejects.length,
  };
}
