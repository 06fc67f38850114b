import { seededRandom, type Random } from './random';

/**
 * Producer realism (pure, seeded): what a field producer does to records between the moment something happens and
 * the moment Kinesis stamps its arrival — the clock that writes the event time is off (`clockSkew`), records are
 * held and put together every `flushMs` (a KPL-style producer's RecordMaxBufferedTime), and each put takes a random
 * `latency` to land. Used by `produce` (real time) and local mode (compressed time), and by the watermark bench, so
 * anyone can see what their producers do to event-time windows (issue 14).
 *
 * A "producer" is a record's partition key (a toll station, a wind farm, a URL's page): each has its own clock skew
 * and its own flush phase, drawn from the seed and the key, so a producer's conditions do not depend on which other
 * producers there are or in which order they first appear.
 */

/** Arrival delay after a record is sent. */
export type LatencySpec =
  /** Uniform in [minMs, maxMs]. */
  | { kind: 'uniform'; minMs: number; maxMs: number }
  /** Exponential with this mean (an unbounded tail: a few records come very late). */
  | { kind: 'exponential'; meanMs: number };

/** The offset of the producers' clocks: the event time they write is true time + skew; arrival is not shifted. */
export type ClockSkewSpec =
  /** Every producer's clock off by the same amount. */
  | { kind: 'fixed'; ms: number }
  /** Each producer's clock off by its own amount, uniform in [−ms, +ms]. */
  | { kind: 'spread'; ms: number }
  /** An explicit skew per producer, in the order the caller lists them (benches, tests); others get 0. */
  | { kind: 'byProducer'; ms: Readonly<Record<string, number>> };

export interface ProducerConditions {
  latency?: LatencySpec;
  /** Flush interval (ms): records are held and sent together at the producer's next flush; 0 or absent: sent at once. */
  flushMs?: number;
  clockSkew?: ClockSkewSpec;
  /** Seed of the draws (latencies, per-producer skews and flush phases). */
  seed?: number;
}

/** A record as the generator made it: its true time and the data that carries it. */
export interface TimedRecord {
  data: string;
  partitionKey: string;
  eventTime: Date;
}

/** The record as it reaches the stream: data and eventTime carry the (skewed) time written, arrivalMs when it lands. */
export type ArrivingRecord<R extends TimedRecord> = R & { arrivalMs: number };

export const hasConditions = (c: ProducerConditions | undefined): c is ProducerConditions =>
  Boolean(c && (c.latency || (c.flushMs ?? 0) > 0 || c.clockSkew));

/** The most a record can arrive after its true time, when bounded (undefined: an exponential latency). */
export function maxDelayMs(c: ProducerConditions): number | undefined {
  const latency = !c.latency ? 0 : c.latency.kind === 'uniform' ? c.latency.maxMs : undefined;
  return latency === undefined ? undefined : latency + (c.flushMs ?? 0);
}

/** One line for terminals and reports: "latency U(0 s, 3 s), flush every 5 s, clocks ±4 s per producer". */
export function describeConditions(c: ProducerConditions): string {
  const s = (ms: number) => `${+(ms / 1000).toFixed(3)} s`;
  const parts: string[] = [];
  if (c.latency?.kind === 'uniform') parts.push(`latency U(${s(c.latency.minMs)}, ${s(c.latency.maxMs)})`);
  if (c.latency?.kind === 'exponential') parts.push(`latency exponential, mean ${s(c.latency.meanMs)}`);
  if (c.flushMs) parts.push(`flush every ${s(c.flushMs)}`);
  if (c.clockSkew?.kind === 'fixed') parts.push(`producer clocks ${c.clockSkew.ms >= 0 ? '+' : '−'}${s(Math.abs(c.clockSkew.ms))}`);
  if (c.clockSkew?.kind === 'spread') parts.push(`producer clocks ±${s(c.clockSkew.ms)} (each its own)`);
  if (c.clockSkew?.kind === 'byProducer') parts.push(`producer clocks skewed per producer`);
  return parts.join(', ');
}

/** FNV-1a: a producer's own draws come from seed and key, not from when the key first appeared. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export interface Producer {
  skewMs: number;
  /** The producer's flushes happen at phase + k·flushMs. */
  phaseMs: number;
}

/** The per-producer and per-record draws of one set of conditions. */
export class ProducerModel {
  private readonly producers = new Map<string, Producer>();
  private readonly random: Random;
  private readonly seed: number;

  constructor(readonly conditions: ProducerConditions) {
    this.seed = conditions.seed ?? 1;
    this.random = seededRandom(this.seed);
    const { latency, flushMs, clockSkew } = conditions;
    if (latency?.kind === 'uniform' && !(latency.minMs >= 0 && latency.maxMs >= latency.minMs && Number.isFinite(latency.maxMs)))
      throw new RangeError(`latency must be 0 ≤ min ≤ max, got ${latency.minMs}–${latency.maxMs} ms`);
    if (latency?.kind === 'exponential' && !(latency.meanMs > 0 && Number.isFinite(latency.meanMs)))
      throw new RangeError(`an exponential latency needs a mean above 0, got ${latency.meanMs} ms`);
    if (flushMs !== undefined && !(flushMs >= 0 && Number.isFinite(flushMs)))
      throw new RangeError(`flush interval must be ≥ 0 ms, got ${flushMs}`);
    if (clockSkew && clockSkew.kind !== 'byProducer' && !Number.isFinite(clockSkew.ms))
      throw new RangeError(`clock skew must be a finite number of ms, got ${clockSkew.ms}`);
  }

