/**
 * Plays a producer scenario (shared/producers/scenarios: what `npm start` and `stream-sentinel produce` send)
 * through the windows function's own code, event time only, over in-memory stores: records folded by
 * aggregateRecords into one state per Lambda tumbling window (records arriving on time), each state emitted by
 * emitWindows — the same planning (silent keys included), forest per (detector, key) seeded from its name,
 * score-then-learn and grading as the deployed function. Shared by bench/alerts.bench.ts (the default alert rule
 * on the scenarios) and scripts/tune-detectors.ts (RCF parameters and thresholds).
 */
import { hotspotsDetectors, rcfDetectors, type Detector, type RcfDetector } from '../../shared/detectors';
import { scenarios, type AnomalySpec, type ScenarioName } from '../../shared/producers/scenarios';
import {
  aggregateRecords,
  compileDetector,
  emitWindows,
  emptyState,
  ModelCache,
  modelId,
  type InputRecord,
  type KeyRegistry,
  type ModelStore,
  type StoredModel,
  type WindowResult,
  type WindowStore,
  type WindowsState,
} from '../../shared/windows';

export interface ScenarioCase {
  label: string;
  scenario: ScenarioName;
  detector: string;
  anomaly: Omit<AnomalySpec, 'at'>;
}

/** Issue 16's anomalies, each as its scenario names it (keys are the scenarios' defaults, spelled out). */
export const SCENARIO_CASES: ScenarioCase[] = [
  { label: 'toll: diversion to 35South', scenario: 'toll', detector: 'toll-stations', anomaly: { kind: 'diversion', key: '35South' } },
  { label: 'toll: Exit29 goes quiet', scenario: 'toll', detector: 'toll-stations', anomaly: { kind: 'quiet', key: 'Exit29' } },
  { label: 'wind: gust at north-ridge (20 s)', scenario: 'wind', detector: 'wind-speed', anomaly: { kind: 'gust', key: 'north-ridge' } },
  { label: 'wind: storm at north-ridge (3 min)', scenario: 'wind', detector: 'wind-speed', anomaly: { kind: 'storm', key: 'north-ridge' } },
  {
    label: 'clicks: spike on news.ycombinator.com (60 s)',
    scenario: 'clicks',
    detector: 'clicks',
    anomaly: { kind: 'spike', key: 'https://news.ycombinator.com/' },
  },
];

export const SCENARIO_START = Date.UTC(2026, 0, 5, 0, 0, 0);

/** One Lambda tumbling window's state, as the final invoke hands it to emitWindows. */
interface Emission {
  state: WindowsState;
  lambdaWindow: { startMs: number; endMs: number };
  id: string;
}

export interface ScenarioRun {
  detector: RcfDetector;
  emissions: Emission[];
  anomalyKey: string;
  /** Start of the detector window the anomaly starts in. */
  anomalyStartMs: number;
  records: number;
}

export interface ScenarioRunOptions {
  detectors: Detector[];
  seed: number;
  /** Seconds of normal traffic before the anomaly. */
  normalSeconds: number;
  /** Detector windows of anomaly played after it starts. */
  afterWindows: number;
  /**
   * The windows function's tumbling window: one emission per this much arrival time. Scores and grades do not
   * depend on it (a forest learns the same windows in the same order, silent keys get the same zero windows), but
   * each emission serializes every forest once, so 300 s runs ~4× faster than the deployed 10 s.
   */
  lambdaWindowMs: number;
}

