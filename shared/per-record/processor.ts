import { defaultField, type Detector, type RecordsDetector } from '../detectors/schema';
import { RandomCutForest } from '../rcf';
import { decodeBase64, readRecords, routeText, type Accepted, type EventTimeBounds, type InputRecord, type Reject } from '../records';
import { recordRow } from '../outputs/format';
import type { Emission } from '../outputs/outbox';
import { ModelConflictError, modelId, type ModelParams, type ModelStore, type StoredModel } from '../windows/ports';
import type { Logger } from '../lambda/logger';
import type { RecordAnomaly, RecordResultStore, RecordSummary } from './ports';
import { LruCache } from '../lru';

/**
 * Per-record detectors (`kind: records`, issue 15 item 1), pure over its ports: every record a detector takes is
 * scored as it arrives by KDA's rule — score against the forest as it is, then learn (RandomCutForest.process), zeros
 * while the forest warms up — with one forest per key, or without a key one per detector and shard. What is written
 * stays cheap at 1,000 records/s per shard: only records scoring at or above `storeAbove` (default: the threshold)
 * become items; every forest gets one summary item per Lambda tumbling window; every result goes to the detector's
 * outputs. A stored record at or above the threshold (the detector's alert rule) is marked for the alerts function
 * (RecordAnomaly.alert). Forests are saved at the window's end, conditionally on the version read.
 *
 * Learning follows the container, not the table, within a window: a batch Lambda retries is learned again by a warm
 * container, and a container that starts mid-window (a cold start, a crash) resumes from the forest saved at the last
 * window's end, so what earlier invokes of that window learned is lost (their records were scored and delivered).
 * Saving every invoke would close that gap at a forest's size in write units per invoke; at the shipped (50, 64) a
 * forest is tens of KB, which is why it is saved once per window.
 */

export interface PerRecordDeps {
  /** All detectors: the records ones are scored, the others only routed (their records are not rejects here). */
  detectors: readonly Detector[];
  forests: ModelStore;
  results: RecordResultStore;
  /** Forests kept between invokes of a warm container. */
  cache: ForestCache;
  time?: Partial<EventTimeBounds>;
  logger?: Pick<Logger, 'warn'>;
  /** Forests whose summaries the state carries before they are written early (default MAX_CARRIED). */
  maxCarried?: number;
}

/** ~100 bytes of state each: 2,000 keep the per-record part of the state near 200 KB. */
export const MAX_CARRIED = 2000;

export interface PerRecordInput {
  records: readonly InputRecord[];
  shardId: string;
  /** The window's last invoke (or an early end): forests are saved and summaries written. */
  final: boolean;
  lambdaWindow: { startMs: number; endMs: number };
  /** The summaries carried in the tumbling-window state (from readSummaries). */
  carried: SummaryState;
  /** Where results go when the detector has outputs. */
  emission?: Emission;
}

export interface PerRecordStats {
  records: number;
  scored: number;
  anomalies: number;
  stored: number;
  forestsSaved: number;
  forestConflicts: number;
}

/** Per forest id: [records, scored, scoreSum, maxScore, maxScoreAtMs, anomalies, stored]. Compact: it rides in the Lambda state. */
export type SummaryState = Record<string, number[]>;

interface LiveForest {
  forest: RandomCutForest;
  version: number | undefined;
  lastMs: number | undefined;
  dirty: boolean;
}

/** A bounded map of forests, least recently used dropped first (never one in use by the running invoke). */
export class ForestCache extends LruCache<LiveForest> {
  constructor(capacity = 500) {
    super(capacity);
  }
  /** Caches f; a forest the running invoke holds (pinned) or has not saved (dirty) is never the one dropped. */
  keep(id: string, f: LiveForest, pinned: ReadonlySet<string>): void {
    this.set(id, f, (old, forest) => pinned.has(old) || forest.dirty);
  }
}

