export * from './sink';
export { FIREHOSE_LIMITS, FirehoseRejectsSink, RejectsNotKeptError, packRecords } from './firehose';
export { keepRejects, rejectsSinkFor } from './keep';
