import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { baseConfig, overridden, type ClientOptions } from './options';

/** The Kinesis client (producers, replay, local mode). */
export const kinesisClient = (options: ClientOptions = {}): KinesisClient =>
  new KinesisClient({
    ...baseConfig('KINESIS', options),
    // The Kinesis client speaks HTTP/2 by default, which kinesalite does not: use HTTP/1.1 when overridden.
    ...(overridden('KINESIS', options) ? { requestHandler: new NodeHttpHandler() } : {}),
  });
