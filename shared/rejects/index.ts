export * from './sink';
export { S3RejectsSink } from './s3';
export { keepRejects, rejectsSinkFor } from './keep';
