/**
 * Picks RCF parameters and thresholds for the shipped detectors by measurement, on the producers' own traffic
 * and through the windows function's own code:
 *
 * - records: shared/producers/scenarios (what `npm start` and `stream-sentinel produce` send), several seeds, hours
 *   of normal traffic at each scenario's default rate, then one named anomaly;
 * - features: detectors.yml read by shared/detectors, records decoded and aggregated by shared/windows'
 *   aggregateRecords into one state per Lambda tumbling window (records arriving on time), each state emitted
 *   by emitWindows — the same planning (silent keys included), forest per (detector, key) seeded from its name,
 *   and score-then-learn as the deployed function — over in-memory stores;
 * - per candidate (the detector with its `rcf` replaced): false alerts per key-hour of normal traffic after the
 *   forest's warm-up, and the windows from the anomaly's start to the first flag on its key, per seed.
 *
 * Event time only: no waiting, no I/O beyond reading detectors.yml. Prints a markdown table (docs/detectors.md
 * quotes it). Runs (case, seed) jobs on one child process per core.
 * Usage: node bin/run-ts.js scripts/tune-detectors.ts [--seeds 1,2,3] [--hours 3] [--lambda-seconds 300] [--jobs N]
 */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { hotspotsDetectors, loadDetectorsFile, rcfDetectors, type RcfDetector } from '../shared/detectors';
import { scenarios, type AnomalySpec, type ScenarioName } from '../shared/producers/scenarios';
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
} from '../shared/windows';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const SEEDS = (arg('seeds') ?? '1,2,3').split(',').map(Number);
/** Hours of normal traffic before the anomaly. */
const NORMAL_HOURS = Number(arg('hours') ?? 3);
/**
 * The windows function's tumbling window (WINDOW_SECONDS; deployed at 10 s): one emission per this much arrival
 * time. Features and scores do not depend on it (a forest learns the same windows in the same order, and silent
 * keys get the same zero windows; `--lambda-seconds 10` gives identical scores), but each emission serializes
 * every forest once, so 300 s runs ~4× faster than 10 s.
 */
const LAMBDA_WINDOW_MS = Number(arg('lambda-seconds') ?? 300) * 1000;
/** Windows of anomaly played; the first flag must come within them. */
const AFTER_WINDOWS = 30;
const START = Date.UTC(2026, 0, 5, 0, 0, 0);

const detectors = loadDetectorsFile(resolve(__dirname, '../detectors.yml'));
const compiledAll = rcfDetectors(detectors).map(compileDetector);
const others = hotspotsDetectors(detectors);

interface Case {
  label: string;
  scenario: ScenarioName;
  detector: string;
  anomaly: Omit<AnomalySpec, 'at'>;
}

