/**
 * Every AWS client factory in one import, for code that is not bundled into a function (tests, local mode, the
 * CLI). Function code imports the one module it needs (./dynamodb, ./sns, ...): importing this file pulls every
 * SDK client into the bundle (lib-dynamodb is not marked side-effect free, so esbuild cannot drop it).
 */
export type { ClientOptions } from './options';
export { dynamoClient, dynamoDocumentClient } from './dynamodb';
export { kinesisClient } from './kinesis';
export { s3Client } from './s3';
export { snsClient } from './sns';
export { sqsClient } from './sqs';
export { firehoseClient } from './firehose';
