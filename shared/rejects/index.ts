/** Where rejected records are kept: Firehose (deployed), files (REJECTS_DIR), memory (tests). */
export * from './sink';
export { FIREHOSE_LIMITS, FirehoseRejectsSink, RejectsNotKeptError, packRecords } from './firehose';
export { keepRejects, rejectsSinkFor } from './keep';
