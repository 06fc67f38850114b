import { BUILTIN_DEFAULTS, parseDetectors, rcfDetectors } from '../../../shared/detectors';
import {
  aggregateRecords,
  compileDetector,
  emptyState,
  planEmission,
  type InputRecord,
  type WindowAggregate,
} from '../../../shared/windows';
import { hopPlan, hopWindows, prepareHopJob, stepDetector, toStep, type StepAggregate } from '../../../shared/windows/hopping';
import { liveModel } from '../../../shared/windows/models';
import { mergeLateWindow } from '../../../shared/windows/merge';

const [hop] = rcfDetectors(
  parseDetectors(
    `
detectors:
  - name: hop
    format: json
    key: k
    time: { field: t, format: epochMillis }
    windowSeconds: 60
    everySeconds: 10
    aggregates: [count, sum(v), max(v), count_distinct(u), { name: big, fn: count, where: { kind: big } }, { name: share, ratio: [big, count] }]
`,
    'hopping test',
    BUILTIN_DEFAULTS,
  ),
);

interface Rec {
  k: string;
  t: number;
  v: number;
  u: string;
  kind: string;
}
// A seeded generator, so a failure replays.
let seed = 7;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const T0 = Date.parse('2026-03-01T12:00:00Z');
const recs: Rec[] = Array.from({ length: 600 }, () => ({
  k: rand() < 0.7 ? 'a' : 'b',
  t: T0 + Math.floor(rand() * 180_000),
  v: Math.round(rand() * 100),
  u: `u${Math.floor(rand() * 40)}`,
  kind: rand() < 0.2 ? 'big' : 'small',
}));
let seq = 1;
const input = (r: Rec): InputRecord => ({
  data: Buffer.from(JSON.stringify(r)).toString('base64'),
  sequenceNumber: String(seq++),
  arrivalMs: T0 + 200_000,
});

/** What the hopping window [start, start + 60 s) of key k should hold, straight from the records. */
function expected(k: string, start: number) {
  const inside = recs.filter((r) => r.k === k && r.t >= start && r.t < start + 60_000);
  const big = inside.filter((r) => r.kind === 'big').length;
  return {
    count: inside.length,
    sum_v: inside.reduce((s, r) => s + r.v, 0),
    max_v: Math.max(...inside.map((r) => r.v)),
    count_distinct_u: new Set(inside.map((r) => r.u)).size,
    big,
    share: inside.length ? big / inside.length : 0,
  };
}

/** The steps of one key from records, as the windows function plans them for the step detector. */
function stepsOf(records: Rec[], key: string): WindowAggregate[] {
  const c = compileDetector(stepDetector(hop!));
  const state = emptyState();
  aggregateRecords(state, records.map(input), [c]);
  const plan = planEmission({ state, compiled: [c], lambdaWindow: { startMs: 0, endMs: 1 }, registries: new Map() });
  return plan.byKey.get('hop')?.get(key) ?? [];
}

describe('hopping windows (pure)', () => {
  it('folds records in steps of everySeconds (the plain fold, same state) and knows its k steps', () => {
    expect(hopPlan(hop!)).toEqual({ stepMs: 10_000, windowMs: 60_000, steps: 6 });
    expect(stepDetector(hop!)).toMatchObject({ windowSeconds: 10 });
    expect(stepDetector(hop!).everySeconds).toBeUndefined();
    expect(hopPlan(stepDetector(hop!))).toBeUndefined();
  });

  it('scores at every step the last windowSeconds: each window equals the aggregates of its records', () => {
    for (const key of ['a', 'b']) {
      const steps = stepsOf(recs, key);
      const { windows } = hopWindows(hop!, key, steps, []);
      expect(windows).toHaveLength(steps.length);
      for (const w of windows) {
        expect(w.endMs - w.startMs).toBe(60_000);
        expect(w.aggregates).toEqual(expected(key, w.startMs));
        expect(w.features).toHaveLength(6);
      }
    }
  });

  it('gives the same windows when the steps arrive over several emissions, carrying only the last k steps', () => {
    const all = hopWindows(hop!, 'a', stepsOf(recs, 'a'), []).windows;
    let history: StepAggregate[] = [];
    const got: WindowAggregate[] = [];
    for (let from = T0; from < T0 + 180_000; from += 30_000) {
      const part = stepsOf(
        recs.filter((r) => r.t >= from && r.t < from + 30_000),
        'a',
      );
      const out = hopWindows(hop!, 'a', part, JSON.parse(JSON.stringify(history)) as StepAggregate[]);
      expect(out.keep.length).toBeLessThanOrEqual(6);
      history = out.keep;
      got.push(...out.windows);
    }
    expect(got.map((w) => [w.startMs, w.aggregates])).toEqual(all.map((w) => [w.startMs, w.aggregates]));
  });

  it('merges a step emitted in two parts (an early end) before windowing it', () => {
    const mid = T0 + 95_000;
    const first = stepsOf(
      recs.filter((r) => r.t < mid),
      'a',
    );
    const out1 = hopWindows(hop!, 'a', first, []);
    const rest = stepsOf(
      recs.filter((r) => r.t >= mid),
      'a',
    );
    const out2 = hopWindows(hop!, 'a', rest, out1.keep);
    const w = out2.windows.find((x) => x.startMs + 50_000 === T0 + 90_000)!;
    expect(w.aggregates).toEqual(expected('a', w.startMs));
  });

  it('merges late records into their step item only: count and partials grow, the scored hopping aggregates stay', () => {
    const inStep = recs.filter((r) => r.k === 'a' && r.t >= T0 + 100_000 && r.t < T0 + 110_000);
    const late = inStep.filter((_, j) => j % 2 === 0);
    const onTime = recs.filter((r) => !late.includes(r));
    const steps = stepsOf(onTime, 'a');
    const { windows } = hopWindows(hop!, 'a', steps, []);
    const i = steps.findIndex((s) => s.startMs === T0 + 100_000);
    // The step item as the service writes it: the step's counts, the hopping window's aggregates, and `hop`.
    const item = { ...steps[i]!, aggregates: windows[i]!.aggregates, hop: { count: windows[i]!.count } };
    const lateStep = stepsOf(late, 'a')[0]!;
    const merged = mergeLateWindow(item, lateStep);
    expect(merged.count).toBe(steps[i]!.count + late.length);
    expect(merged.partials.v!.sum).toBe(
      [...late, ...onTime.filter((r) => r.k === 'a' && r.t >= T0 + 100_000 && r.t < T0 + 110_000)].reduce((s, r) => s + r.v, 0),
    );
    expect(merged.aggregates).toEqual(windows[i]!.aggregates);
    // An item never scored as a hopping window (created by a late merge) keeps its own aggregates current.
    expect(
      mergeLateWindow({ count: steps[i]!.count, partials: steps[i]!.partials, sketches: steps[i]!.sketches }, lateStep).aggregates.count,
    ).toBe(steps[i]!.count + late.length);
  });
});

