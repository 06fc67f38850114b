import type { RcfDetector } from '../detectors/schema';
import type { LiveModel } from './models';
import { mergeSketches, type PartialsMap } from './features';
import { finishAggregate, type WindowAggregate } from './plan';

/**
 * Hopping windows (`windowSeconds` W with `everySeconds` E: every E, the last W — what KDA applications did with
 * sliding windows): the arithmetic over step aggregates, and the per-key job the windows service (./emit.ts) runs for
 * such a detector.
 *
 * Records are folded exactly as for a tumbling window of E (compileDetector uses the step: no per-record cost, the
 * same state), and each step gets its own window item, which late records merge into as for any window. At a step's
 * emission the key's hopping window is the merge of the k = W / E steps s − (k−1)·E … s (counts and sums add,
 * extremes keep, count_distinct sketches unite, ratios and averages come from the merged parts), so its aggregates are
 * exact, not an approximation; the forest scores and learns that window once, in step order (the model's lastWindow
 * makes a step fresh once, as for tumbling windows). The k − 1 steps before an emission's first fresh one come from
 * the key's cached model (`hopSteps`, the `keep` of its last emission) or, when the forest was rebuilt or the job
 * merged late records first, from the step items already stored (WindowStore.stepsSince): the same window items
 * the checkpoint rebuild replays, so there is no second store. The step item keeps the step's count, partials and
 * sketches (what late records add to) and the hopping window as scored: its aggregates, features and `hop`
 * (bounds and count) — a late merge never changes those (./merge.ts).
 */

export interface HopPlan {
  stepMs: number;
  windowMs: number;
  /** Steps per window: W / E (the loader checks that E divides W and E < W). */
  steps: number;
}

export function hopPlan(d: RcfDetector): HopPlan | undefined {
  if (d.everySeconds === undefined || d.everySeconds >= d.windowSeconds) return undefined;
  return { stepMs: d.everySeconds * 1000, windowMs: d.windowSeconds * 1000, steps: Math.round(d.windowSeconds / d.everySeconds) };
}

/** The detector records are folded with: a tumbling window of one step. */
export function stepDetector(d: RcfDetector): RcfDetector {
  if (d.everySeconds === undefined) return d;
  const { everySeconds, ...rest } = d;
  return { ...rest, windowSeconds: everySeconds };
}

/** What a step keeps for the windows after it, as its window item holds it (JSON-safe: finite numbers, strings). */
export interface StepAggregate {
  startMs: number;
  count: number;
  partials: PartialsMap;
  sketches?: Record<string, string>;
}

export const toStep = (w: Pick<WindowAggregate, 'startMs' | 'count' | 'partials' | 'sketches'>): StepAggregate => ({
  startMs: w.startMs,
  count: w.count,
  partials: w.partials,
  ...(w.sketches ? { sketches: w.sketches } : {}),
});

/** Adds b into a (new objects; neither input changes). */
export function mergeSteps(a: StepAggregate, b: StepAggregate): StepAggregate {
  const partials: PartialsMap = { ...a.partials };
  for (const [f, p] of Object.entries(b.partials)) {
    const o = partials[f];
    partials[f] = o ? { sum: o.sum + p.sum, min: Math.min(o.min, p.min), max: Math.max(o.max, p.max) } : p;
  }
  const sketches = mergeSketches(a.sketches, b.sketches);
  return { startMs: a.startMs, count: a.count + b.count, partials, ...(sketches ? { sketches } : {}) };
}

/**
 * The hopping window of `d` ending with the step that starts at `lastStepMs`: the merge of the given steps that
 * fall within it (others are ignored; a missing step had no records). Its startMs/endMs are the hopping window's.
 */
export function hopWindow(
  d: RcfDetector,
  key: string,
  lastStepMs: number,
  steps: readonly StepAggregate[],
  silent = false,
): WindowAggregate {
  const plan = hopPlan(d)!;
  const startMs = lastStepMs - (plan.steps - 1) * plan.stepMs;
  let acc: StepAggregate = { startMs, count: 0, partials: {} };
  for (const s of steps) if (s.startMs >= startMs && s.startMs <= lastStepMs) acc = mergeSteps(acc, s);
  // finishAggregate stamps endMs from windowSeconds (W): start + W is the end of the last step.
  return finishAggregate(d, key, startMs, acc.count, acc.partials, silent, acc.sketches);
}

export interface HopResult {
  /** One hopping window per fresh step, oldest first, to be scored in that order. */
  windows: WindowAggregate[];
  /** The steps the next emission needs (the last k, up to the newest step seen), oldest first. */
  keep: StepAggregate[];
}

