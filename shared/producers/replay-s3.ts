import type { S3Client } from '@aws-sdk/client-s3';
import { produce, type ProduceOptions, type ProduceSummary, type PutRecordsClient } from './put';
import type { ReplayFormat, ReplayReadOptions, ReplayRecord } from './replay';
import { openReplaySource, type ByteSource } from './replay/source';
import { listS3Keys, openS3Object, parseS3Uri, readHead, type S3Location } from './s3';
import { fileKey } from './replay/files';

/**
 * Replays one S3 object into a stream, from a byte offset, until it ends or `shouldStop` says to stop
 * (the Lambda's time budget). What the replay Lambda runs and what `replay s3://…` runs for each object.
 * Gzip objects and offsets: replay/source.ts (a plain object is resumed with a ranged GET).
 */

export interface S3ReplayOptions {
  s3: Pick<S3Client, 'send'>;
  kinesis: PutRecordsClient;
  streamName: string;
  source: string;
  /** Offset to continue from (a previous run's `position`): bytes of the object, uncompressed bytes of a gzip object. */
  from?: number;
  format?: ReplayFormat | 'auto';
  timeField?: string;
  keyField?: string;
  /** N× the file's pace; undefined or Infinity = as fast as the stream accepts. */
  speed?: number;
  shouldStop?: () => boolean;
  onProgress?: ProduceOptions['onProgress'];
}

export interface S3ReplayResult {
  source: string;
  /** Offset just past the last record sent (uncompressed bytes when `gzip`): pass it back as `from` to continue. */
  position: number;
  recordsSent: number;
  /** True when the object has been read to its end. */
  done: boolean;
  /** The object is gzip: it was decompressed, and `position` counts uncompressed bytes. */
  gzip: boolean;
  /** The format read (detected when `auto` was asked for); absent when no record was read. */
  format?: ReplayFormat;
  /** Kept rejects read but not sent (format `rejects`): repeats of a record already sent, data cut when kept. */
  skipped: { repeat: number; cut: number };
  summary: ProduceSummary<ReplayRecord>;
}

/** An S3 object as a replay's byte source. */
const s3Source = (s3: Pick<S3Client, 'send'>, location: S3Location): ByteSource => ({
  open: (start, last) => openS3Object(s3, location, start, last),
  head: () => readHead(s3, location),
});

export async function replayS3Object(options: S3ReplayOptions): Promise<S3ReplayResult> {
  const location = parseS3Uri(options.source);
  const from = options.from ?? 0;
  let format: ReplayFormat | undefined;
  const skipped = { repeat: 0, cut: 0 };
  const read: ReplayReadOptions = {
    format: options.format ?? 'auto',
    defaultKey: fileKey(location.key),
    onFormat: (f) => (format = f),
    onSkip: (s) => skipped[s.reason]++,
    ...(options.timeField !== undefined ? { timeField: options.timeField } : {}),
    ...(options.keyField !== undefined ? { keyField: options.keyField } : {}),
  };
  const object = await openReplaySource(s3Source(options.s3, location), from, read);
  let exhausted = false;
  const records = (async function* () {
    yield* object.records;
    exhausted = true;
  })();
  const summary = await produce({
    client: options.kinesis,
    streamName: options.streamName,
    records,
    ...(options.speed !== undefined && Number.isFinite(options.speed) ? { speed: options.speed } : {}),
    ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const position = summary.lastRecord?.offset ?? from;
  // The end of the object: read to its end, or (plain objects, whose size is known) stopped right after its last byte.
  const end = object.gzip ? object.bytesRead() : object.size;
  const done = exhausted || (!object.gzip && end !== undefined && position >= end);
  return {
    source: options.source,
    position: exhausted && end !== undefined ? Math.max(position, end) : position,
    recordsSent: summary.sent,
    done,
    gzip: object.gzip,
    ...(format !== undefined ? { format } : {}),
    skipped,
    summary,
  };
}

/**
 * The records of an S3 object, or of every object under a prefix (a URI ending in "/"), in key order, as one
 * stream: what `replay s3://…` feeds to a single produce run so that pacing spans the objects. Kept rejects
 * are sent once across all the objects.
 */
export async function* s3ReplayRecords(
  s3: Pick<S3Client, 'send'>,
  source: string,
  read: Omit<ReplayReadOptions, 'startOffset' | 'defaultKey'> & { from?: number } = {},
): AsyncGenerator<ReplayRecord & { file: string }> {
  const location = parseS3Uri(source);
  const keys: string[] = [];
  if (location.key === '' || location.key.endsWith('/')) {
    for await (const key of listS3Keys(s3, location)) keys.push(key);
  } else keys.push(location.key);
  const { from: givenFrom, ...rest } = read;
  const seenRejects = rest.seenRejects ?? new Set<string>();
  let index = 0;
  for (const key of keys) {
    const from = keys.length === 1 ? (givenFrom ?? 0) : 0;
    const object = await openReplaySource(s3Source(s3, { bucket: location.bucket, key }), from, {
      ...rest,
      seenRejects,
      defaultKey: fileKey(key),
    });
    for await (const record of object.records) yield { ...record, index: index++, file: `s3://${location.bucket}/${key}` };
  }
}
