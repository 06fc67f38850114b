import { defaultField, type Detector, type RcfDetector, type Scalar } from '../detectors/schema';
import {
  checkSum,
  getField,
  matchesRule,
  numberField,
  readRecords,
  type Accepted,
  type EventTimeBounds,
  type FieldPlan,
  type InputRecord,
  type Reject,
} from '../records';
import { DistinctSketch, distinctText } from '../sketches/hll';
import { distinctAggregates, needsObjectFields, whereSlot } from './features';

/**
 * Partial aggregates carried in Lambda's tumbling-window `state` between invokes of one window (≤ 1 MB per
 * shard), kept compact: one flat entry per (detector, window, key) holding
 * [count, sum, min, max of each numeric field the detector aggregates, then sum, 0, 0 of each conditional aggregate],
 * and, for detectors with count_distinct, one serialised sketch per such aggregate (shared/sketches/hll.ts).
 */
export interface WindowsState {
  v: 1;
  /** Identifies this state's emission (shard + first sequence number): a retried final invoke reuses it. */
  id?: string;
  /** `<detector>|<window start, epoch seconds>|<key>` → partials. */
  w: Record<string, number[]>;
  /** Rejects so far in this window: detector name (`*` for records no detector took) → count. */
  r?: Record<string, number>;
  /** Records seen so far in this window. */
  n?: number;
  /** count_distinct sketches: same entry keys as `w` → one serialised sketch per count_distinct aggregate, in order. */
  s?: Record<string, string[]>;
}

/** The record kernel's types (shared/records/reject.ts), re-exported for the callers of this module. */
export type { InputRecord, Reject } from '../records';

/** A detector prepared for the hot loop: which numeric fields it needs and where each lands in the partials. */
export interface CompiledDetector {
  detector: RcfDetector;
  /** The partials' slots in order: the numeric fields read, then one `|name` slot per conditional aggregate. */
  fields: string[];
  /** The numeric fields read through the record kernel (the first slots). */
  read: string[];
  windowMs: number;
  /** Only for detectors with conditional or count_distinct aggregates: their per-object work. */
  extra?: ExtraPlan;
}

/** Per-object work beyond the plain numbers, compiled once. */
export interface ExtraPlan {
  /** Conditional aggregates: the slot they add to, their rule, and the field summed (none for a count). */
  conditional: Array<{ slot: number; where: Record<string, Scalar | Scalar[]>; field?: string }>;
  /** Fields whose distinct values are counted, in the order of the detector's count_distinct aggregates. */
  distinct: string[];
}

export function compileDetector(detector: RcfDetector): CompiledDetector {
  const read: string[] = [];
  for (const a of detector.aggregates) if (a.field && !a.where && a.fn !== 'count_distinct' && !read.includes(a.field)) read.push(a.field);
  const fields = [...read];
  // A hopping detector folds records in steps (shared/windows/hopping.ts): everySeconds is its fold window.
  const compiled: CompiledDetector = { detector, fields, read, windowMs: (detector.everySeconds ?? detector.windowSeconds) * 1000 };
  if (needsObjectFields(detector)) {
    const conditional: ExtraPlan['conditional'] = [];
    for (const a of detector.aggregates) {
      if (!a.where) continue;
      conditional.push({ slot: fields.length, where: a.where, ...(a.fn === 'sum' ? { field: a.field! } : {}) });
      fields.push(whereSlot(a.name));
    }
    compiled.extra = { conditional, distinct: distinctAggregates(detector).map((a) => a.field!) };
  }
  return compiled;
}

export const emptyState = (): WindowsState => ({ v: 1, w: {} });

/** Accepts whatever Lambda hands back (an empty object on a window's first invoke). */
export function readState(raw: unknown): WindowsState {
  if (!raw || typeof raw !== 'object' || (raw as { v?: unknown }).v !== 1 || typeof (raw as { w?: unknown }).w !== 'object')
    return emptyState();
  return raw as WindowsState;
}

export const entryKey = (detector: string, startMs: number, key: string): string => `${detector}|${startMs / 1000}|${key}`;

export function parseEntryKey(entry: string): { detector: string; startMs: number; key: string } {
  const a = entry.indexOf('|');
  const b = entry.indexOf('|', a + 1);
  return { detector: entry.slice(0, a), startMs: Number(entry.slice(a + 1, b)) * 1000, key: entry.slice(b + 1) };
}

/** count 0, then per field sum 0 and the extremes at ±Infinity; slots past `fieldCount` (conditional) stay 0 0 0. */
export const newPartials = (fieldCount: number, slots = fieldCount): number[] => {
  const p = new Array<number>(1 + 3 * slots).fill(0);
  for (let i = 0; i < fieldCount; i++) {
    p[2 + 3 * i] = Number.POSITIVE_INFINITY;
    p[3 + 3 * i] = Number.NEGATIVE_INFINITY;
  }
  return p;
};

/** How the windows function reads records beyond its detectors (from shared/config). */
export interface AggregateOptions {
  /** Event-time bounds relative to arrival; absent: the kernel's defaults (records/limits.ts: 5 min ahead, any age behind). */
  time?: EventTimeBounds;
}

