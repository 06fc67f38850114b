import type { RcfDetector } from '../detectors/schema';
import { mergeSketches, type PartialsMap } from './features';
import { finishAggregate, type WindowAggregate } from './plan';

/**
 * Hopping windows (`windowSeconds` W with `everySeconds` E: every E, the last W — what KDA applications did with
 * sliding windows), as pure arithmetic over step aggregates. Not wired into the windows function yet (see the
 * integrator notes in docs/detectors.md); support.ts still refuses everySeconds.
 *
 * Records are folded exactly as for a tumbling window of E (the step detector: no per-record cost, the same state).
 * The window scored at step s covers the k = W / E steps s − (k−1)·E … s: it is the merge of those steps' partials
 * (counts and sums add, extremes keep, sketches unite), so its aggregates are exact, not an approximation. Scoring
 * one needs the steps before the ones an emission holds: `hopWindows` takes them as `history` and says which
 * steps to keep for the next emission. A late step (records for a step already scored) belongs to k hopping windows;
 * `lateHopWindows` re-labels its partials for each, so the existing late merge (shared/windows/merge.ts) adds them to
 * each stored window exactly.
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

/** What a step keeps for the windows after it: compact, JSON-safe (an item attribute or a model item field). */
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

/** Start times of the k hopping windows that contain the step starting at `stepStartMs`, oldest first. */
export function hopWindowsContaining(d: RcfDetector, stepStartMs: number): number[] {
  const plan = hopPlan(d)!;
  return Array.from({ length: plan.steps }, (_, i) => stepStartMs - (plan.steps - 1 - i) * plan.stepMs);
}

/**
 * Late records of one step, as the late windows to merge into each hopping window containing it: the same partials,
 * count and sketches under each window's start and end (mergeLateWindow adds them exactly; none is rescored).
 */
export function lateHopWindows(d: RcfDetector, key: string, lateStep: WindowAggregate): WindowAggregate[] {
  return hopWindowsContaining(d, lateStep.startMs).map((startMs) =>
    finishAggregate(d, key, startMs, lateStep.count, lateStep.partials, false, lateStep.sketches),
  );
}

/** Steps as one compact JSON-safe value (±Infinity extremes of an empty field are not written; they never occur in a step with records). */
export const encodeSteps = (steps: readonly StepAggregate[]): string =>
  JSON.stringify(steps.map((s) => [s.startMs, s.count, s.partials, ...(s.sketches ? [s.sketches] : [])]));

export function decodeSteps(text: string | undefined): StepAggregate[] {
  if (!text) return [];
  const raw = JSON.parse(text) as Array<[number, number, PartialsMap, Record<string, string>?]>;
  return raw.map(([startMs, count, partials, sketches]) => ({ startMs, count, partials, ...(sketches ? { sketches } : {}) }));
}
