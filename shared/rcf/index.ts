/** Random Cut Forest: the public API (docs/architecture.md, docs/rcf.md). */
export { RandomCutForest, DEFAULTS, resolveParameters } from './forest';
export type { ForestOptions, ColumnAttribution, ProcessResult, ForestParameters } from './forest';
export { RcfParameterError, RcfInputError, RcfStateError } from './errors';
