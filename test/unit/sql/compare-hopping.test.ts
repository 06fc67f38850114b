import { parseDetectors, type RcfDetector } from '../../../shared/detectors';
import {
  aggregateRecords,
  compileDetector,
  emptyState,
  liveModel,
  planEmission,
  scoreWindow,
  type InputRecord,
  type LiveModel,
} from '../../../shared/windows';
import { prepareHopJob } from '../../../shared/windows/hopping';
import { compareWithKda, detectorWindows } from '../../../shared/sql/compare';

/**
 * compare on a hopping detector (issue 15 item 4) scores what the windows function scores: per key, once per step with
 * records, the merge of its last windowSeconds / everySeconds steps. The reference is the windows function's own path
 * emission by emission (planEmission, then prepareHopJob and scoreWindow on the key's warm model, as emit.ts runs
 * them), and the features are also checked against the hopping windows computed straight from the raw records.
 */

const T0 = Date.parse('2026-03-01T00:00:00Z');
const STEP = 10_000;
const STEPS = 24;
/** Steps per Lambda emission in the reference run. */
const PER_EMISSION = 3;

const d = parseDetectors(
  `
detectors:
  - name: hop
    format: json
    key: k
    time: { field: t, format: epochMillis }
    windowSeconds: 40
    everySeconds: 10
    aggregates: [count, sum(v), max(v), count_distinct(u), { name: big, fn: count, where: { kind: big } }, { name: share, ratio: [big, count] }]
    features: [count, sum_v, max_v, count_distinct_u, share]
    threshold: 1.5
    alertOn: score
    rcf: { numberOfTrees: 8, subSampleSize: 12 }
`,
  'compare hopping test',
)[0] as RcfDetector;

interface Rec {
  k: string;
  t: number;
  v: number;
  u: string;
  kind: 'big' | 'small';
}

/** Deterministic records of one key in one step; key b has no records in steps 5, 6 and 13 (windows over missing steps). */
function recordsOf(k: string, step: number): Rec[] {
  if (k === 'b' && [5, 6, 13].includes(step)) return [];
  const n = 1 + ((step * 5 + (k === 'a' ? 1 : 4)) % 7) + (k === 'a' && step === 17 ? 12 : 0);
  return Array.from({ length: n }, (_, i) => ({
    k,
    t: T0 + step * STEP + ((i * 1_377 + step * 311) % STEP),
    v: (step * 7 + i * 13 + (k === 'a' ? 3 : 11)) % 29,
    u: `u${(step + i * 3) % 9}`,
    kind: (i + step) % 3 === 0 ? 'big' : 'small',
  }));
}

const KEYS = ['a', 'b'];
const stepsOf = (k: string) => Array.from({ length: STEPS }, (_, s) => s).filter((s) => recordsOf(k, s).length);
const all: Rec[] = Array.from({ length: STEPS }, (_, s) => KEYS.flatMap((k) => recordsOf(k, s))).flat();

/** Features of key k's hopping window ending with step s, straight from the records (no shared/windows code). */
function fromRecords(k: string, s: number): number[] {
  const inside = all.filter((r) => r.k === k && r.t >= T0 + (s - 3) * STEP && r.t < T0 + (s + 1) * STEP);
  const big = inside.filter((r) => r.kind === 'big').length;
  return [
    inside.length,
    inside.reduce((sum, r) => sum + r.v, 0),
    Math.max(...inside.map((r) => r.v)),
    new Set(inside.map((r) => r.u)).size,
    big / inside.length,
  ];
}

/** The windows function's scoring, emission by emission on warm models: key → [{ step start, features, score }]. */
async function processorScores(): Promise<Map<string, Array<{ startMs: number; features?: number[]; score?: number }>>> {
  const compiled = compileDetector(d);
  const models = new Map<string, LiveModel>();
  const out = new Map<string, Array<{ startMs: number; features?: number[]; score?: number }>>();
  let seq = 0;
  for (let first = 0; first < STEPS; first += PER_EMISSION) {
    const state = emptyState();
    const records: InputRecord[] = [];
    for (let s = first; s < first + PER_EMISSION; s++)
      for (const r of KEYS.flatMap((k) => recordsOf(k, s)))
        records.push({ data: Buffer.from(JSON.stringify(r)).toString('base64'), sequenceNumber: String(seq++), arrivalMs: r.t + 1 });
    expect(aggregateRecords(state, records, [compiled])).toEqual([]);
    const lambdaWindow = { startMs: T0 + first * STEP, endMs: T0 + (first + PER_EMISSION) * STEP };
    const plan = planEmission({ state, compiled: [compiled], lambdaWindow, registries: new Map() });
    for (const [key, list] of plan.byKey.get(d.name) ?? []) {
      let model = models.get(key);
      if (!model) models.set(key, (model = liveModel(d, key, undefined).model));
      const scored = await prepareHopJob({
        detector: d,
        key,
        list,
        model,
        mergeLate: () => Promise.reject(new Error('no late steps in this recording')),
      });
      for (const w of scored) {
        const result = scoreWindow(model, w);
        model.lastWindowMs = w.startMs;
        const rows = out.get(key) ?? [];
        rows.push({ startMs: w.startMs, features: result.features, score: result.score });
        out.set(key, rows);
      }
    }
  }
  return out;
}

