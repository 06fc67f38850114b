import { windowEvent } from './kinesis';
import type { TumblingWindowEvent as WindowsEvent } from '../../shared/lambda/tumbling-window';

/**
 * Producers as they are in the field, for event-time tests (issue 14): each station's clock off by a fixed skew,
 * records buffered and flushed every `batchMs` (each station its own phase), each then taking U(0, latencyMs) to
 * arrive; and Lambda's tumbling windows by arrival time over them. Seeded: the same scenario on every run.
 */

export interface ProducerConditions {
  /** Upper bound of the uniform arrival latency (ms). */
  latencyMs: number;
  /** Per station clock skew (ms); stations beyond the list get 0. */
  skewsMs?: number[];
  /** Flush interval (ms); 0: each record sent at once. */
  batchMs?: number;
  stations?: number;
  seconds?: number;
  seed?: number;
  start?: number;
}

export interface ProducedRecord {
  station: string;
  eventMs: number;
  arrivalMs: number;
}

/** mulberry32. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Records sorted by arrival; the latest a record can arrive after its own timestamp is max(-skew) + batchMs + latencyMs. */
export function produceRecords(c: ProducerConditions): ProducedRecord[] {
  const random = seeded(c.seed ?? 1);
  const start = c.start ?? Date.parse('2026-03-01T12:00:00Z');
  const out: ProducedRecord[] = [];
  const batch = c.batchMs ?? 0;
  for (let s = 0; s < (c.stations ?? 6); s++) {
    const station = String.fromCharCode(65 + s);
    const skew = c.skewsMs?.[s] ?? 0;
    const phase = batch ? Math.floor(random() * batch) : 0;
    for (let t = start + random() * 800; t < start + (c.seconds ?? 120) * 1000; t += 200 + random() * 1300) {
      const sent = batch ? phase + Math.ceil((t - phase) / batch) * batch : t;
      out.push({ station, eventMs: Math.round(t + skew), arrivalMs: Math.round(sent + random() * c.latencyMs) });
    }
  }
  return out.sort((a, b) => a.arrivalMs - b.arrivalMs);
}

/** A toll-like CSV line: ISO time, station. */
export const producedLine = (p: ProducedRecord): string => `${new Date(p.eventMs).toISOString()},${p.station}`;

/** Lambda's tumbling windows by arrival, each as a partial invoke's records and the final invoke's, then `flushWindows` empty ones. */
export function lambdaWindows(
  records: ProducedRecord[],
  lambdaMs = 10_000,
  flushWindows = 4,
): Array<{ startMs: number; parts: ProducedRecord[][] }> {
  const first = Math.floor(records[0]!.arrivalMs / lambdaMs) * lambdaMs;
  const last = Math.floor(records[records.length - 1]!.arrivalMs / lambdaMs) * lambdaMs + flushWindows * lambdaMs;
  const out: Array<{ startMs: number; parts: ProducedRecord[][] }> = [];
  for (let start = first; start <= last; start += lambdaMs) {
    const inside = records.filter((r) => r.arrivalMs >= start && r.arrivalMs < start + lambdaMs);
    const half = Math.ceil(inside.length / 2);
    out.push({ startMs: start, parts: [inside.slice(0, half), inside.slice(half)] });
  }
  return out;
}

export const producedEvent = (
  shardId: string,
  startMs: number,
  part: ProducedRecord[],
  state: Record<string, unknown>,
  final: boolean,
): WindowsEvent =>
  windowEvent({
    windowStart: startMs,
    shardId,
    state,
    final,
    records: part.map((p) => ({ data: producedLine(p), partitionKey: p.station, arrivalMs: p.arrivalMs })),
  });

/** `<station>|<window start ISO>` → records by event time: every window's final count. */
export function countsByWindow(records: ProducedRecord[], windowMs = 10_000): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of records) {
    const id = `${r.station}|${new Date(Math.floor(r.eventMs / windowMs) * windowMs).toISOString()}`;
    out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}