  producer(key: string): Producer {
    let p = this.producers.get(key);
    if (!p) {
      const own = seededRandom(this.seed ^ hash(key));
      const skew = this.conditions.clockSkew;
      const skewMs =
        skew?.kind === 'fixed'
          ? skew.ms
          : skew?.kind === 'spread'
            ? Math.round((own.next() * 2 - 1) * skew.ms)
            : skew?.kind === 'byProducer'
              ? (skew.ms[key] ?? 0)
              : 0;
      const flush = this.conditions.flushMs ?? 0;
      p = { skewMs, phaseMs: flush ? Math.floor(own.next() * flush) : 0 };
      this.producers.set(key, p);
    }
    return p;
  }

  /** When a record made at `trueMs` by this producer is sent: at once, or at its next flush. */
  sentMs(key: string | Producer, trueMs: number): number {
    const flush = this.conditions.flushMs ?? 0;
    if (!flush) return trueMs;
    const { phaseMs } = typeof key === 'string' ? this.producer(key) : key;
    return phaseMs + Math.ceil((trueMs - phaseMs) / flush) * flush;
  }

  /** One record's arrival delay after it is sent (ms, whole). */
  latencyMs(): number {
    const l = this.conditions.latency;
    if (!l) return 0;
    if (l.kind === 'uniform') return Math.round(l.minMs + this.random.next() * (l.maxMs - l.minMs));
    return Math.round(-l.meanMs * Math.log(1 - this.random.next()));
  }
}

/**
 * Shifts a generated record's event time by its producer's skew: in `eventTime` and in the data, where the generator
 * wrote it as `eventTime.toISOString()` (every scenario does). A record whose data does not hold that text cannot be
 * skewed: an error, not a silent no-op.
 */
export function skewRecord<R extends TimedRecord>(record: R, skewMs: number): R {
  return skewMs ? { ...record, ...skewedTime(record, skewMs) } : record;
}

function skewedTime(record: TimedRecord, skewMs: number): Pick<TimedRecord, 'data' | 'eventTime'> {
  const written = record.eventTime.toISOString();
  const at = record.data.indexOf(written);
  if (at < 0)
    throw new RangeError(
      `cannot skew the clock of a record whose data does not hold its event time as ${written}: ${record.data.slice(0, 80)}`,
    );
  const eventTime = new Date(record.eventTime.getTime() + skewMs);
  return { eventTime, data: record.data.slice(0, at) + eventTime.toISOString() + record.data.slice(at + written.length) };
}

/** A binary min-heap by arrival, ties in input order (records of one flush keep their order). */
class ArrivalHeap<T extends { arrivalMs: number }> {
  private readonly items: Array<{ v: T; at: number; n: number }> = [];
  private n = 0;
  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0]?.v;
  }
  push(v: T): void {
    const items = this.items;
    const entry = { v, at: v.arrivalMs, n: this.n++ };
    let i = items.length;
    items.push(entry);
    // Sift up by moving parents down into the hole: no swaps, no allocation.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (p.at < entry.at || (p.at === entry.at && p.n < entry.n)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = entry;
  }
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (!top || !last || !items.length) return top?.v;
    const size = items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      let c = l;
      const left = items[l]!;
      if (r < size) {
        const right = items[r]!;
        if (right.at < left.at || (right.at === left.at && right.n < left.n)) c = r;
      }
      const child = items[c]!;
      if (last.at < child.at || (last.at === child.at && last.n < child.n)) break;
      items[i] = child;
      i = c;
    }
    items[i] = last;
    return top.v;
  }
}

/**
 * The records with the producers' conditions applied, in arrival order. Lazy: the input must come in true-time order
 * (as the generators make it) and a record is given out once the input's true time has passed its arrival — no later
 * record can arrive before it, since none arrives before its own true time. Memory: the records in flight
 * (rate × (flush + latency)).
 */
export function* withConditions<R extends TimedRecord>(records: Iterable<R>, conditions: ProducerConditions): Generator<ArrivingRecord<R>> {
  const model = new ProducerModel(conditions);
  const heap = new ArrivalHeap<ArrivingRecord<R>>();
  for (const record of records) {
    const trueMs = record.eventTime.getTime();
    while (heap.size && heap.peek()!.arrivalMs <= trueMs) yield heap.pop()!;
    const producer = model.producer(record.partitionKey);
    const arrivalMs = model.sentMs(producer, trueMs) + model.latencyMs();
    // One copy per record: the generator's own object is left as it was.
    heap.push(producer.skewMs ? { ...record, ...skewedTime(record, producer.skewMs), arrivalMs } : { ...record, arrivalMs });
  }
  while (heap.size) yield heap.pop()!;
}