/** Generates a run and folds it into per-Lambda-window states with the windows function's aggregateRecords. */
export function aggregateRun(c: ScenarioCase, o: ScenarioRunOptions): ScenarioRun {
  const compiledAll = rcfDetectors(o.detectors).map(compileDetector);
  const others = hotspotsDetectors(o.detectors);
  const detector = rcfDetectors(o.detectors).find((d) => d.name === c.detector);
  if (!detector) throw new Error(`the detectors file has no rcf detector ${c.detector}`);
  // Each seed starts its anomaly at another point of a window (0, 4, 8 s in for seeds 1, 2, 3, …): the first window
  // is then only partly anomalous, as it would be live.
  const at = o.normalSeconds + ((4 * (o.seed - 1)) % detector.windowSeconds);
  const windowMs = detector.windowSeconds * 1000;
  const duration = at + (o.afterWindows * windowMs) / 1000;
  const scenario = scenarios[c.scenario];
  const options = { seed: o.seed, start: SCENARIO_START, duration };
  const resolved = scenario.resolveAnomaly({ ...c.anomaly, at }, options);
  const emissions: Emission[] = [];
  let batch: InputRecord[] = [];
  let slot = Number.NaN;
  let seq = 0;
  let records = 0;
  const flush = () => {
    if (!batch.length) return;
    const state = emptyState();
    const rejects = aggregateRecords(state, batch, compiledAll, others);
    if (rejects.length) throw new Error(`${c.label}: ${rejects.length} rejects, first: ${rejects[0]!.reason}`);
    emissions.push({ state, lambdaWindow: { startMs: slot, endMs: slot + o.lambdaWindowMs }, id: `shard-0:${batch[0]!.sequenceNumber}` });
    batch = [];
  };
  for (const r of scenario.generate({ ...options, anomalies: [{ ...c.anomaly, at }] })) {
    // Records arrive on time: arrival = event time, so each Lambda window holds its own detector windows.
    const arrivalMs = r.eventTime.getTime();
    const s = Math.floor(arrivalMs / o.lambdaWindowMs) * o.lambdaWindowMs;
    if (s !== slot) {
      flush();
      slot = s;
    }
    batch.push({
      data: Buffer.from(r.data).toString('base64'),
      sequenceNumber: String(++seq).padStart(12, '0'),
      partitionKey: r.partitionKey,
      arrivalMs,
    });
    records++;
  }
  flush();
  return { detector, emissions, anomalyKey: resolved.key, anomalyStartMs: Math.floor(resolved.startMs / windowMs) * windowMs, records };
}

/**
 * Plays a run's emissions through emitWindows with the detector's settings replaced by `override` (e.g. its
 * `rcf`, `alertOn`); returns every written window, oldest emission first.
 */
export async function scoreRun(run: ScenarioRun, override: Partial<RcfDetector> = {}): Promise<WindowResult[]> {
  const compiled = compileDetector({ ...run.detector, ...override });
  const results: WindowResult[] = [];
  const registries = new Map<string, KeyRegistry>();
  const stored = new Map<string, StoredModel>();
  let late = 0;
  const windows: WindowStore = {
    putFresh: async (result) => {
      results.push(result);
      return 'written';
    },
    mergeLate: async () => {
      late++;
      return 'merged';
    },
    getRegistry: async (detector, shard) => new Map(registries.get(`${detector}|${shard}`) ?? []),
    putRegistry: async (detector, shard, registry) => void registries.set(`${detector}|${shard}`, new Map(registry)),
  };
  const models: ModelStore = {
    loadMany: async (keys) => {
      const found = new Map<string, StoredModel>();
      for (const k of keys) {
        const m = stored.get(modelId(k.detector, k.key));
        if (m) found.set(modelId(k.detector, k.key), m);
      }
      return found;
    },
    save: async (model) => void stored.set(modelId(model.detector, model.key), model),
  };
  // A warm container: forests stay in memory between emissions, as they do between a live stream's invokes.
  const cache = new ModelCache();
  for (const e of run.emissions) {
    await emitWindows({
      state: e.state,
      compiled: [compiled],
      shardId: 'shard-0',
      lambdaWindow: e.lambdaWindow,
      emissionId: e.id,
      windows,
      models,
      cache,
    });
  }
  if (late) throw new Error(`${late} windows were late: the runs are played on time`);
  return results;
}
