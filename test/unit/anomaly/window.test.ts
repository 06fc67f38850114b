import { describeExpected, gradeWindow, type WindowGradeInput } from '../../../shared/anomaly';

const features = ['count'];

/** Feeds a new key `n` quiet windows (score ~0.9, count ~12) through gradeWindow, carrying the state as JSON, like the store would. */
function quietKey(n = 200): unknown {
  let state: unknown;
  for (let t = 0; t < n; t++) {
    const out = gradeWindow({
      state,
      score: 0.85 + 0.1 * Math.sin(t),
      values: [12 + (t % 3) - 1],
      features,
      threshold: 3.5,
      windowSeconds: 10,
    });
    state = JSON.parse(JSON.stringify(out.state));
  }
  return state;
}

describe('gradeWindow (per-window entry point)', () => {
  it('grades a window from the stored state and returns the state to store back', () => {
    const input: WindowGradeInput = { state: quietKey(), score: 7, values: [141], features, threshold: 3.5, windowSeconds: 10 };
    const out = gradeWindow(input);
    expect(out).toMatchObject({ alert: true, suppressed: false });
    expect(out.grade).toBeGreaterThanOrEqual(0.5);
    expect(out.expected.count).toBeCloseTo(12, 0);
    expect(describeExpected(features, [141], out.expected)).toBe('count 141, usually about 12');
    expect(Buffer.byteLength(JSON.stringify(out.state))).toBeLessThan(1024);
  });

  it('keeps KDA’s rule with alertOn: score, and applies suppression rules to either', () => {
    const state = quietKey();
    expect(gradeWindow({ state, score: 3.6, values: [13], features, threshold: 3.5, windowSeconds: 10, alertOn: 'score' }).alert).toBe(
      true,
    );
    const out = gradeWindow({
      state,
      score: 7,
      values: [13],
      features,
      threshold: 3.5,
      windowSeconds: 10,
      suppress: [{ feature: 'count', minRelative: 0.2 }],
    });
    expect(out).toMatchObject({
      alert: false,
      suppressed: true,
      reason: expect.stringMatching(/^count 13 is within 20% of usual 1[12](\.\d+)?$/) as unknown,
    });
  });

  it('starts a key without state (new key, or an item from before the grade) at grade 0, alerting on the detector’s threshold meanwhile', () => {
    const out = gradeWindow({ state: undefined, score: 7, values: [141], features, threshold: 3.5, windowSeconds: 10 });
    expect(out).toMatchObject({ grade: 0, alert: true, expected: { count: null } });
    expect(describeExpected(features, [141], out.expected)).toBe('');
    expect(gradeWindow({ state: undefined, score: 3, values: [40], features, threshold: 3.5, windowSeconds: 10 }).alert).toBe(false);
  });
});
