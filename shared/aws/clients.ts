import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SNSClient } from '@aws-sdk/client-sns';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * The one place AWS clients are made. Endpoints follow the SDK's standard `AWS_ENDPOINT_URL` /
 * `AWS_ENDPOINT_URL_<SERVICE>` variables, so local mode and tests point them at dynalite/kinesalite.
 */
export interface ClientOptions {
  region?: string;
  endpoint?: string;
}

const region = (options: ClientOptions): string =>
  options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';

/** True when some endpoint override is in force for the service (explicitly or through the environment). */
const overridden = (service: string, options: ClientOptions): boolean =>
  Boolean(options.endpoint ?? process.env[`AWS_ENDPOINT_URL_${service}`] ?? process.env.AWS_ENDPOINT_URL);

/** Local emulators accept any credentials; give the SDK some so it does not go looking for a profile. */
const localCredentials = (service: string, options: ClientOptions) =>
  overridden(service, options) && !process.env.AWS_ACCESS_KEY_ID
    ? { accessKeyId: 'local', secretAccessKey: 'local' }
    : undefined;

export const dynamoDocumentClient = (options: ClientOptions = {}): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: region(options),
      endpoint: options.endpoint,
      credentials: localCredentials('DYNAMODB', options),
    }),
    { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } },
  );

export const dynamoClient = (options: ClientOptions = {}): DynamoDBClient =>
  new DynamoDBClient({ region: region(options), endpoint: options.endpoint, credentials: localCredentials('DYNAMODB', options) });

export const kinesisClient = (options: ClientOptions = {}): KinesisClient =>
  new KinesisClient({
    region: region(options),
    endpoint: options.endpoint,
    credentials: localCredentials('KINESIS', options),
    // The Kinesis client speaks HTTP/2 by default, which kinesalite does not: use HTTP/1.1 when overridden.
    ...(overridden('KINESIS', options) ? { requestHandler: new NodeHttpHandler() } : {}),
  });

export const snsClient = (options: ClientOptions = {}): SNSClient =>
  new SNSClient({ region: region(options), endpoint: options.endpoint, credentials: localCredentials('SNS', options) });

export const s3Client = (options: ClientOptions = {}): S3Client =>
  new S3Client({
    region: region(options),
    endpoint: options.endpoint,
    credentials: localCredentials('S3', options),
    forcePathStyle: overridden('S3', options),
  });

export const sqsClient = (options: ClientOptions = {}): SQSClient =>
  new SQSClient({ region: region(options), endpoint: options.endpoint, credentials: localCredentials('SQS', options) });

export const firehoseClient = (options: ClientOptions = {}): FirehoseClient =>
  new FirehoseClient({ region: region(options), endpoint: options.endpoint, credentials: localCredentials('FIREHOSE', options) });
