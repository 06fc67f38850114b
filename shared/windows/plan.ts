import type { RcfDetector } from '../detectors/schema';
import { parseEntryKey, type CompiledDetector, type WindowsState } from './aggregate';
import { computeAggregates, sketchRecord } from './features';
import { boundRegistryBytes } from './registry';

/** One (detector, key, window) ready to be written and scored. */
export interface WindowAggregate {
  detector: RcfDetector;
  key: string;
  startMs: number;
  endMs: number;
  count: number;
  /** Per numeric field: sum, min, max (kept so late records can be merged exactly). */
  partials: Record<string, { sum: number; min: number; max: number }>;
  /** Aggregate name → value; avg/min/max are absent for an empty (silent) window. */
  aggregates: Record<string, number>;
  /** count_distinct aggregate name → serialised sketch (shared/sketches/hll.ts), kept so late records can be merged. */
  sketches?: Record<string, string>;
  /** The forest's input (the detector's features in order), or undefined when one is not a finite number. */
  features?: number[];
  /** A zero-count window made for a key that went quiet. */
  silent: boolean;
}

export function toAggregate(
  c: CompiledDetector,
  key: string,
  startMs: number,
  p: readonly (number | null)[] | undefined,
  silent = false,
  sketches?: readonly string[],
): WindowAggregate {
  const d = c.detector;
  const count = p ? Number(p[0]) : 0;
  const partials: WindowAggregate['partials'] = {};
  c.fields.forEach((f, i) => {
    if (!p || count === 0) return;
    // JSON carries ±Infinity as null; a sum that overflowed is not a usable number either way.
    const num = (x: number | null | undefined) => (typeof x === 'number' ? x : Number.NaN);
    partials[f] = { sum: num(p[1 + 3 * i]), min: num(p[2 + 3 * i]), max: num(p[3 + 3 * i]) };
  });
  return finishAggregate(d, key, startMs, count, partials, silent, sketchRecord(d, sketches));
}

/** Aggregates and features from count and partials (also used when merging late records into a stored window). */
export function finishAggregate(
  d: RcfDetector,
  key: string,
  startMs: number,
  count: number,
  partials: WindowAggregate['partials'],
  silent = false,
  sketches?: Record<string, string>,
): WindowAggregate {
  const aggregates = computeAggregates(d, count, partials, sketches);
  const extra = sketches ? { sketches } : {};
  const features: number[] = [];
  for (const f of d.features) {
    const v = aggregates[f];
    if (v === undefined || !Number.isFinite(v) || Math.abs(v) > 3.4e38)
      return { detector: d, key, startMs, endMs: startMs + d.windowSeconds * 1000, count, partials, aggregates, ...extra, silent };
    features.push(v);
  }
  return { detector: d, key, startMs, endMs: startMs + d.windowSeconds * 1000, count, partials, aggregates, ...extra, features, silent };
}

/** Keys recently seen by a detector on a shard: key → start (ms) of the newest window that had records. */
export type KeyRegistry = Map<string, number>;

export interface PlanInput {
  state: WindowsState;
  compiled: readonly CompiledDetector[];
  /** Lambda's tumbling window (arrival time) this state belongs to. */
  lambdaWindow: { startMs: number; endMs: number };
  /** Registries of the detectors with silentKeys, by detector name. */
  registries: ReadonlyMap<string, KeyRegistry>;
}

export interface Plan {
  /** Per detector name, per key: windows oldest first. */
  byKey: Map<string, Map<string, WindowAggregate[]>>;
  /** Updated registries (to be saved) for detectors with silentKeys. */
  registries: Map<string, KeyRegistry>;
}

/**
 * Turns the state into the windows to emit, oldest first per key, adding zero-count windows for keys
 * that were seen within `silentKeys.windows` windows but have no records in a window this emission covers.
 * The windows an emission covers are those its state holds for the detector, plus (for arrival-time detectors)
 * those inside Lambda's window, so a quiet key is noticed even when it is the only thing that changed.
 */
export function planEmission({ state, compiled, lambdaWindow, registries }: PlanInput): Plan {
  const byName = new Map(compiled.map((c) => [c.detector.name, c]));
  const byKey = new Map<string, Map<string, WindowAggregate[]>>();
  const starts = new Map<string, Set<number>>();
  for (const entry of Object.keys(state.w)) {
    const { detector, startMs, key } = parseEntryKey(entry);
    const c = byName.get(detector);
    // A detector removed from detectors.yml while its window was open: its partials have nowhere to go.
    if (!c) continue;
    let keys = byKey.get(detector);
    if (!keys) byKey.set(detector, (keys = new Map()));
    let list = keys.get(key);
    if (!list) keys.set(key, (list = []));
    list.push(toAggregate(c, key, startMs, state.w[entry], false, state.s?.[entry]));
    let s = starts.get(detector);
    if (!s) starts.set(detector, (s = new Set()));
    s.add(startMs);
  }
  const newRegistries = new Map<string, KeyRegistry>();
  for (const c of compiled) {
    const d = c.detector;
    if (!d.silentKeys) continue;
    const registry = new Map(registries.get(d.name) ?? []);
    const covered = new Set(starts.get(d.name) ?? []);
    if (!d.time) {
      for (let t = Math.floor(lambdaWindow.startMs / c.windowMs) * c.windowMs; t < lambdaWindow.endMs; t += c.windowMs) covered.add(t);
    }
    const sorted = [...covered].sort((a, b) => a - b);
    const horizon = d.silentKeys.windows * c.windowMs;
    let keys = byKey.get(d.name);
    if (!keys) byKey.set(d.name, (keys = new Map()));
    const allKeys = new Set([...registry.keys(), ...keys.keys()]);
    for (const key of allKeys) {
      const real = keys.get(key) ?? [];
      const realStarts = new Set(real.map((w) => w.startMs));
      let lastSeen = registry.get(key);
      const zeros: WindowAggregate[] = [];
      for (const t of sorted) {
        if (realStarts.has(t)) {
          lastSeen = Math.max(lastSeen ?? t, t);
          continue;
        }
        if (lastSeen !== undefined && t > lastSeen && t - lastSeen <= horizon) zeros.push(toAggregate(c, key, t, undefined, true));
      }
      if (zeros.length) {
        const merged = [...real, ...zeros];
        keys.set(key, merged);
      }
      const newest = real.reduce((m, w) => Math.max(m, w.startMs), registry.get(key) ?? Number.NEGATIVE_INFINITY);
      if (Number.isFinite(newest)) registry.set(key, newest);
    }
    // Forget keys silent for longer than the horizon, and the oldest beyond maxKeys or the item's byte budget.
    const newestCovered = sorted.length ? sorted[sorted.length - 1]! : Number.NEGATIVE_INFINITY;
    for (const [key, seen] of registry) if (newestCovered - seen > horizon) registry.delete(key);
    if (registry.size > d.maxKeys) {
      const keep = [...registry].sort((a, b) => b[1] - a[1]).slice(0, d.maxKeys);
      registry.clear();
      for (const [k, v] of keep) registry.set(k, v);
    }
    boundRegistryBytes(registry);
    newRegistries.set(d.name, registry);
  }
  for (const keys of byKey.values()) for (const list of keys.values()) list.sort((a, b) => a.startMs - b.startMs);
  return { byKey, registries: newRegistries };
}
