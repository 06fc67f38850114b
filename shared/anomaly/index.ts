/** The anomaly grade, the default alert rule and suppression (pure; NAB scoring lives beside them for the bench). */
export {
  AnomalyGrader,
  DEFAULT_GRADE_OPTIONS,
  GradeStateError,
  type GradeOptions,
  type GradeResult,
  type GradeSettings,
  type GradeState,
} from './grade';
export {
  decideAlert,
  shouldSuppress,
  type AlertDecision,
  type AlertDecisionInput,
  type AlertOn,
  type Direction,
  type SuppressionInput,
  type SuppressionRule,
  type SuppressionVerdict,
} from './suppress';
export { describeExpected, gradeWindow, type WindowGradeInput, type WindowGradeOutput } from './window';