describe("one key's hopping job (prepareHopJob)", () => {
  const stepsA = stepsOf(recs, 'a');
  const windowsA = hopWindows(hop!, 'a', stepsA, []).windows;
  const fresh = () => liveModel(hop!, 'a', undefined).model;

  it('scores each fresh step with its hopping window, from a cached history or from the stored steps alike', async () => {
    // Emission 1: the first 9 steps; emission 2: the rest.
    const cut = 9;
    const model = fresh();
    const first = await prepareHopJob({ detector: hop!, key: 'a', list: stepsA.slice(0, cut), model, mergeLate: async () => {} });
    model.lastWindowMs = stepsA[cut - 1]!.startMs;
    const warm = await prepareHopJob({ detector: hop!, key: 'a', list: stepsA.slice(cut), model, mergeLate: async () => {} });

    // A rebuilt forest has no history: it reads the stored steps (here every step item so far, and one too early).
    const rebuilt = fresh();
    rebuilt.lastWindowMs = stepsA[cut - 1]!.startMs;
    const asked: number[] = [];
    const cold = await prepareHopJob({
      detector: hop!,
      key: 'a',
      list: stepsA.slice(cut),
      model: rebuilt,
      mergeLate: async () => {},
      stepsSince: async (after) => {
        asked.push(after);
        return stepsA.filter((s) => s.startMs > after).map(toStep);
      },
    });
    expect(asked).toEqual([stepsA[cut]!.startMs - 60_000]);
    for (const got of [
      [...first, ...warm],
      [...first, ...cold],
    ]) {
      expect(got.map((w) => [w.startMs, w.endMs - w.startMs, w.count, w.aggregates, w.features, w.hop])).toEqual(
        stepsA.map((s, j) => [
          s.startMs,
          10_000,
          s.count,
          windowsA[j]!.aggregates,
          windowsA[j]!.features,
          { startMs: windowsA[j]!.startMs, endMs: s.startMs + 10_000, count: windowsA[j]!.count },
        ]),
      );
    }
    expect(model.hopSteps).toEqual(rebuilt.hopSteps);
  });

  it('merges late steps first, scores none of them, and rereads the history they changed', async () => {
    const model = fresh();
    model.lastWindowMs = stepsA[10]!.startMs;
    model.hopSteps = stepsA.slice(5, 11).map(toStep);
    const merged: number[] = [];
    let reads = 0;
    const out = await prepareHopJob({
      detector: hop!,
      key: 'a',
      list: [stepsA[8]!, stepsA[11]!],
      model,
      mergeLate: async (s) => {
        merged.push(s.startMs);
      },
      stepsSince: async (after) => {
        reads++;
        return stepsA.filter((s) => s.startMs > after).map(toStep);
      },
    });
    expect(merged).toEqual([stepsA[8]!.startMs]);
    expect(reads).toBe(1);
    expect(out.map((w) => w.startMs)).toEqual([stepsA[11]!.startMs]);
    expect(out[0]!.aggregates).toEqual(windowsA[11]!.aggregates);
  });
});
