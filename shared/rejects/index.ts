export * from './sink';
export { S3RejectsSink } from './s3';
