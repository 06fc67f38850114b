import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { StreamSentinelError } from '../errors';

/** Streaming reads of replay sources in S3: no temp files, no whole-object buffering. */

export interface S3Location {
  bucket: string;
  key: string;
}

export class S3SourceError extends StreamSentinelError {}

export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m || !m[1]) throw new S3SourceError(`"${uri}" is not an S3 URI: write s3://<bucket>/<key>`);
  return { bucket: m[1], key: m[2] ?? '' };
}

export const isS3Uri = (source: string) => source.startsWith('s3://');

/**
 * The object's bytes from `from` on (up to and including byte `last`, when given), as the response body stream
 * (a Node Readable in Lambda and the CLI).
 */
export async function openS3Object(
  client: Pick<S3Client, 'send'>,
  location: S3Location,
  from = 0,
  last?: number,
): Promise<{ body: AsyncIterable<Uint8Array>; size?: number }> {
  if (!location.key) throw new S3SourceError(`s3://${location.bucket}/ names no object: add its key`);
  try {
    const range = from > 0 || last !== undefined ? `bytes=${from}-${last ?? ''}` : undefined;
    const out = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key, ...(range ? { Range: range } : {}) }));
    const body = out.Body as (Readable & AsyncIterable<Uint8Array>) | undefined;
    if (!body) throw new S3SourceError(`s3://${location.bucket}/${location.key} has no body`);
    const size = out.ContentRange ? Number(out.ContentRange.split('/')[1]) : out.ContentLength;
    return { body, ...(size !== undefined && Number.isFinite(size) ? { size } : {}) };
  } catch (error) {
    // Asking for bytes past the end means the previous run had already read everything.
    if ((error as { name?: string }).name === 'InvalidRange') return { body: (async function* () {})(), size: from };
    throw error;
  }
}

/**
 * The first bytes of an object (gzip's magic bytes; the format and CSV header of a read resumed past them),
 * read with a small ranged GET. Empty for an empty object.
 */
export async function readHead(client: Pick<S3Client, 'send'>, location: S3Location, maxBytes = 64 * 1024): Promise<Buffer> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key, Range: `bytes=0-${maxBytes - 1}` }));
    return out.Body ? Buffer.from(await out.Body.transformToByteArray()) : Buffer.alloc(0);
  } catch (error) {
    if ((error as { name?: string }).name === 'InvalidRange') return Buffer.alloc(0);
    throw error;
  }
}

/** Keys under a prefix in key order (Firehose's time-ordered names), for replaying a whole prefix. */
export async function* listS3Keys(client: Pick<S3Client, 'send'>, location: S3Location): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: location.bucket, Prefix: location.key, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) yield o.Key;
    token = page.NextContinuationToken;
  } while (token);
}
