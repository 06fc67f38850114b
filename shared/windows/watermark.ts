import { StreamSentinelError } from '../errors';
import { mergeSerialized } from '../sketches/hll';
import { parseEntryKey, type CompiledDetector, type WindowsState } from './aggregate';

/**
 * Event-time windows held until complete (issue 14; docs/data-model.md "Carry items", docs/detectors.md "Lateness").
 *
 * Lambda's tumbling window is by arrival time; an event-time detector's window is by the records' own time, so at a
 * Lambda window's final invoke the newest event windows are still missing the records that arrive after it. This
 * module decides which windows are complete and carries the others, as partials in the state's own entry format,
 * to the next final invoke through a per-shard carry item (a port: shared/store/carry.ts is the DynamoDB adapter).
 *
 * The watermark is in arrival time: the Lambda window's end minus the detector's `lateness`. At a final invoke Lambda
 * has delivered every record that arrived before the window's end, so an event window whose end is at or before the
 * watermark has every record that arrived within `lateness` of its end. Arrival time (Kinesis' clock), not the
 * greatest event time seen, because one producer with a fast clock would move an event-time watermark for every
 * other producer on the shard, and a quiet shard would never move it. Records later than that are merged as late,
 * as before. Arrival-time detectors (no `time`) are complete at their Lambda window's end and pass through untouched.
 *
 * Idempotent under a redelivered final invoke: the carry is written after the emitted windows, tagged with the
 * emission id. A redelivery that finds its own id knows that detector's ready windows and its carry are written,
 * and leaves the detector's entries out; a redelivery that does not re-reads the same carry and recomputes the same
 * split. The carry is written conditionally on the emission id it was read with, so two writers never both win.
 */

/** Seconds an event-time detector waits past its window's end (in arrival time) before scoring it. */
export const DEFAULT_LATENESS_SECONDS = 5;

/**
 * Bytes of a carry item's partials (DynamoDB's item limit is 400 KB). Past it, the oldest carried windows are emitted
 * before the watermark (scored on what they have, as without a watermark) and counted as `forced`.
 */
export const CARRY_MAX_BYTES = 300_000;

/** One detector's open windows on one shard: entries keyed and shaped as in the state (aggregate.ts). */
export interface CarriedWindows {
  w: Record<string, number[]>;
  s?: Record<string, string[]>;
}

export interface Carry extends CarriedWindows {
  /** The emission that wrote it. */
  emission: string;
}

/** Carry items (docs/data-model.md), one per event-time detector and shard. */
export interface CarryStore {
  get(detector: string, shardId: string): Promise<Carry | undefined>;
  /** Writes conditionally: the item's emission is still `expected` (undefined: there is no item); else CarryConflictError. */
  put(detector: string, shardId: string, carry: Carry, expected: string | undefined): Promise<void>;
}

/** Another invocation wrote the carry since it was read; the invoke fails and Lambda retries it. */
export class CarryConflictError extends StreamSentinelError {
  override readonly name = 'CarryConflictError';
  constructor(
    readonly detector: string,
    readonly shardId: string,
    options?: { cause?: unknown },
  ) {
    super(`carry ${detector}/${shardId} was written by another invocation since it was read; the batch will be retried`, options);
  }
}

export const latenessMs = (c: CompiledDetector): number => (c.detector.lateness ?? DEFAULT_LATENESS_SECONDS) * 1000;

/** Event windows ending at or before this (ms) are complete at the final invoke of the Lambda window ending at `lambdaWindowEndMs`. */
export const watermarkMs = (lambdaWindowEndMs: number, lateness: number): number => lambdaWindowEndMs - lateness;

/** Detectors whose windows wait for the watermark: those with an event-time field. */
export const holdsWindows = (c: CompiledDetector): boolean => c.detector.time !== undefined;

export const isEmptyCarry = (c: CarriedWindows | undefined): boolean => !c || Object.keys(c.w).length === 0;

/** The bytes a carry's partials take in its item (the JSON the adapter stores). */
export const carryBytes = (c: CarriedWindows): number => Buffer.byteLength(JSON.stringify(c.s ? { w: c.w, s: c.s } : { w: c.w }), 'utf8');