/** FNV-1a of detector and key: a forest built afresh after a crash is the same forest. */
export function seedFor(detector: string, key: string): number {
  let h = 0x811c9dc5;
  const s = `records\u0000${detector}\u0000${key}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const paramsOf = (d: RecordsDetector): ModelParams => ({ ...d.rcf, dimensions: d.features.length, features: [...d.features] });
const sameParams = (a: ModelParams, b: ModelParams) =>
  a.numberOfTrees === b.numberOfTrees &&
  a.subSampleSize === b.subSampleSize &&
  a.timeDecay === b.timeDecay &&
  a.shingleSize === b.shingleSize &&
  a.dimensions === b.dimensions &&
  a.features.join('\u0000') === b.features.join('\u0000');

/** The forest key of an accepted record: its key field's value, or the shard's. */
export const forestKeyOf = (d: RecordsDetector, key: string | undefined, shardId: string): string =>
  d.key !== undefined ? key! : `shard:${shardId}`;

export const readSummaries = (raw: unknown): SummaryState =>
  raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as SummaryState) : {};

export class PerRecordProcessor {
  readonly detectors: RecordsDetector[];
  private readonly byName: Map<string, RecordsDetector>;
  private readonly others: Detector[];

  constructor(private readonly deps: PerRecordDeps) {
    this.detectors = deps.detectors.filter((d): d is RecordsDetector => d.kind === 'records');
    this.byName = new Map(this.detectors.map((d) => [d.name, d]));
    this.others = deps.detectors.filter((d) => d.kind !== 'records');
  }

  get any(): boolean {
    return this.detectors.length > 0;
  }

  /** One invoke: read, score and learn, store what is at or above storeAbove, add every result to the outputs. */
  async process(input: PerRecordInput): Promise<{ carried: SummaryState; rejects: Reject[]; stats: PerRecordStats }> {
    const stats: PerRecordStats = { records: 0, scored: 0, anomalies: 0, stored: 0, forestsSaved: 0, forestConflicts: 0 };
    const plans = this.detectors.map((d) => ({
      detector: d,
      ...(d.key !== undefined ? { key: d.key } : {}),
      ...(d.time ? { time: d.time } : {}),
      numbers: d.features,
    }));
    // Unrouted records are the windows step's rejects already: only this reader's own refusals (a feature that is
    // not a number) are returned.
    const { accepted, rejects } = readRecords<RecordsDetector, Detector>(input.records, plans, {
      defaultField,
      others: this.others,
      rejectUnrouted: false,
      ...(this.deps.time ? { time: this.deps.time } : {}),
    });

    // Each forest's records together, in arrival order: a forest sees only its own records, so the order across
    // forests does not change a score, and one forest at a time stays in the CPU cache (interleaving 100 forests
    // record by record scored 7× slower at RCF(50, 64)).
    const ids = new Map<string, { d: RecordsDetector; key: string }>();
    const groups = new Map<string, Array<Accepted<RecordsDetector>>>();
    for (const a of accepted) {
      const key = forestKeyOf(a.detector, a.key, input.shardId);
      const id = modelId(a.detector.name, key);
      ids.set(id, { d: a.detector, key });
      let group = groups.get(id);
      if (!group) groups.set(id, (group = []));
      group.push(a);
    }
    const pinned = new Set(ids.keys());
    const live = await this.forestsFor(ids);

    const carried = input.carried;
    const anomalies: RecordAnomaly[] = [];
    for (const [id, group] of groups) {
      const f = live.get(id)!;
      const key = ids.get(id)!.key;
      for (const a of group) this.score(a, id, key, f, input, carried, anomalies, stats);
    }
    if (anomalies.length) await this.deps.results.putAnomalies(anomalies);

    if (!input.final) {
      for (const [id, f] of live) this.deps.cache.keep(id, f, pinned);
      // The summaries ride in the Lambda state (1 MB with the windows step's): past maxCarried forests they are
      // written now as a part of the window, named by this invoke's first record, and the state starts afresh.
      const ids = Object.keys(carried);
      if (ids.length > (this.deps.maxCarried ?? MAX_CARRIED) && input.records.length) {
        const part = input.records[0]!.sequenceNumber;
        await this.deps.results.putSummaries(ids.map((id) => summaryOf(id, carried[id]!, input, part)));
        return { carried: {}, rejects: rejects.list(), stats };
      }
      return { carried, rejects: rejects.list(), stats };
    }
    await this.finishWindow(input, live, pinned, stats);
    return { carried: {}, rejects: rejects.list(), stats };
  }

  /** One record: score then learn, its summary, its item when at or above storeAbove, its output row. */
  private score(
    a: Accepted<RecordsDetector>,
    id: string,
    key: string,
    f: LiveForest,
    input: PerRecordInput,
    carried: SummaryState,
    anomalies: RecordAnomaly[],
    stats: PerRecordStats,
  ): void {
    const d = a.detector;
    const warm = f.forest.updates >= d.rcf.subSampleSize;
    const { score, attribution } = f.forest.process(a.values, d.explain ? { explain: true } : undefined);
    f.dirty = true;
    f.lastMs = a.timeMs;
    stats.records++;
    const s = (carried[id] ??= [0, 0, 0, 0, 0, 0, 0]);
    s[0]!++;
    if (warm) {
      s[1]!++;
      stats.scored++;
    }
    s[2]! += score;
    if (score > s[3]! || s[0] === 1) {
      s[3] = score;
      s[4] = a.timeMs;
    }
    const named = attribution?.map((x, i) => ({ column: d.features[i]!, score: x.score, direction: x.direction }));
    if (score >= d.threshold) {
      s[5]!++;
      stats.anomalies++;
    }
    if (score >= (d.storeAbove ?? d.threshold)) {
      s[6]!++;
      stats.stored++;
      anomalies.push({
        detector: d.name,
        forestKey: key,
        timeMs: a.timeMs,
        sequenceNumber: a.record.sequenceNumber,
        index: a.index,
        shardId: input.shardId,
        score,
        threshold: d.threshold,
        features: Object.fromEntries(d.features.map((name, i) => [name, a.values[i]!])),
        ...(named ? { attribution: named } : {}),
        ...(score >= d.threshold ? { alert: true } : {}),
      });
    }
    if (input.emission && d.outputs?.length) input.emission.add(recordRow(d, this.fieldsOf(a), score, named, key));
  }

  /** The window's end: dirty forests saved (every cached one, not only this invoke's), summaries written. */
  private async finishWindow(input: PerRecordInput, live: Map<string, LiveForest>, pinned: Set<string>, stats: PerRecordStats) {
    for (const [id, f] of live) this.deps.cache.keep(id, f, pinned);
    const summaries: RecordSummary[] = [];
    for (const [id, s] of Object.entries(input.carried)) {
      const [detector, forestKey] = splitId(id);
      summaries.push(summaryOf(id, s, input));
      const d = this.byName.get(detector);
      const f = this.deps.cache.get(id);
      if (!d || !f?.dirty) continue;
      const saved: StoredModel = {
        detector,
        key: forestKey,
        state: f.forest.toBytes(),
        version: (f.version ?? 0) + 1,
        params: paramsOf(d),
        ...(f.lastMs !== undefined ? { lastWindowMs: f.lastMs } : {}),
      };
      try {
        await this.deps.forests.save(saved, f.version);
        f.version = saved.version;
        f.dirty = false;
        stats.forestsSaved++;
      } catch (error) {
        // Another container saved this forest since we read it (a resharded key): drop ours, theirs wins.
        if (!(error instanceof ModelConflictError)) throw error;
        this.deps.cache.delete(id);
        stats.forestConflicts++;
        this.deps.logger?.warn('per-record forest changed elsewhere: this window is not learned here', { detector, key: forestKey });
      }
    }
    if (summaries.length) await this.deps.results.putSummaries(summaries);
  }

  /** Cached forests, then the stored ones in one batch, then new ones (a parameter change starts afresh). */
  private async forestsFor(ids: Map<string, { d: RecordsDetector; key: string }>): Promise<Map<string, LiveForest>> {
    const live = new Map<string, LiveForest>();
    const missing: Array<{ detector: string; key: string }> = [];
    for (const [id, { d, key }] of ids) {
      const cached = this.deps.cache.get(id);
      if (cached) live.set(id, cached);
      else missing.push({ detector: d.name, key });
    }
    const stored = missing.length ? await this.deps.forests.loadMany(missing) : new Map<string, StoredModel>();
    for (const { detector, key } of missing) {
      const d = this.byName.get(detector)!;
      const id = modelId(detector, key);
      const s = stored.get(id);
      const params = paramsOf(d);
      if (s && sameParams(s.params, params)) {
        live.set(id, { forest: RandomCutForest.fromBytes(s.state), version: s.version, lastMs: s.lastWindowMs, dirty: false });
      } else {
        if (s) this.deps.logger?.warn('per-record detector parameters changed: starting a new forest', { detector, key });
        const forest = new RandomCutForest({ ...d.rcf, dimensions: d.features.length, seed: seedFor(detector, key) });
        live.set(id, { forest, version: s?.version, lastMs: undefined, dirty: false });
      }
    }
    return live;
  }

  /** The record's own fields (KDA's input columns) for its output row. */
  private fieldsOf(a: Accepted<RecordsDetector>): Record<string, unknown> {
    const { events } = routeText(decodeBase64(a.record.data), [a.detector], defaultField);
    return (events.find((e) => e.index === a.index) ?? events[0])?.fields ?? {};
  }
}

function summaryOf(id: string, s: number[], input: PerRecordInput, part?: string): RecordSummary {
  const [detector, forestKey] = splitId(id);
  return {
    detector,
    forestKey,
    windowStartMs: input.lambdaWindow.startMs,
    windowEndMs: input.lambdaWindow.endMs,
    shardId: input.shardId,
    ...(part !== undefined ? { part } : {}),
    records: s[0]!,
    scored: s[1]!,
    scoreSum: s[2]!,
    maxScore: s[3]!,
    ...(s[0]! > 0 ? { maxScoreAtMs: s[4]! } : {}),
    anomalies: s[5]!,
    stored: s[6]!,
  };
}

function splitId(id: string): [string, string] {
  const i = id.indexOf('\u0000');
  return i < 0 ? [id, ''] : [id.slice(0, i), id.slice(i + 1)];
}
