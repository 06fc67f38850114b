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
import { loadDetectorsFile, rcfDetectors, type RcfDetector } from '../shared/detectors';
import { scenarios } from '../shared/producers/scenarios';
import type { WindowResult } from '../shared/windows';
import {
  aggregateRun as playScenario,
  SCENARIO_CASES as CASES,
  scoreRun as scoreScenario,
  type ScenarioCase as Case,
  type ScenarioRun as Run,
} from '../bench/alerts/scenario-run';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const SEEDS = (arg('seeds') ?? '1,2,3').split(',').map(Number);
/** Hours of normal traffic before the anomaly. */
const NORMAL_HOURS = Number(arg('hours') ?? 3);
/**
 * The windows function's tumbling window (WINDOW_SECONDS; deployed at 10 s): one emission per this much arrival
 * time. Scores do not depend on it (`--lambda-seconds 10` gives identical scores); 300 s runs ~4× faster.
 */
const LAMBDA_WINDOW_MS = Number(arg('lambda-seconds') ?? 300) * 1000;
/** Windows of anomaly played; the first flag must come within them. */
const AFTER_WINDOWS = 30;

const detectors = loadDetectorsFile(resolve(__dirname, '../detectors.yml'));

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

/** Generates a run (bench/alerts/scenario-run.ts: the windows function's own aggregation). */
function aggregateRun(c: Case, seed: number): Run {
  return playScenario(c, {
    detectors,
    seed,
    normalSeconds: NORMAL_HOURS * 3600,
    afterWindows: AFTER_WINDOWS,
    lambdaWindowMs: LAMBDA_WINDOW_MS,
  });
}

/** Plays a run through emitWindows with the detector's rcf replaced; returns every scored window. */
function scoreRun(run: Run, rcf: RcfDetector['rcf']): Promise<WindowResult[]> {
  return scoreScenario(run, { rcf });
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