export interface SplitInput {
  state: WindowsState;
  compiled: readonly CompiledDetector[];
  lambdaWindowEndMs: number;
  /** Per event-time detector: what the carry item held (absent: nothing). */
  carried: ReadonlyMap<string, CarriedWindows>;
  /** Event-time detectors this emission already carried (a redelivery): their entries are left out. */
  done?: ReadonlySet<string>;
  maxBytes?: number;
}

export interface Split {
  /** What to emit now: arrival-time detectors' entries as they were, event-time windows past the watermark with their carried partials. */
  ready: WindowsState;
  /** Per event-time detector not done: what to carry (possibly nothing). */
  carry: Map<string, CarriedWindows>;
  /** Windows carried to the next final invoke. */
  held: number;
  /** Windows emitted before their watermark to keep a carry under its byte cap. */
  forced: number;
}

/** Partials add: count and sums add, extremes keep the extreme (a null from JSON's ±Infinity is no value). */
export function mergePartials(a: readonly (number | null)[], b: readonly (number | null)[]): Array<number | null> {
  const out: Array<number | null> = new Array<number | null>(Math.max(a.length, b.length));
  const extreme = (x: number | null | undefined, y: number | null | undefined, pick: (p: number, q: number) => number) =>
    typeof x !== 'number' ? (y ?? null) : typeof y !== 'number' ? x : pick(x, y);
  out[0] = (a[0] ?? 0) + (b[0] ?? 0);
  for (let o = 1; o < out.length; o += 3) {
    out[o] = (a[o] ?? 0) + (b[o] ?? 0);
    out[o + 1] = extreme(a[o + 1], b[o + 1], Math.min);
    out[o + 2] = extreme(a[o + 2], b[o + 2], Math.max);
  }
  return out;
}

const mergeSketchList = (a: readonly string[] | undefined, b: readonly string[] | undefined): string[] | undefined => {
  if (!a) return b ? [...b] : undefined;
  if (!b) return [...a];
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => mergeSerialized(a[i], b[i]) ?? '');
};

/**
 * Splits a final invoke's state (plus what the carry items held) into the windows to emit now and, per event-time
 * detector, the windows to carry. Pure; the state is not changed.
 */
export function splitByWatermark(input: SplitInput): Split {
  const { state, compiled, lambdaWindowEndMs, carried } = input;
  const done = input.done ?? new Set<string>();
  const maxBytes = input.maxBytes ?? CARRY_MAX_BYTES;
  const byName = new Map(compiled.map((c) => [c.detector.name, c]));
  const ready: WindowsState = { ...state, w: {} };
  delete ready.s;
  const put = (target: { w: Record<string, number[]>; s?: Record<string, string[]> }, entry: string, p: number[], s?: string[]) => {
    target.w[entry] = p;
    if (s) (target.s ??= {})[entry] = s;
  };
  // Per held detector, everything known of its windows: the carry, then this Lambda window's records merged in.
  const open = new Map<string, CarriedWindows>();
  for (const c of compiled) {
    if (!holdsWindows(c) || done.has(c.detector.name)) continue;
    const prior = carried.get(c.detector.name);
    open.set(c.detector.name, { w: { ...(prior?.w ?? {}) }, ...(prior?.s ? { s: { ...prior.s } } : {}) });
  }
  for (const [entry, p] of Object.entries(state.w)) {
    const name = parseEntryKey(entry).detector;
    const c = byName.get(name);
    const s = state.s?.[entry];
    if (c && holdsWindows(c)) {
      const target = open.get(name);
      if (!target) continue; // done: this emission carried (and emitted) it before it failed
      const had = target.w[entry];
      const sketches = mergeSketchList(target.s?.[entry], s);
      put(target, entry, had ? (mergePartials(had, p) as number[]) : p, sketches);
    } else put(ready, entry, p, s);
  }
  const carry = new Map<string, CarriedWindows>();
  let held = 0;
  let forced = 0;
  for (const [name, windows] of open) {
    const c = byName.get(name)!;
    const mark = watermarkMs(lambdaWindowEndMs, latenessMs(c));
    const keep: CarriedWindows = { w: {} };
    const kept: Array<{ entry: string; startMs: number }> = [];
    for (const [entry, p] of Object.entries(windows.w)) {
      const { startMs } = parseEntryKey(entry);
      if (startMs + c.windowMs <= mark) put(ready, entry, p, windows.s?.[entry]);
      else {
        put(keep, entry, p, windows.s?.[entry]);
        kept.push({ entry, startMs });
      }
    }
    if (kept.length && carryBytes(keep) > maxBytes) {
      // Oldest first: they are the nearest to complete.
      kept.sort((a, b) => a.startMs - b.startMs);
      // Each pass moves out entries worth the excess by their own JSON size, then measures again.
      let next = 0;
      for (let excess = carryBytes(keep) - maxBytes; excess > 0 && next < kept.length; excess = carryBytes(keep) - maxBytes) {
        while (excess > 0 && next < kept.length) {
          const { entry } = kept[next++]!;
          excess -= JSON.stringify(entry).length + JSON.stringify(keep.w[entry]).length + JSON.stringify(keep.s?.[entry] ?? '').length;
          put(ready, entry, keep.w[entry]!, keep.s?.[entry]);
          delete keep.w[entry];
          if (keep.s) delete keep.s[entry];
          forced++;
        }
      }
    }
    if (keep.s && Object.keys(keep.s).length === 0) delete keep.s;
    held += Object.keys(keep.w).length;
    carry.set(name, keep);
  }
  return { ready, carry, held, forced };
}

