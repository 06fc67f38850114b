import { FirehoseClient } from '@aws-sdk/client-firehose';
import { baseConfig, type ClientOptions } from './options';

/** The Firehose client (kept rejects). */
export const firehoseClient = (options: ClientOptions = {}): FirehoseClient => new FirehoseClient(baseConfig('FIREHOSE', options));
