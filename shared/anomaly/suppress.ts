/**
 * Suppression rules and the alert decision. Pure. A suppression rule silences an alert whose features moved
 * too little from their expected (usual) value to matter, or in a direction the user does not care about —
 * "ignore changes under 20 % from usual", "spikes only" — per feature. The decision combines the detector's
 * `alertOn` (`grade`: the default rule of ./grade.ts; `score`: KDA's `score ≥ threshold`) with the rules.
 */

export type Direction = 'both' | 'spikes' | 'dips';

export interface SuppressionRule {
  /** The feature (aggregate name) the rule is about. */
  feature: string;
  /** Ignore a deviation from the expected value smaller than this, in the feature's units. */
  minAbsolute?: number;
  /** Ignore a deviation smaller than this fraction of the expected value (0.2 = 20 %). */
  minRelative?: number;
  /** Which deviations can alert: `spikes` (above usual), `dips` (below usual) or `both` (default). */
  direction?: Direction;
}

export interface SuppressionInput {
  /** Feature names in column order. */
  features: readonly string[];
  /** This window's feature values. */
  values: readonly number[];
  /** The usual value of each feature (null: not known yet — a rule cannot judge it and does not suppress). */
  expected: ReadonlyArray<number | null>;
  rules: readonly SuppressionRule[];
}

export interface SuppressionVerdict {
  suppressed: boolean;
  /** Why, for logs and the alert item, e.g. `count 14 is within 20% of usual 12`. */
  reason?: string;
}

const fmt = (x: number) => String(Number(x.toPrecision(4)));

/**
 * Whether an alert is suppressed. Only features that have a rule are judged: the alert is suppressed when
 * every one of them is ignored by its rule (moved too little, or in the wrong direction). With no rule for any
 * of the detector's features, or a feature whose usual value is not known yet, nothing is suppressed.
 */
export function shouldSuppress(input: SuppressionInput): SuppressionVerdict {
  const applicable = input.rules.filter((r) => input.features.includes(r.feature));
  if (applicable.length === 0) return { suppressed: false };
  const reasons: string[] = [];
  for (const rule of applicable) {
    const i = input.features.indexOf(rule.feature);
    const value = input.values[i];
    const expected = input.expected[i];
    if (value === undefined || expected === null || expected === undefined) return { suppressed: false };
    const why = ignoredBecause(rule, value, expected);
    if (!why) return { suppressed: false };
    reasons.push(why);
  }
  return { suppressed: true, reason: reasons.join('; ') };
}

/** Why one rule ignores this value, or undefined when the deviation counts. */
function ignoredBecause(rule: SuppressionRule, value: number, expected: number): string | undefined {
  const deviation = value - expected;
  const direction = rule.direction ?? 'both';
  const name = rule.feature;
  if (deviation === 0) return `${name} ${fmt(value)} is its usual value`;
  if (direction === 'spikes' && deviation < 0) return `${name} ${fmt(value)} is below usual ${fmt(expected)} (spikes only)`;
  if (direction === 'dips' && deviation > 0) return `${name} ${fmt(value)} is above usual ${fmt(expected)} (dips only)`;
  if (rule.minAbsolute !== undefined && Math.abs(deviation) < rule.minAbsolute) {
    return `${name} ${fmt(value)} is within ${fmt(rule.minAbsolute)} of usual ${fmt(expected)}`;
  }
  if (rule.minRelative !== undefined && Math.abs(deviation) < rule.minRelative * Math.abs(expected)) {
    return `${name} ${fmt(value)} is within ${fmt(rule.minRelative * 100)}% of usual ${fmt(expected)}`;
  }
  return undefined;
}

export type AlertOn = 'grade' | 'score';

export interface AlertDecisionInput {
  /** `grade` (default): the grade's rule; `score`: KDA's `score ≥ threshold`. */
  alertOn?: AlertOn;
  score: number;
  /** The detector's score threshold (used by `alertOn: score`). */
  threshold: number;
  /** The grader's decision for this window (used by `alertOn: grade`). */
  gradeAlert: boolean;
  suppression?: SuppressionInput;
}

export interface AlertDecision {
  alert: boolean;
  /** The rule fired but a suppression rule silenced it. */
  suppressed: boolean;
  reason?: string;
}

/** The one alert decision the windows function, the alerts function and the CLI share. */
export function decideAlert(input: AlertDecisionInput): AlertDecision {
  const fired = (input.alertOn ?? 'grade') === 'grade' ? input.gradeAlert : input.score >= input.threshold;
  if (!fired) return { alert: false, suppressed: false };
  if (!input.suppression) return { alert: true, suppressed: false };
  const verdict = shouldSuppress(input.suppression);
  return verdict.suppressed ? { alert: false, suppressed: true, reason: verdict.reason } : { alert: true, suppressed: false };
}