export interface WatermarkEmitInput<T> {
  state: WindowsState;
  compiled: readonly CompiledDetector[];
  shardId: string;
  lambdaWindow: { startMs: number; endMs: number };
  emissionId: string;
  carries: CarryStore;
  /** Emits a state (emitWindows and whatever wraps it); the carries are written only after it succeeds. */
  emit: (ready: WindowsState) => Promise<T>;
  maxBytes?: number;
}

export interface WatermarkEmitResult<T> {
  result: T;
  held: number;
  forced: number;
  /** Event-time detectors whose carry this emission had already written (a redelivery). */
  redelivered: number;
}

/**
 * A final invoke with event-time windows held to their watermark: read each event-time detector's carry, emit the
 * complete windows (with the arrival-time detectors' as they are), then write the carries. A carry is written only
 * when it holds something or held something before (one write per detector and shard per Lambda window at most).
 */
export async function emitWithWatermark<T>(input: WatermarkEmitInput<T>): Promise<WatermarkEmitResult<T>> {
  const { compiled, shardId, emissionId, carries } = input;
  const heldDetectors = compiled.filter(holdsWindows).map((c) => c.detector.name);
  if (!heldDetectors.length) return { result: await input.emit(input.state), held: 0, forced: 0, redelivered: 0 };
  const read = new Map<string, Carry | undefined>();
  await Promise.all(heldDetectors.map(async (name) => read.set(name, await carries.get(name, shardId))));
  const done = new Set(heldDetectors.filter((name) => read.get(name)?.emission === emissionId));
  const carried = new Map<string, CarriedWindows>();
  for (const [name, c] of read) if (c && !done.has(name)) carried.set(name, c);
  const split = splitByWatermark({
    state: input.state,
    compiled,
    lambdaWindowEndMs: input.lambdaWindow.endMs,
    carried,
    done,
    ...(input.maxBytes !== undefined ? { maxBytes: input.maxBytes } : {}),
  });
  const result = await input.emit(split.ready);
  // After the windows: a redelivery that finds its own emission id here knows they are written.
  await Promise.all(
    [...split.carry].map(async ([name, keep]) => {
      const before = read.get(name);
      if (isEmptyCarry(keep) && isEmptyCarry(before)) return;
      await carries.put(name, shardId, { ...keep, emission: emissionId }, before?.emission);
    }),
  );
  return { result, held: split.held, forced: split.forced, redelivered: done.size };
}