describe('compare on a hopping detector', () => {
  const input = all.map((r) => JSON.stringify(r)).join('\n');

  it('builds, per key and step with records, the hopping window of the last windowSeconds from the raw records', () => {
    const { byKey, notes } = detectorWindows(d, input);
    expect([...byKey.keys()].sort()).toEqual(KEYS);
    for (const k of KEYS) {
      const windows = byKey.get(k)!;
      expect(windows.map((w) => (w.startMs - T0) / STEP)).toEqual(stepsOf(k));
      for (const w of windows) {
        const s = (w.startMs - T0) / STEP;
        // The step's own bounds and count, the hopping window's features and span.
        expect({ s, features: w.features, count: w.count, end: w.endMs - w.startMs, hop: w.hop }).toEqual({
          s,
          features: fromRecords(k, s),
          count: recordsOf(k, s).length,
          end: STEP,
          hop: { startMs: w.startMs - 3 * STEP, endMs: w.startMs + STEP, count: fromRecords(k, s)[0] },
        });
      }
    }
    // Not the steps' own features: the windows compare scored before this change differ from these.
    expect(byKey.get('a')!.filter((w) => w.features![0] !== recordsOf('a', (w.startMs - T0) / STEP).length).length).toBeGreaterThan(20);
    expect(notes).toEqual([
      "hopping: every 10 s the last 40 s, scored once per k and step with records (the merge of its last 4 steps), as the windows function does; a row's window is the hopping window's start",
    ]);
  });

  it("scores exactly what the windows function scores, step by step across emissions, and lines KDA's rows up with them", async () => {
    const reference = await processorScores();
    expect([...reference.keys()].sort()).toEqual(KEYS);
    // KDA's stand-in output: the windows function's scores, keys interleaved by step, one score of key b changed.
    const kdaRows = ['k,ANOMALY_SCORE'];
    const expected: Array<{ key: string; step: number; features?: number[]; score: number; kda: number }> = [];
    for (let s = 0; s < STEPS; s++)
      for (const k of KEYS) {
        const r = reference.get(k)!.find((x) => x.startMs === T0 + s * STEP);
        if (!r) continue;
        const kda = k === 'b' && s === 15 ? 9 : r.score!;
        kdaRows.push(`${k},${kda}`);
        expected.push({ key: k, step: s, features: r.features, score: r.score!, kda });
      }
    expect(expected.length).toBe(stepsOf('a').length + stepsOf('b').length);
    const report = compareWithKda(d, input, kdaRows.join('\n'), { rows: true });
    expect(report.compared).toBe(expected.length);
    expect(report.rows!.map((r) => ({ key: r.key, window: r.window, features: r.features, ours: r.ours, kda: r.kda }))).toEqual(
      expected.map((e) => ({
        key: e.key,
        window: new Date(T0 + (e.step - 3) * STEP).toISOString(),
        features: e.features,
        ours: e.score,
        kda: e.kda,
      })),
    );
    for (const e of expected) expect(e.features).toEqual(fromRecords(e.key, e.step));
    // Scoring past warm-up happened, and the peak of key a (step 17) alerts.
    expect(expected.filter((e) => e.score > 0).length).toBeGreaterThan(20);
    expect(expected.find((e) => e.key === 'a' && e.step === 17)!.score).toBeGreaterThan(d.threshold);
    const changed = expected.findIndex((e) => e.key === 'b' && e.step === 15);
    expect(expected[changed]!.score).toBeLessThan(d.threshold);
    expect(report.differences).toEqual([
      {
        index: changed,
        key: 'b',
        window: new Date(T0 + 12 * STEP).toISOString(),
        features: expected[changed]!.features,
        ours: expected[changed]!.score,
        kda: 9,
      },
    ]);
    expect(report.alerts).toEqual({ both: 3, onlyOurs: 0, onlyKda: 1, neither: expected.length - 4 });
  });
});
