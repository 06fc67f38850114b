import { SNSClient } from '@aws-sdk/client-sns';
import { baseConfig, type ClientOptions } from './options';

/** The SNS client (the alerts topic). */
export const snsClient = (options: ClientOptions = {}): SNSClient => new SNSClient(baseConfig('SNS', options));
