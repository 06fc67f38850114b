import { MAX_KEPT_DATA_CHARS, MAX_REASON_CHARS } from './limits';
import { preview } from './text';

/**
 * What a stream function reads (InputRecord) and what it keeps of a record it cannot use (Reject), and the one
 * reject builder: a Kinesis record gives at most ONE reject however many objects it splits into and however
 * many detectors refuse them (the first problem's reason, plus how many more), holding at most
 * MAX_KEPT_DATA_CHARS of its data. So the rejects of a batch are bounded by its records, not by what they hold.
 */

export interface InputRecord {
  /** base64, as in the Lambda event. */
  data: string;
  sequenceNumber: string;
  partitionKey?: string;
  arrivalMs: number;
}

export interface Reject {
  sequenceNumber: string;
  partitionKey?: string;
  arrival: string;
  /** The detector the record failed for; absent when no detector took it (or several refused it). */
  detector?: string;
  /** Position of the (first failing) object within the record (concatenated JSON). */
  index: number;
  reason: string;
  /** The record's data as text (what failed), at most MAX_KEPT_DATA_CHARS characters. */
  data: string;
}

/** One problem with one record. */
export interface Problem {
  index: number;
  reason: string;
  detector?: string;
}

/** Data cut to what a reject keeps (never splitting a surrogate pair). */
export function keptData(text: string): string {
  if (text.length <= MAX_KEPT_DATA_CHARS) return text;
  let end = MAX_KEPT_DATA_CHARS;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return text.slice(0, end);
}

const arrivalIso = (ms: number) => (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));

/**
 * A record's reject from its first problem (`more`: how many other problems the record had; `detector`: the
 * detector to name, null for none, the first problem's when omitted).
 */
export function buildReject(record: InputRecord, text: string, first: Problem, more = 0, named?: string | null): Reject {
  const detector = named === undefined ? first.detector : (named ?? undefined);
  const reason =
    more > 0
      ? `${preview(first.reason, MAX_REASON_CHARS - 60)} (and ${more} more problem${more === 1 ? '' : 's'} in this record)`
      : preview(first.reason, MAX_REASON_CHARS);
  return {
    sequenceNumber: record.sequenceNumber,
    ...(record.partitionKey !== undefined ? { partitionKey: record.partitionKey } : {}),
    arrival: arrivalIso(record.arrivalMs),
    ...(detector !== undefined ? { detector } : {}),
    index: first.index,
    reason,
    data: keptData(text),
  };
}

interface Pending {
  record: InputRecord;
  text: string;
  first: Problem;
  more: number;
  /** The detector all problems share; null once two differ. */
  detector: string | undefined | null;
}

/**
 * Collects problems per record and gives one reject per record. Later stages (an aggregator that finds a sum
 * would overflow) add to the same record's reject through `add`, so the one-reject rule holds end to end.
 */
export class RecordRejects {
  private readonly pending = new Map<InputRecord, Pending>();

  add(record: InputRecord, text: string, problem: Problem): void {
    const p = this.pending.get(record);
    if (!p) {
      this.pending.set(record, { record, text, first: problem, more: 0, detector: problem.detector });
      return;
    }
    p.more++;
    // The reason kept is that of the first object in the record that failed, whatever found it first.
    if (problem.index < p.first.index) p.first = problem;
    if (p.detector !== problem.detector) p.detector = null;
  }

  has(record: InputRecord): boolean {
    return this.pending.has(record);
  }

  get size(): number {
    return this.pending.size;
  }

  /** One reject per record with a problem, in the order the records first had one. */
  list(): Reject[] {
    const out: Reject[] = [];
    for (const p of this.pending.values()) out.push(buildReject(p.record, p.text, p.first, p.more, p.detector ?? null));
    return out;
  }
}
