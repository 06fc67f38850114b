import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';

/** Streaming reads of replay sources in S3: no temp files, no whole-object buffering. */

export interface S3Location {
  bucket: string;
  key: string;
}

export class S3SourceError extends Error {
  override name = 'S3SourceError';
}

export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m || !m[1]) throw new S3SourceError(`"${uri}" is not an S3 URI: write s3://<bucket>/<key>`);
  return { bucket: m[1], key: m[2] ?? '' };
}

export const isS3Uri = (source: string) => source.startsWith('s3://');

/** The object's bytes from `from` on, as the response body stream (a Node Readable in Lambda and the CLI). */
export async function openS3Object(
  client: Pick<S3Client, 'send'>,
  location: S3Location,
  from = 0,
): Promise<{ body: AsyncIterable<Uint8Array>; size?: number }> {
  if (!location.key) throw new S3SourceError(`s3://${location.bucket}/ names no object: add its key`);
  try {
    const out = await client.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: location.key, ...(from > 0 ? { Range: `bytes=${from}-` } : {}) }),
    );
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

/** The first line of an object (a CSV header, when a resumed read starts past it), read with a small ranged GET. */
export async function readFirstLine(client: Pick<S3Client, 'send'>, location: S3Location, maxBytes = 64 * 1024): Promise<string> {
  const out = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key, Range: `bytes=0-${maxBytes - 1}` }));
  const text = out.Body ? await out.Body.transformToString('utf8') : '';
  const nl = text.indexOf('\n');
  return (nl >= 0 ? text.slice(0, nl) : text).replace(/\r$/, '').replace(/^\uFEFF/, '');
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
