/**
 * The per-window entry point for the windows function (and anything else that grades one key's windows):
 * stored grade state in, the window's score and feature values in; grade, alert decision, expected values,
 * suppression verdict and the state to store back out. Pure: the caller loads and saves the state beside the
 * key's forest.
 */
import { AnomalyGrader, type GradeOptions, type GradeState } from './grade';
import { decideAlert, type AlertOn, type SuppressionRule } from './suppress';

export interface WindowGradeInput {
  /** The key's stored grade state (`undefined` for a new key, or one whose item predates the grade). */
  state: unknown;
  /** The forest's score for this window (0 during its warm-up). */
  score: number;
  /** This window's feature values, in `features` order. */
  values: readonly number[];
  features: readonly string[];
  /** The detector's rule: `grade` (default) or `score` (KDA's score ≥ threshold). */
  alertOn?: AlertOn;
  /** The detector's score threshold: `alertOn: score`'s rule, and the grade rule's fallback and peak floor. */
  threshold: number;
  suppress?: readonly SuppressionRule[];
  /** The detector's window length in seconds (the grade's false-alert budget is per hour). */
  windowSeconds: number;
  /** Only for experiments; the shipped default is one setting for every detector. */
  options?: Partial<GradeOptions>;
}

export interface WindowGradeOutput {
  grade: number;
  /** Whether an alert is owed for this window. */
  alert: boolean;
  /** The rule fired but a suppression rule silenced it (`reason` says why). */
  suppressed: boolean;
  reason?: string;
  /** Usual value of each feature before this window (null until known). */
  expected: Record<string, number | null>;
  /** The key's grade threshold for the short-term average score, and that average. */
  gradeThreshold: number;
  averageScore: number;
  /** Store this back beside the forest. */
  state: GradeState;
}

export function gradeWindow(input: WindowGradeInput): WindowGradeOutput {
  const settings = { ...input.options, windowSeconds: input.windowSeconds };
  const grader =
    input.state === undefined
      ? new AnomalyGrader(input.features.length, settings)
      : AnomalyGrader.fromState(input.state, input.features.length, settings);
  const r = grader.update(input.score, input.values, input.threshold);
  const decision = decideAlert({
    alertOn: input.alertOn,
    score: input.score,
    threshold: input.threshold,
    gradeAlert: r.alert,
    suppression: input.suppress?.length
      ? { features: input.features, values: input.values, expected: r.expected, rules: input.suppress }
      : undefined,
  });
  return {
    grade: r.grade,
    alert: decision.alert,
    suppressed: decision.suppressed,
    ...(decision.reason ? { reason: decision.reason } : {}),
    expected: Object.fromEntries(input.features.map((f, i) => [f, r.expected[i] ?? null])),
    gradeThreshold: r.threshold,
    averageScore: r.smoothedScore,
    state: grader.state(),
  };
}

/** A readable "usual" value: whole numbers from 10 up, two significant digits below. */
function about(x: number): string {
  return Math.abs(x) >= 10 ? String(Math.round(x)) : String(Number(x.toPrecision(2)));
}

/** For the alert text: `count 141, usually about 12; avg_speed 40.5, usually about 38` (features with a known usual value). */
export function describeExpected(features: readonly string[], values: readonly number[], expected: Record<string, number | null>): string {
  return features
    .flatMap((f, i) => {
      const e = expected[f];
      const v = values[i];
      if (e === null || e === undefined || v === undefined) return [];
      return [`${f} ${Number(v.toPrecision(6))}, usually about ${about(e)}`];
    })
    .join('; ');
}