/** The issue's anomalies, each as its scenario names it (keys are the scenarios' defaults, spelled out). */
const CASES: Case[] = [
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

interface Candidate {
  label: string;
  rcf: RcfDetector['rcf'];
}

const CANDIDATES: Candidate[] = [
  { label: 'KDA seed (1,10,10,2)', rcf: { numberOfTrees: 1, subSampleSize: 10, timeDecay: 10, shingleSize: 2 } },
  { label: 'KDA defaults (100,256,100000,1)', rcf: { numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 } },
  { label: '(50,64,1000,1)', rcf: { numberOfTrees: 50, subSampleSize: 64, timeDecay: 1000, shingleSize: 1 } },
  { label: '(50,128,2000,1)', rcf: { numberOfTrees: 50, subSampleSize: 128, timeDecay: 2000, shingleSize: 1 } },
];
const THRESHOLDS = [2.5, 3, 3.5, 4, 4.5];

/** One Lambda tumbling window's state, as the final invoke hands it to emitWindows. */
interface Emission {
  state: WindowsState;
  lambdaWindow: { startMs: number; endMs: number };
  id: string;
}

interface Run {
  detector: RcfDetector;
  emissions: Emission[];
  anomalyKey: string;
  anomalyStartMs: number;
  records: number;
}

/** Generates a run and folds it into per-Lambda-window states with the windows function's aggregateRecords. */
function aggregateRun(c: Case, seed: number): Run {
  const detector = rcfDetectors(detectors).find((d) => d.name === c.detector);
  if (!detector) throw new Error(`detectors.yml has no rcf detector ${c.detector}`);
  // Each seed starts its anomaly at another point of a window (0, 4, 8 s in for seeds 1, 2, 3): the first window is
  // then only partly anomalous, as it would be live.
  const at = NORMAL_HOURS * 3600 + ((4 * (seed - 1)) % detector.windowSeconds);
  const windowMs = detector.windowSeconds * 1000;
  const duration = at + (AFTER_WINDOWS * windowMs) / 1000;
  const scenario = scenarios[c.scenario];
  const resolved = scenario.resolveAnomaly({ ...c.anomaly, at }, { seed, start: START, duration });
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
    emissions.push({ state, lambdaWindow: { startMs: slot, endMs: slot + LAMBDA_WINDOW_MS }, id: `shard-0:${batch[0]!.sequenceNumber}` });
    batch = [];
  };
  for (const r of scenario.generate({ seed, start: START, duration, anomalies: [{ ...c.anomaly, at }] })) {
    // Records arrive on time: arrival = event time, so each Lambda window holds its own detector windows.
    const arrivalMs = r.eventTime.getTime();
    const s = Math.floor(arrivalMs / LAMBDA_WINDOW_MS) * LAMBDA_WINDOW_MS;
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

/** Plays a run's emissions through emitWindows with the detector's rcf replaced; returns every scored window. */
async function scoreRun(run: Run, rcf: RcfDetector['rcf']): Promise<WindowResult[]> {
  const compiled = compileDetector({ ...run.detector, rcf });
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

interface Outcome {
  falseAlerts: number;
  normalKeyWindows: number;
  /** Windows from the window the anomaly starts in to the first flag on its key (1 = that window), per seed. */
  delays: Array<number | undefined>;
}

/** One run's counts for one candidate and threshold. */
interface Cell {
  candidate: number;
  threshold: number;
  falseAlerts: number;
  normalKeyWindows: number;
  delay?: number;
}

function evaluate(run: Run, results: WindowResult[], rcf: RcfDetector['rcf'], threshold: number): Omit<Cell, 'candidate' | 'threshold'> {
  const warmUp = rcf.subSampleSize + rcf.shingleSize - 1;
  const seen = new Map<string, number>();
  const windowMs = run.detector.windowSeconds * 1000;
  let falseAlerts = 0;
  let normalKeyWindows = 0;
  let delay: number | undefined;
  for (const r of [...results].sort((a, b) => a.window.startMs - b.window.startMs)) {
    if (r.score === undefined) continue;
    const key = r.window.key;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    const start = r.window.startMs;
    const flagged = r.score >= threshold;
    if (start < run.anomalyStartMs) {
      // Scores are 0 until the forest's sample is full; after that, every flag on normal traffic is a false alert.
      if (n < warmUp) continue;
      normalKeyWindows++;
      if (flagged) falseAlerts++;
    } else if (key === run.anomalyKey && flagged) {
      const d = (start - run.anomalyStartMs) / windowMs + 1;
      if (delay === undefined || d < delay) delay = d;
    }
  }
  return { falseAlerts, normalKeyWindows, ...(delay !== undefined ? { delay } : {}) };
}

/** What the thresholds choose between: the highest score normal traffic got, and the anomaly's first windows. */
function margins(run: Run, results: WindowResult[], rcf: RcfDetector['rcf']): Margin {
  const warmUp = rcf.subSampleSize + rcf.shingleSize - 1;
  const seen = new Map<string, number>();
  const windowMs = run.detector.windowSeconds * 1000;
  let normal = 0;
  let anomaly = 0;
  for (const r of [...results].sort((a, b) => a.window.startMs - b.window.startMs)) {
    if (r.score === undefined) continue;
    const n = seen.get(r.window.key) ?? 0;
    seen.set(r.window.key, n + 1);
    if (r.window.startMs < run.anomalyStartMs) {
      if (n >= warmUp) normal = Math.max(normal, r.score);
    } else if (r.window.key === run.anomalyKey && r.window.startMs < run.anomalyStartMs + MARGIN_WINDOWS * windowMs) {
      anomaly = Math.max(anomaly, r.score);
    }
  }
  return { normal, anomaly };
}
/** The anomaly's peak score is taken over its first this many windows ("within a few windows"). */
const MARGIN_WINDOWS = 3;

interface Margin {
  normal: number;
  anomaly: number;
}

interface Job {
  caseIndex: number;
  seed: number;
}
interface JobResult extends Job {
  records: number;
  cells: Cell[];
  /** Per candidate. */
  margins: Margin[];
}

/** Generates, aggregates and scores one (case, seed) for every candidate. */
async function runJob({ caseIndex, seed }: Job): Promise<JobResult> {
  const run = aggregateRun(CASES[caseIndex]!, seed);
  const cells: Cell[] = [];
  const found: Margin[] = [];
  for (const [candidate, cand] of CANDIDATES.entries()) {
    const results = await scoreRun(run, cand.rcf);
    for (const threshold of THRESHOLDS) cells.push({ candidate, threshold, ...evaluate(run, results, cand.rcf, threshold) });
    found.push(margins(run, results, cand.rcf));
  }
  return { caseIndex, seed, records: run.records, cells, margins: found };
}

/** Runs the jobs on `workers` child processes (this script again, in worker mode), biggest first. */
async function runAll(jobs: Job[], workers: number): Promise<JobResult[]> {
  if (workers <= 1) {
    const out: JobResult[] = [];
    for (const job of jobs) out.push(await runJob(job));
    return out;
  }
  const queue = [...jobs];
  const out: JobResult[] = [];
  const began = Date.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      const child = fork(__filename, process.argv.slice(2), {
        execArgv: ['--require', require.resolve('tsx/cjs')],
        env: { ...process.env, TUNE_WORKER: '1' },
      });
      try {
        for (let job = queue.shift(); job; job = queue.shift()) {
          const result = await new Promise<JobResult>((resolveJob, reject) => {
            child.once('message', (m) => resolveJob(m as JobResult));
            child.once('exit', (code) =>
              reject(new Error(`a worker exited (${code}) during ${CASES[job!.caseIndex]!.label}, seed ${job!.seed}`)),
            );
            child.send(job!);
          });
          child.removeAllListeners('exit');
          out.push(result);
          process.stderr.write(
            `${CASES[result.caseIndex]!.label}, seed ${result.seed}: ${result.records} records, ${((Date.now() - began) / 1000).toFixed(0)} s\n`,
          );
        }
      } finally {
        child.disconnect();
      }
    }),
  );
  return out;
}

