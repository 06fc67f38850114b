import { SQSClient } from '@aws-sdk/client-sqs';
import { baseConfig, type ClientOptions } from './options';

/** The SQS client (the failure queue, read by tests and operations tooling). */
export const sqsClient = (options: ClientOptions = {}): SQSClient => new SQSClient(baseConfig('SQS', options));
