import { defaultField, type Detector, type RcfDetector } from '../detectors/schema';
import {
  decodeBase64,
  keyField,
  numberField,
  parseEventTime,
  getField,
  routeRecord,
  keptData,
  type Fields,
  type InputRecord,
  type Reject,
} from '../records';

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

/**
 * Folds a batch of records into the state: decode, route to detectors, extract key/time/fields, add to the
 * partials of `floor(t / W) · W`. A record that fails anywhere becomes a reject (returned) and the rest go on.
 */
export function aggregateRecords(
  state: WindowsState,
  records: readonly InputRecord[],
  compiled: readonly CompiledDetector[],
  /** Detectors another function serves (hotspots): records they take are routed but are not rejects here. */
  others: readonly Detector[] = [],
): Reject[] {
  const rejects: Reject[] = [];
  const byName = new Map(compiled.map((c) => [c.detector.name, c]));
  const detectors: Detector[] = [...compiled.map((c) => c.detector), ...others];
  const w = state.w;
  const reject = (rec: InputRecord, text: string, index: number, reason: string, detector?: string) => {
    rejects.push({
      sequenceNumber: rec.sequenceNumber,
      ...(rec.partitionKey !== undefined ? { partitionKey: rec.partitionKey } : {}),
      arrival: new Date(rec.arrivalMs).toISOString(),
      ...(detector ? { detector } : {}),
      index,
      reason,
      data: keptData(text),
    });
    const r = (state.r ??= {});
    const k = detector ?? '*';
    r[k] = (r[k] ?? 0) + 1;
  };
  for (const rec of records) {
    const text = decodeBase64(rec.data);
    const { events, rejects: routeRejects } = routeRecord(text, detectors, defaultField);
    for (const rr of routeRejects) reject(rec, text, rr.index, rr.reason);
    for (const ev of events) {
      const c = byName.get(ev.detector.name);
      if (!c) continue; // taken by another function's detector
      const why = addEvent(w, c, ev.fields, rec.arrivalMs);
      if (why) reject(rec, text, ev.index, why, c.detector.name);
    }
  }
  state.n = (state.n ?? 0) + records.length;
  return rejects;
}

/** Adds one object to its window's partials; returns the reason it cannot be used, if any. */
function addEvent(w: Record<string, number[]>, c: CompiledDetector, fields: Fields, arrivalMs: number): string | undefined {
  const d = c.detector;
  const key = keyField(fields, d.key);
  if (!key.ok) return key.reason;
  let t = arrivalMs;
  if (d.time) {
    const parsed = parseEventTime(getField(fields, d.time.field), d.time.format);
    if (!parsed.ok) return `time field ${d.time.field}: ${parsed.reason}`;
    t = parsed.value;
  }
  const n = c.fields.length;
  // Validate every field before touching the partials, so a bad record leaves no trace.
  let values: number[] | undefined;
  if (n) {
    values = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const v = numberField(fields, c.fields[i]!);
      if (!v.ok) return v.reason;
      values[i] = v.value;
    }
  }
  const start = Math.floor(t / c.windowMs) * c.windowMs;
  const k = entryKey(d.name, start, key.value);
  let p = w[k];
  if (!p) w[k] = p = newPartials(n);
  p[0]!++;
  for (let i = 0; i < n; i++) {
    const v = values![i]!;
    const o = 1 + 3 * i;
    p[o] = p[o]! + v;
    if (v < p[o + 1]!) p[o + 1] = v;
    if (v > p[o + 2]!) p[o + 2] = v;
  }
  return undefined;
}