async function main(): Promise<void> {
  const began = Date.now();
  // Biggest runs first (toll at 100 records/s), so the workers finish together.
  const size = (c: Case) => scenarios[c.scenario].defaultRate;
  const jobs = CASES.flatMap((c, caseIndex) => SEEDS.map((seed) => ({ caseIndex, seed }))).sort(
    (a, b) => size(CASES[b.caseIndex]!) - size(CASES[a.caseIndex]!),
  );
  const results = await runAll(jobs, Math.min(jobs.length, Number(arg('jobs') ?? availableParallelism())));

  const outcomes = new Map<string, Outcome>(); // `${case}|${candidate}|${threshold}`
  let records = 0;
  // Per case and candidate: the highest normal score over the seeds, the lowest anomaly peak over the seeds.
  const spread = new Map<string, Margin>();
  for (const r of results) {
    records += r.records;
    r.margins.forEach((m, candidate) => {
      const id = `${r.caseIndex}|${candidate}`;
      const old = spread.get(id);
      spread.set(id, old ? { normal: Math.max(old.normal, m.normal), anomaly: Math.min(old.anomaly, m.anomaly) } : m);
    });
    for (const cell of r.cells) {
      const id = `${r.caseIndex}|${cell.candidate}|${cell.threshold}`;
      let o = outcomes.get(id);
      if (!o) outcomes.set(id, (o = { falseAlerts: 0, normalKeyWindows: 0, delays: SEEDS.map(() => undefined) }));
      o.falseAlerts += cell.falseAlerts;
      o.normalKeyWindows += cell.normalKeyWindows;
      o.delays[SEEDS.indexOf(r.seed)] = cell.delay;
    }
  }

  const cell = (o: Outcome, windowSeconds: number) => {
    const fa = (o.falseAlerts / o.normalKeyWindows) * (3600 / windowSeconds);
    const delays = o.delays.map((d) => (d === undefined ? '–' : String(d))).join('/');
    return `${fa < 0.005 ? '0' : fa.toFixed(2)}, ${delays}`;
  };
  const shipped = new Map(rcfDetectors(detectors).map((d) => [d.name, d]));
  const isShipped = (c: Case, cand: Candidate, t: number) => {
    const d = shipped.get(c.detector)!;
    return d.threshold === t && (Object.keys(cand.rcf) as Array<keyof Candidate['rcf']>).every((k) => cand.rcf[k] === d.rcf[k]);
  };
  for (const [ci, cand] of CANDIDATES.entries()) {
    const lines = [
      `| scenario | ${THRESHOLDS.map((t) => `${cand.label} @ ${t}`).join(' | ')} |`,
      `|---|${THRESHOLDS.map(() => '---').join('|')}|`,
    ];
    for (const [k, c] of CASES.entries()) {
      const windowSeconds = shipped.get(c.detector)!.windowSeconds;
      const cells = THRESHOLDS.map((t) => {
        const text = cell(outcomes.get(`${k}|${ci}|${t}`)!, windowSeconds);
        return isShipped(c, cand, t) ? `**${text}**` : text;
      });
      lines.push(`| ${c.label} | ${cells.join(' | ')} |`);
    }
    console.log(lines.join('\n') + '\n');
  }
  const lines = [`| scenario | ${CANDIDATES.map((c) => c.label).join(' | ')} |`, `|---|${CANDIDATES.map(() => '---').join('|')}|`];
  for (const [k, c] of CASES.entries()) {
    const cells = CANDIDATES.map((_, ci) => {
      const m = spread.get(`${k}|${ci}`)!;
      return `${m.normal.toFixed(2)} / ${m.anomaly.toFixed(2)}`;
    });
    lines.push(`| ${c.label} | ${cells.join(' | ')} |`);
  }
  console.log(lines.join('\n') + '\n');
  console.log(
    `Score margins: the highest score of normal traffic after warm-up (any key, any seed) / the lowest over the seeds of the ` +
      `anomaly key's peak score in its first ${MARGIN_WINDOWS} windows. A threshold between the two flags every anomaly with no false alert.\n`,
  );
  console.log(
    `Each cell: false alerts per key-hour of normal traffic after the forest's warm-up, then the windows from the anomaly's start to ` +
      `the first flag on its key for seeds ${SEEDS.join(', ')} (1 = the window it starts in, – = not flagged within ${AFTER_WINDOWS} windows). ` +
      `${NORMAL_HOURS} h of normal traffic per run at the scenarios' default rates, the anomaly starting 0, 4, 8 … s into a window for successive seeds; **bold** = detectors.yml's setting. ` +
      `${records.toLocaleString('en-US')} records, ${((Date.now() - began) / 1000).toFixed(0)} s.`,
  );
}

if (process.env.TUNE_WORKER) {
  // Worker mode: one job per message, its result sent back; the parent disconnects when the queue is empty.
  process.on('message', (job: Job) => {
    runJob(job).then(
      (result) => process.send!(result),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
