import { getField, keyField, numberField } from './fields';
import { DEFAULT_JSON_LIMITS, type Fields, type JsonLimits } from './json';
import { RecordRejects, type InputRecord } from './reject';
import { routeText, type Selectable } from './route';
import { decodeUtf8, lossyText } from './text';
import { DEFAULT_EVENT_TIME_BOUNDS, eventTimeProblem, parseEventTime, type EventTimeBounds, type TimeFormat } from './time';

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
  /** The group key (undefined when the plan has none). */
  key: string | undefined;
  timeMs: number;
  values: number[];
  /** The object's fields, for a fold that needs more than the numbers (conditional and distinct aggregates). */
  fields: Fields;
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

/**
 * What a stream function does with each accepted object, as it is read (nothing is held per record, so a big
 * batch makes no garbage that outlives its record). A returned reason rejects the object after all (e.g.
 * checkSum: its window's sum would pass 2^53); it is added to the record's one reject.
 */
export type Fold<D> = (accepted: Accepted<D>) => string | undefined;

/**
 * Reads a batch under the record-level contract. With `fold`, each accepted object is handed to it at once and
 * `accepted` comes back empty; without, they are collected into `accepted`.
 */
export function readRecords<D extends S, S extends Selectable>(
  records: readonly InputRecord[],
  plans: readonly FieldPlan<D>[],
  options: ReadOptions<S>,
  fold?: Fold<D>,
): { accepted: Accepted<D>[]; rejects: RecordRejects } {
  const rejects = options.rejects ?? new RecordRejects();
  const accepted: Accepted<D>[] = [];
  const take: Fold<D> =
    fold ??
    ((a) => {
      accepted.push(a);
      return undefined;
    });
  const planOf = new Map<S, FieldPlan<D>>(plans.map((p) => [p.detector, p]));
  const detectors: S[] = [...plans.map((p) => p.detector), ...(options.others ?? [])];
  const rejectUnrouted = options.rejectUnrouted ?? true;
  const time: EventTimeBounds = { ...DEFAULT_EVENT_TIME_BOUNDS, ...options.time };
  const json: JsonLimits = { ...DEFAULT_JSON_LIMITS, ...options.json };
  for (const record of records) {
    if (typeof record.data !== 'string') {
      rejects.add(record, '', { index: 0, reason: 'data is not base64 text' });
      continue;
    }
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
    let routed: ReturnType<typeof routeText<S>>;
    try {
      routed = routeText(text, detectors, options.defaultField, json);
    } catch (error) {
      // The contract's last line: a record the checks missed is a reject, never a failed invoke.
      rejects.add(record, text, { index: 0, reason: unexpected(error) });
      continue;
    }
    if (rejectUnrouted) for (const p of routed.problems) rejects.add(record, text, { index: p.index, reason: p.reason });
    for (const ev of routed.events) {
      const plan = planOf.get(ev.detector);
      if (!plan) continue; // taken by another function's detector
      let read: ReturnType<typeof readObject>;
      try {
        read = readObject(plan, ev.fields, record.arrivalMs, time);
      } catch (error) {
        read = unexpected(error);
      }
      const why =
        typeof read === 'string'
          ? read
          : take({ record, detector: plan.detector, index: ev.index, key: read.key, timeMs: read.timeMs, values: read.values, fields: ev.fields });
      if (why !== undefined) rejects.add(record, text, { index: ev.index, reason: why, detector: plan.detector.name });
    }
  }
  return { accepted, rejects };
}

const unexpected = (error: unknown) =>
  `record could not be read (${error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error'})`;

/** Key, time and numbers of one object for one detector, or the reason it cannot be used. */
function readObject<D extends Selectable>(
  plan: FieldPlan<D>,
  fields: Fields,
  arrivalMs: number,
  bounds: EventTimeBounds,
): { key: string | undefined; timeMs: number; values: number[] } | string {
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
  return { key, timeMs, values };
}
