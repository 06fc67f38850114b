import { defaultField, type Detector, type HotspotsDetector } from '../detectors/schema';
import { readRecords, type EventTimeBounds, type FieldPlan, type InputRecord, type Reject } from '../records';
import { pointProblem, type Hotspot, HotspotsWindow } from './window';

/**
 * The hotspots function's side of a Lambda tumbling window, kept pure: records become points buffered in the
 * window's `state` (per detector, in arrival order, with the event-time window each belongs to); at the final invoke
 * the points are pushed, in that order, into the detector's sliding window carried over from earlier windows, and the
 * hotspots are read after the last point of each event-time window.
 */

/** Lambda's tumbling-window `state` for the hotspots function (≤ 1 MB, JSON). */
export interface HotspotsState {
  v: 1;
  /** This state's emission (shard + first sequence number): a retried final invoke carries the same id. */
  id?: string;
  /** Records seen so far in this window. */
  n?: number;
  /** Rejects so far: detector name → count. */
  r?: Record<string, number>;
  /** Detector name → its buffered points. */
  d: Record<string, PointBuffer>;
}

export interface PointBuffer {
  /** Runs of consecutive points of one event-time window: [window start (ms), points]. */
  runs: Array<[number, number]>;
  /** The points' values, flat (columns per point in the detector's order). */
  p: number[];
}

export function readHotspotsState(raw: unknown): HotspotsState {
  if (raw && typeof raw === 'object' && (raw as { v?: unknown }).v === 1 && typeof (raw as { d?: unknown }).d === 'object')
    return raw as HotspotsState;
  return { v: 1, d: {} };
}

export const hotspotsDetectors = (detectors: readonly Detector[]): HotspotsDetector[] =>
  detectors.filter((d): d is HotspotsDetector => d.kind === 'hotspots');

/** How the hotspots function reads records beyond its detectors (from shared/config). */
export interface CollectOptions {
  /** Event-time bounds relative to arrival; absent: the kernel's defaults (records/limits.ts: 5 min ahead, any age behind). */
  time?: EventTimeBounds;
}

/**
 * Buffers each record's points for the hotspots detectors that take it, through the record kernel's contract
 * (shared/records/read.ts). Records are routed against every detector, and a record no hotspots detector takes (or
 * that does not decode) is left to the windows function, which rejects it there; an object a hotspots detector takes
 * but cannot use (a column that is not a number, a bad event time, a coordinate outside the scan radius) makes its
 * record this function's reject, one per record.
 */
export function collectPoints(
  state: HotspotsState,
  records: readonly InputRecord[],
  detectors: readonly Detector[],
  options: CollectOptions = {},
): Reject[] {
  const mine = hotspotsDetectors(detectors);
  if (mine.length === 0) return [];
  const plans: FieldPlan<HotspotsDetector>[] = mine.map((d) => ({
    detector: d,
    ...(d.time ? { time: d.time } : {}),
    numbers: d.columns,
    check: (values) => pointProblem(values, d.scanRadius),
  }));
  const others = detectors.filter((d) => d.kind !== 'hotspots');
  const { rejects } = readRecords<HotspotsDetector, Detector>(
    records,
    plans,
    { defaultField, others, rejectUnrouted: false, ...(options.time ? { time: options.time } : {}) },
    (a) => {
      addPoint(state, a.detector, a.timeMs, a.values);
      return undefined;
    },
  );
  // The state's record and reject counts are the shared tumbling-window step's (shared/lambda/tumbling-window.ts).
  return rejects.list();
}

function addPoint(state: HotspotsState, d: HotspotsDetector, t: number, values: readonly number[]): void {
  const windowMs = d.windowSeconds * 1000;
  const start = Math.floor(t / windowMs) * windowMs;
  const buffer = (state.d[d.name] ??= { runs: [], p: [] });
  const last = buffer.runs[buffer.runs.length - 1];
  if (last && last[0] === start) last[1]++;
  else buffer.runs.push([start, 1]);
  for (const v of values) buffer.p.push(v);
}

/** The hotspots of one event-time window, as the sliding window stood after that window's last point. */
export interface WindowHotspots {
  startMs: number;
  endMs: number;
  /** Points of this window (from this shard). */
  points: number;
  /** Densest first, at most `maxHotspots`. */
  hotspots: Hotspot[];
  /** Hotspots found before the cap. */
  found: number;
}

export interface Evaluation {
  windows: WindowHotspots[];
  /** Points of event-time windows at or before `writtenUpTo` (written by an earlier tumbling window, now rewritten). */
  late: number;
}

/**
 * Pushes the buffered points into `window` in arrival order; after the last point of each event-time window, reads
 * its hotspots. A window already written by an earlier tumbling window (points that arrived late, or a window cut
 * short) is read again and counted as late: the store replaces this shard's part of it.
 */
export function evaluateBuffer(
  window: HotspotsWindow,
  d: HotspotsDetector,
  buffer: PointBuffer,
  writtenUpTo: number | undefined,
  maxHotspots: number,
): Evaluation {
  const dims = d.columns.length;
  const lastRunOf = new Map<number, number>();
  buffer.runs.forEach(([start], i) => lastRunOf.set(start, i));
  const counts = new Map<number, number>();
  const found = new Map<number, Hotspot[]>();
  const point = new Array<number>(dims);
  let at = 0;
  let late = 0;
  buffer.runs.forEach(([start, n], i) => {
    for (let k = 0; k < n; k++, at++) {
      for (let c = 0; c < dims; c++) point[c] = buffer.p[at * dims + c]!;
      window.push(point);
    }
    if (writtenUpTo !== undefined && start <= writtenUpTo) late += n;
    counts.set(start, (counts.get(start) ?? 0) + n);
    if (lastRunOf.get(start) === i) found.set(start, window.hotspots());
  });
  const windowMs = d.windowSeconds * 1000;
  const windows = [...found]
    .sort((a, b) => a[0] - b[0])
    .map(([startMs, hotspots]) => ({
      startMs,
      endMs: startMs + windowMs,
      points: counts.get(startMs)!,
      hotspots: hotspots.slice(0, maxHotspots),
      found: hotspots.length,
    }));
  return { windows, late };
}
