import { keyField, numberField, getField } from './fields';
import type { Fields } from './json';
import { RecordRejects, type InputRecord } from './reject';
import { routeText, type Selectable } from './route';
import { decodeUtf8, lossyText } from './text';
import { DEFAULT_EVENT_TIME_BOUNDS, eventTimeProblem, parseEventTime, type EventTimeBounds, type TimeFormat } from './time';
import { DEFAULT_JSON_LIMITS, type JsonLimits } from './json';

/**
 * The record-level contract, in one place: every Kinesis record handed to `readRecords` is either accepted
 * (each object a detector takes, as a key, an event time and numbers within bounds) or rejected with a reason
 * — exactly one reject per record, however many objects or detectors failed — and nothing a record contains
 * makes it throw. The stream functions fold what is accepted; what they fold it into is theirs.
 */

/** What a stream function needs from the objects a detector takes. */
export interface FieldPlan<D extends Selectable> {
  detector: D;
  /** Field holding the group key (windows); none for hotspots. */
  key?: string;
  /** Field holding the event time; the record's arrival time when absent. */
  time?: { field: string; format?: TimeFormat };
  /** Numeric fields to read, in order (each within checkNumericField's bounds). */
  numbers: readonly string[];
  /** A detector's own check of the values (hotspots: coordinates within the scan radius); a reason refuses. */
  check?: (values: readonly number[]) => string | undefined;
}

/** One object a detector takes, read. */
export interface Accepted<D> {
  record: InputRecord;
  detector: D;
  /** Position of the object within the record. */
  index: number;
  key?: string;
  timeMs: number;
  values: number[];
}

export interface ReadOptions<S extends Selectable> {
  /** The field that routes an object to a detector without a match rule (shared/detectors defaultField). */
  defaultField: (d: S) => string;
  /** Detectors another function serves: records they take are routed, and are not this reader's rejects. */
  others?: readonly S[];
  /** Records that no detector takes (or that do not decode) are rejected; false for a function that leaves them to another (hotspots). */
  rejectUnrouted?: boolean;
  time?: Partial<EventTimeBounds>;
  json?: Partial<JsonLimits>;
  /** Add to an existing collector (one reject per record across several readers or later checks). */
  rejects?: RecordRejects;
}

export function readRecords<D extends S, S extends Selectable>(
  records: readonly InputRecord[],
  plans: readonly FieldPlan<D>[],
  options: ReadOptions<S>,
): { accepted: Accepted<D>[]; rejects: RecordRejects } {
  const rejects = options.rejects ?? new RecordRejects();
  const accepted: Accepted<D>[] = [];
  const planOf = new Map<S, FieldPlan<D>>(plans.map((p) => [p.detector, p]));
  const detectors: S[] = [...plans.map((p) => p.detector), ...(options.others ?? [])];
  const rejectUnrouted = options.rejectUnrouted ?? true;
  const time: EventTimeBounds = { ...DEFAULT_EVENT_TIME_BOUNDS, ...options.time };
  const json: JsonLimits = { ...DEFAULT_JSON_LIMITS, ...options.json };
  for (const record of records) {
    const bytes = Buffer.from(record.data, 'base64');
    const decoded = decodeUtf8(bytes);
    if (!decoded.ok) {
      if (rejectUnrouted) rejects.add(record, lossyText(bytes), { index: 0, reason: decoded.reason });
      continue;
    }
    const text = decoded.value;
    if (!Number.isFinite(record.arrivalMs)) {
      rejects.add(record, text, { index: 0, reason: `arrival time ${String(record.arrivalMs)} is not a time` });
      continue;
    }
    try {
      const { events, problems } = routeText(text, detectors, options.defaultField, json);
      if (rejectUnrouted) for (const p of problems) rejects.add(record, text, { index: p.index, reason: p.reason });
      const mine: Accepted<D>[] = [];
      for (const ev of events) {
        const plan = planOf.get(ev.detector);
        if (!plan) continue; // taken by another function's detector
        const read = readObject(plan, ev.fields, record.arrivalMs, time);
        if (typeof read === 'string') rejects.add(record, text, { index: ev.index, reason: read, detector: plan.detector.name });
        else mine.push({ record, detector: plan.detector, index: ev.index, ...read });
      }
      for (const a of mine) accepted.push(a);
    } catch (error) {
      // The contract's last line: a record the checks above missed is a reject, never a failed invoke.
      const why = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
      rejects.add(record, text, { index: 0, reason: `record could not be read (${why})` });
    }
  }
  return { accepted, rejects };
}

/** Key, time and numbers of one object for one detector, or the reason it cannot be used. */
function readObject<D extends Selectable>(
  plan: FieldPlan<D>,
  fields: Fields,
  arrivalMs: number,
  bounds: EventTimeBounds,
): { key?: string; timeMs: number; values: number[] } | string {
  let key: string | undefined;
  if (plan.key !== undefined) {
    const k = keyField(fields, plan.key);
    if (!k.ok) return k.reason;
    key = k.value;
  }
  let timeMs = arrivalMs;
  if (plan.time) {
    const t = parseEventTime(getField(fields, plan.time.field), plan.time.format);
    if (!t.ok) return `time field ${plan.time.field}: ${t.reason}`;
    const far = eventTimeProblem(t.value, arrivalMs, bounds);
    if (far) return `time field ${plan.time.field}: ${far}`;
    timeMs = t.value;
  }
  const n = plan.numbers.length;
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const v = numberField(fields, plan.numbers[i]!);
    if (!v.ok) return v.reason;
    values[i] = v.value;
  }
  if (plan.check) {
    const why = plan.check(values);
    if (why) return why;
  }
  return key !== undefined ? { key, timeMs, values } : { timeMs, values };
}
