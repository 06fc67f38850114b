import { AnomalyGrader, DEFAULT_GRADE_OPTIONS, GradeStateError } from '../../../shared/anomaly';

/** 5-minute windows, like most NAB series: a tail of 0.12/h × 300 s = 1 % per window. */
const W = { windowSeconds: 300 };

/** Deterministic "normal" RCF scores: 0.7–1.1 on the KDA scale, like a quiet key after warm-up. */
function normalScore(t: number): number {
  return 0.9 + 0.2 * Math.sin(t * 1.7) * Math.cos(t * 0.31);
}

/** A grader fed `n` normal windows (values around 12), after `zeros` warm-up windows of score 0. */
function trained(n = 300, zeros = 0): AnomalyGrader {
  const g = new AnomalyGrader(1, W);
  for (let t = 0; t < zeros; t++) g.update(0, [12]);
  for (let t = 0; t < n; t++) g.update(normalScore(t), [12 + (t % 3) - 1]);
  return g;
}

describe('anomaly grade', () => {
  it('grades nothing during the forest warm-up (score 0) nor before the key has minScores scores', () => {
    const g = new AnomalyGrader(1, W);
    for (let t = 0; t < 256; t++) expect(g.update(0, [12])).toMatchObject({ grade: 0, alert: false, threshold: 0 });
    for (let t = 0; t < DEFAULT_GRADE_OPTIONS.minScores; t++) expect(g.update(t === 10 ? 6 : normalScore(t), [12]).alert).toBe(false);
    expect(g.threshold()).toBeGreaterThan(0);
  });

  it('alerts on a score far above the key’s own history, with a grade from 0.5 (at the threshold) to 1', () => {
    const g = trained();
    const threshold = g.threshold();
    expect(threshold).toBe(DEFAULT_GRADE_OPTIONS.floor); // a quiet key's 98th percentile × 1.1 is under the floor
    const r = g.update(7, [141]);
    // The short-term average of the last 2 scores is what is graded: (a normal score + 7) / 2 ≥ 2.
    expect(r.smoothedScore).toBeGreaterThan(threshold);
    expect(r.alert).toBe(true);
    expect(r.grade).toBeGreaterThanOrEqual(0.5);
    expect(r.grade).toBeLessThanOrEqual(1);
    expect(r.grade).toBeCloseTo(r.smoothedScore / (2 * threshold), 10);
  });

  it('never alerts below the floor, however quiet the key has been', () => {
    const g = new AnomalyGrader(1, W);
    for (let t = 0; t < 500; t++) g.update(0.5, [1]);
    for (let t = 0; t < 5; t++) expect(g.update(1.9, [1])).toMatchObject({ grade: 0, alert: false });
  });

  it('raises the threshold for a key whose normal scores are high (bursty series) and does not alert on its usual bursts', () => {
    const g = new AnomalyGrader(1, W);
    // Every 10th window scores 3.2 for three windows: routine for this key.
    for (let t = 0; t < 2000; t++) g.update(t % 10 < 3 ? 3.2 : 0.8, [100]);
    expect(g.threshold()).toBeGreaterThan(3.2);
    expect([3.2, 3.2, 3.2].map((s) => g.update(s, [100]).alert)).toEqual([false, false, false]);
  });

  it('does not alert again within the refractory windows after an alert, then can', () => {
    const g = trained();
    expect(g.update(8, [141]).alert).toBe(true);
    let graded = 0;
    for (let t = 1; t <= DEFAULT_GRADE_OPTIONS.refractory; t++) {
      const r = g.update(t % 50 === 0 ? 8 : normalScore(t), [12]);
      expect(r.alert).toBe(false);
      if (r.grade > 0) graded++;
    }
    expect(graded).toBeGreaterThan(0); // still graded anomalous, only not alerted
    g.update(8, [141]);
    g.update(8, [141]);
    // The spike scores entered the history capped at the threshold, so the key is not blinded to the next one.
    expect(g.update(8, [141]).grade).toBeGreaterThan(0);
  });

  it('alerts again within the refractory windows when the anomaly is at least `rise` times stronger than the last alert', () => {
    const g = trained();
    expect(g.update(2.5, [20]).alert).toBe(false); // short-term average (≤ 1.1 + 2.5) / 2 < 2
    const first = g.update(3.5, [25]); // short-term average (2.5 + 3.5) / 2 = 3
    expect(first.alert).toBe(true);
    for (let t = 0; t < 10; t++) g.update(normalScore(t), [12]);
    expect(g.update(5, [60], 3.5)).toMatchObject({ alert: false, grade: expect.any(Number) as unknown }); // average ≈ 3 < 2 × 3: same level, stays quiet
    expect(g.update(8.5, [141]).alert).toBe(true); // average 6.75 ≥ 2 × 3: a worse anomaly is not hidden
  });

  it('while the key is learning, alerts on the detector’s score threshold (KDA’s rule) with grade 0 and no refractory period', () => {
    const g = new AnomalyGrader(1, W);
    for (let t = 0; t < 64; t++) expect(g.update(0, [12], 3.5).alert).toBe(false); // the forest's warm-up
    for (let t = 0; t < 20; t++) g.update(normalScore(t), [12], 3.5);
    expect(g.update(3.4, [30], 3.5)).toMatchObject({ alert: false, learning: true, grade: 0 });
    expect(g.update(3.6, [40], 3.5)).toMatchObject({ alert: true, learning: true, grade: 0 });
    expect(g.update(3.6, [40], 3.5).alert).toBe(true); // KDA's rule has no refractory period (the alerts cooldown does that)
    expect(g.state().a).toBe(-1);
  });

  it('without a score threshold, or with fallbackToScore off, a learning key never alerts', () => {
    const g = new AnomalyGrader(1, W);
    const off = new AnomalyGrader(1, { ...W, fallbackToScore: false });
    for (let t = 0; t < 20; t++) [g, off].forEach((x) => x.update(normalScore(t), [12], t === 0 ? undefined : 3.5));
    expect(g.update(9, [141]).alert).toBe(false);
    expect(off.update(9, [141], 3.5)).toMatchObject({ alert: false, learning: true });
  });

  it('stops the fallback once the key has minScores scores: then the grade decides', () => {
    const g = new AnomalyGrader(1, W);
    for (let t = 0; t < DEFAULT_GRADE_OPTIONS.minScores - 1; t++) g.update(normalScore(t), [12], 3.5);
    expect(g.update(normalScore(0), [12], 3.5).learning).toBe(true); // the minScores-th score: still learning
    const r = g.update(2.8, [20], 2.5); // above the detector's threshold, but the short-term average (≤ 1.95) is under 2
    expect(r).toMatchObject({ learning: false, grade: 0, alert: false });
  });

  it('once graded, alerts only when the recent peak score also reaches the detector’s threshold (peakOfThreshold × threshold)', () => {
    const a = trained();
    // Short-term average (≈ 0.9 + 4.5) / 2 ≈ 2.7 passes the grade's floor of 2; the peak 4.5 is under 5.
    const low = a.update(4.5, [30], 5);
    expect(low.grade).toBeGreaterThan(0);
    expect(low.alert).toBe(false);
    expect(a.state().a).toBe(-1); // a graded window that did not alert starts no refractory period
    const b = trained();
    expect(b.update(4.5, [30], 4).alert).toBe(true);
    const c = trained();
    expect(c.update(4.5, [30], 5).alert).toBe(false);
    const d = AnomalyGrader.fromState(trained().state(), 1, { ...W, peakOfThreshold: 0.9 });
    expect(d.update(4.5, [30], 5).alert).toBe(true); // 4.5 ≥ 0.9 × 5
  });

  it('keeps the usual value of each feature from unremarkable windows only', () => {
    const g = trained();
    const r = g.update(8, [141]);
    expect(r.expected[0]).toBeCloseTo(12, 0);
    expect(g.update(normalScore(1), [12]).expected[0]).toBeCloseTo(12, 0); // 141 did not become usual
  });

  it('saves a state under 1 KB as plain JSON and resumes from it with the same decisions', () => {
    const a = trained(1200, 256);
    const json = JSON.stringify(a.state());
    expect(Buffer.byteLength(json)).toBeLessThan(1024);
    const b = AnomalyGrader.fromState(JSON.parse(json), 1, W);
    const inputs = Array.from({ length: 300 }, (_, t) => (t % 97 === 40 ? 7 : normalScore(t + 5)));
    const ra = inputs.map((s) => a.update(s, [12]));
    const rb = inputs.map((s) => b.update(s, [12]));
    expect(rb.map((r) => r.alert)).toEqual(ra.map((r) => r.alert));
    rb.forEach((r, i) => expect(r.grade).toBeCloseTo(ra[i]!.grade, 3));
  });

  it('keeps the state under 1 KB in the worst case: scores spread over every bin, then a long quiet spell', () => {
    const g = new AnomalyGrader(4, W);
    for (let t = 0; t < 20_000; t++) g.update(((t * 7919) % 1000) / 100, [t * 1.234567, -t, 1e9 / (t + 1), 0.5]);
    for (let t = 0; t < 20_000; t++) g.update(0.8, [1, 2, 3, 4]);
    const json = JSON.stringify(g.state());
    expect(Buffer.byteLength(json)).toBeLessThan(1024);
    expect(json).not.toMatch(/e-/); // negligible masses are dropped, not written as 1.234e-300
  });

  it('rejects a state it cannot read with a GradeStateError naming the problem', () => {
    const state = trained(60).state();
    expect(() => AnomalyGrader.fromState({ ...state, v: 9 }, 1, W)).toThrow(
      new GradeStateError('not a grade state this version reads: version 9 (this version reads 1)'),
    );
    expect(() => AnomalyGrader.fromState({ ...state, h: [1, 2] }, 1, W)).toThrow(GradeStateError);
    expect(() => AnomalyGrader.fromState(state, 2, W)).toThrow('e must have one entry per feature (2)');
    expect(() => AnomalyGrader.fromState(null, 1, W)).toThrow(GradeStateError);
  });

  it('rejects bad scores and options', () => {
    expect(() => new AnomalyGrader(1, W).update(Number.NaN)).toThrow('score must be a finite number ≥ 0, got NaN');
    expect(() => new AnomalyGrader(1, { ...W, maxTail: 0 })).toThrow('grade maxTail must be between 0 and 1, got 0');
    expect(() => new AnomalyGrader(1, { ...W, smooth: 0 })).toThrow('grade smooth must be an integer from 1 to 16, got 0');
    expect(() => new AnomalyGrader(1, { ...W, peakOfThreshold: -1 })).toThrow('grade peakOfThreshold must be a number ≥ 0, got -1');
    expect(() => new AnomalyGrader(1, W).update(1, [], Number.NaN)).toThrow('scoreThreshold must be ≥ 0, got NaN');
  });
});
