import { defaultField, type Detector, type RcfDetector } from '../detectors/schema';
import { checkSum, readRecords, type EventTimeBounds, type FieldPlan, type InputRecord, type Reject } from '../records';

/**
 * Partial aggregates carried in Lambda's tumbling-window `state` between invokes of one window (≤ 1 MB per
 * shard), kept compact: one flat entry per (detector, window, key) holding
 * [count, sum, min, max of each numeric field the detector aggregates].
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
}

/** The record kernel's types (shared/records/reject.ts), re-exported for the callers of this module. */
export type { InputRecord, Reject } from '../records';

/** A detector prepared for the hot loop: which numeric fields it needs and where each lands in the partials. */
export interface CompiledDetector {
  detector: RcfDetector;
  fields: string[];
  windowMs: number;
}

export function compileDetector(detector: RcfDetector): CompiledDetector {
  const fields: string[] = [];
  for (const a of detector.aggregates) if (a.field && !fields.includes(a.field)) fields.push(a.field);
  return { detector, fields, windowMs: detector.windowSeconds * 1000 };
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

export const newPartials = (fieldCount: number): number[] => {
  const p = new Array<number>(1 + 3 * fieldCount).fill(0);
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
    numbers: c.fields,
  }));
  const w = state.w;
  const { rejects } = readRecords<RcfDetector, Detector>(
    records,
    plans,
    { defaultField, others, ...(options.time ? { time: options.time } : {}) },
    (a) => {
      const c = byDetector.get(a.detector)!;
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
      p[0]!++;
      for (let i = 0; i < n; i++) {
        const v = a.values[i]!;
        const o = 1 + 3 * i;
        p[o] = p[o]! + v;
        if (v < p[o + 1]!) p[o + 1] = v;
        if (v > p[o + 2]!) p[o + 2] = v;
      }
      return undefined;
    },
  );
  // The state's record and reject counts are the shared tumbling-window step's (shared/lambda/tumbling-window.ts).
  return rejects.list();
}
