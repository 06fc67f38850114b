import { S3Client } from '@aws-sdk/client-s3';
import { baseConfig, overridden, type ClientOptions } from './options';

/** The S3 client (replay reads the archive); path-style addressing when pointed at a local endpoint. */
export const s3Client = (options: ClientOptions = {}): S3Client =>
  new S3Client({ ...baseConfig('S3', options), forcePathStyle: overridden('S3', options) });