/**
 * Folds a batch of records into the state through the record kernel's contract (shared/records/read.ts): each
 * object a detector takes is added to the partials of `floor(t / W) · W`; a record with any object that cannot be
 * used (including one whose value would take its window's sum past 2^53) gives one reject, returned and counted
 * in `state.r`, and the rest of the batch goes on.
 */
export function aggregateRecords(
  state: WindowsState,
  records: readonly InputRecord[],
  compiled: readonly CompiledDetector[],
  /** Detectors another function serves (hotspots): records they take are routed but are not rejects here. */
  others: readonly Detector[] = [],
  options: AggregateOptions = {},
): Reject[] {
  const byDetector = new Map<RcfDetector, CompiledDetector>(compiled.map((c) => [c.detector, c]));
  const plans: FieldPlan<RcfDetector>[] = compiled.map((c) => ({
    detector: c.detector,
    key: c.detector.key,
    ...(c.detector.time ? { time: c.detector.time } : {}),
    numbers: c.read,
  }));
  const w = state.w;
  // count_distinct sketches of the entries touched by this batch, live; written back to the state once, at the end.
  const live = new Map<string, DistinctSketch[]>();
  const { rejects } = readRecords<RcfDetector, Detector>(
    records,
    plans,
    { defaultField, others, ...(options.time ? { time: options.time } : {}) },
    (a) => {
      const c = byDetector.get(a.detector)!;
      if (c.extra) return foldExtra(state, live, c, c.extra, a);
      const n = c.fields.length;
      const start = Math.floor(a.timeMs / c.windowMs) * c.windowMs;
      const k = entryKey(c.detector.name, start, a.key!);
      let p = w[k];
      // Every sum is checked before any is touched, so a refused object leaves no trace in the partials.
      if (p)
        for (let i = 0; i < n; i++) {
          const why = checkSum(c.fields[i]!, p[1 + 3 * i]!, a.values[i]!);
          if (why) return why;
        }
      if (!p) w[k] = p = newPartials(n);
      addRecord(p, a.values, n);
      return undefined;
    },
  );
  if (live.size) {
    const s = (state.s ??= {});
    for (const [k, sketches] of live) s[k] = sketches.map((x) => x.serialize());
  }
  // The state's record and reject counts are the shared tumbling-window step's (shared/lambda/tumbling-window.ts).
  return rejects.list();
}

/**
 * The fold of a detector with conditional or count_distinct aggregates (kept off the plain path): the plain
 * partials, then each conditional slot whose rule the object meets (1 for a count, the field for a sum; a sum's
 * field must then be a usable number like any aggregated field), then the distinct values (an absent or null field
 * is no value, as SQL's COUNT(DISTINCT) skips NULL). Everything is checked before anything is touched.
 */
function foldExtra(
  state: WindowsState,
  live: Map<string, DistinctSketch[]>,
  c: CompiledDetector,
  extra: ExtraPlan,
  a: Accepted<RcfDetector>,
): string | undefined {
  const fields = a.fields;
  const nRead = c.read.length;
  const start = Math.floor(a.timeMs / c.windowMs) * c.windowMs;
  const k = entryKey(c.detector.name, start, a.key!);
  const p = state.w[k];
  for (let i = 0; i < nRead; i++) {
    const why = p && checkSum(c.fields[i]!, p[1 + 3 * i]!, a.values[i]!);
    if (why) return why;
  }
  const adds = new Array<number | undefined>(extra.conditional.length);
  for (let j = 0; j < adds.length; j++) {
    const x = extra.conditional[j]!;
    if (!matchesRule(fields, x.where)) continue;
    if (x.field === undefined) {
      adds[j] = 1;
      continue;
    }
    const v = numberField(fields, x.field);
    if (!v.ok) return v.reason;
    const why = p && checkSum(x.field, p[1 + 3 * x.slot]!, v.value);
    if (why) return why;
    adds[j] = v.value;
  }
  const q = p ?? (state.w[k] = newPartials(nRead, c.fields.length));
  addRecord(q, a.values, nRead);
  for (let j = 0; j < adds.length; j++) {
    const v = adds[j];
    if (v === undefined) continue;
    const o = 1 + 3 * extra.conditional[j]!.slot;
    q[o] = q[o]! + v;
  }
  if (extra.distinct.length) {
    let sketches = live.get(k);
    if (!sketches) {
      const saved = state.s?.[k];
      sketches = extra.distinct.map((_, i) => (saved?.[i] ? DistinctSketch.parse(saved[i]!) : new DistinctSketch()));
      live.set(k, sketches);
    }
    for (let i = 0; i < extra.distinct.length; i++) {
      const text = distinctText(getField(fields, extra.distinct[i]!));
      if (text !== undefined) sketches[i]!.add(text);
    }
  }
  return undefined;
}

/** One record into a window's partials: the count, then (sum, min, max) for each of the first n values. */
function addRecord(p: number[], values: ArrayLike<number>, n: number): void {
  p[0]!++;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const o = 1 + 3 * i;
    p[o] = p[o]! + v;
    if (v < p[o + 1]!) p[o + 1] = v;
    if (v > p[o + 2]!) p[o + 2] = v;
  }
}