/**
 * Turns one key's fresh step aggregates (what planEmission made for the step detector, oldest first, silent zero
 * steps included) into the hopping windows to score, using `history` (earlier steps, e.g. the `keep` of the previous
 * emission). A step present in both is merged (an early-terminated Lambda window emits a step in parts).
 */
export function hopWindows(d: RcfDetector, key: string, fresh: readonly WindowAggregate[], history: readonly StepAggregate[]): HopResult {
  const plan = hopPlan(d)!;
  const byStart = new Map<number, StepAggregate>();
  for (const s of history) byStart.set(s.startMs, byStart.has(s.startMs) ? mergeSteps(byStart.get(s.startMs)!, s) : s);
  const ordered = [...fresh].sort((a, b) => a.startMs - b.startMs);
  for (const w of ordered) {
    const s = toStep(w);
    const had = byStart.get(s.startMs);
    byStart.set(s.startMs, had ? mergeSteps(had, s) : s);
  }
  const all = [...byStart.values()].sort((a, b) => a.startMs - b.startMs);
  const windows = ordered.map((w) => hopWindow(d, key, w.startMs, all, w.silent));
  const newest = all.length ? all[all.length - 1]!.startMs : Number.NEGATIVE_INFINITY;
  // k steps, not k − 1: the newest may come again (a Lambda window that ended early emits a step in parts), and
  // its window needs the k − 1 before it.
  const keep = all.filter((s) => s.startMs >= newest - (plan.steps - 1) * plan.stepMs);
  return { windows, keep };
}

/** The hopping window a step's item scored: its bounds and count (its aggregates and features are the item's). */
export interface HopSpan {
  startMs: number;
  endMs: number;
  count: number;
}

/** A fresh step as the service scores and writes it: the step's own count, partials and sketches, the hopping window's values. */
export interface HopStepWindow extends WindowAggregate {
  hop: HopSpan;
}

/** A planned window of a hopping detector as the step it is: bounds [start, start + E), the step's aggregates. */
export function asStep(d: RcfDetector, w: WindowAggregate): WindowAggregate {
  const stepMs = hopPlan(d)!.stepMs;
  return w.endMs === w.startMs + stepMs ? w : { ...w, endMs: w.startMs + stepMs };
}

export interface HopJobInput {
  detector: RcfDetector;
  key: string;
  /** The key's planned windows (steps), oldest first. */
  list: readonly WindowAggregate[];
  /** The key's forest, brought up to date (warm, or rebuilt from its save and the items since). */
  model: LiveModel;
  /** Merges one late step into its item, counted as the service counts late windows. */
  mergeLate: (step: WindowAggregate) => Promise<void>;
  /** The key's stored steps after `afterMs` (WindowStore.stepsSince); absent: a store that keeps none (learn). */
  stepsSince?: (afterMs: number) => Promise<StepAggregate[]>;
}

/**
 * One key's job for a hopping detector, before scoring: merges its late steps (steps at or before the model's
 * lastWindow; never rescored), then turns the fresh steps into what is scored, in order: each step carrying its
 * hopping window's aggregates and features. Leaves in `model.hopSteps` the steps the next emission needs.
 *
 * The history is read from the step items when the model has none (a rebuilt forest) and after late merges: a late
 * step changes an item the history holds, and reading the items after merging counts a redelivered emission's late
 * records once whether or not its first attempt had merged them (mergeLate skips its own emission). Only steps the
 * forest already learned (≤ lastWindow) are history: items a failed attempt of this emission wrote are fresh again.
 */
export async function prepareHopJob(input: HopJobInput): Promise<HopStepWindow[]> {
  const { detector: d, key, model } = input;
  const plan = hopPlan(d)!;
  const last = model.lastWindowMs;
  const steps = input.list.map((w) => asStep(d, w));
  const late = steps.filter((s) => last !== undefined && s.startMs <= last && s.count > 0);
  const fresh = steps.filter((s) => last === undefined || s.startMs > last);
  await Promise.all(late.map((s) => input.mergeLate(s)));
  if (!fresh.length) {
    if (late.length) model.hopSteps = undefined;
    return [];
  }
  if (model.hopSteps === undefined || late.length) {
    const since = last === undefined || !input.stepsSince ? [] : await input.stepsSince(fresh[0]!.startMs - plan.steps * plan.stepMs);
    model.hopSteps = since.filter((s) => s.startMs <= last!);
  }
  const { windows, keep } = hopWindows(d, key, fresh, model.hopSteps);
  model.hopSteps = keep;
  return fresh.map((step, i) => {
    const h = windows[i]!;
    const { features: _stepFeatures, ...own } = step;
    return {
      ...own,
      aggregates: h.aggregates,
      ...(h.features ? { features: h.features } : {}),
      hop: { startMs: h.startMs, endMs: h.endMs, count: h.count },
    };
  });
}
