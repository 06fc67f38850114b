import type { S3Client } from '@aws-sdk/client-s3';
import { produce, type ProduceOptions, type ProduceSummary, type PutRecordsClient } from './put';
import { csvHeader, detectFormat, readReplayRecords, type ReplayFormat, type ReplayReadOptions, type ReplayRecord } from './replay';
import { listS3Keys, openS3Object, parseS3Uri, readFirstLine } from './s3';
import { fileKey } from './replay/files';

/**
 * Replays one S3 object into a stream, from a byte offset, until it ends or `shouldStop` says to stop
 * (the Lambda's time budget). What the replay Lambda runs and what `replay s3://…` runs for each object.
 */

export interface S3ReplayOptions {
  s3: Pick<S3Client, 'send'>;
  kinesis: PutRecordsClient;
  streamName: string;
  source: string;
  /** Byte offset to continue from (a previous run's `position`). */
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
  /** Byte offset just past the last record sent: pass it back as `from` to continue. */
  position: number;
  recordsSent: number;
  /** True when the object has been read to its end. */
  done: boolean;
  summary: ProduceSummary<ReplayRecord>;
}

export async function replayS3Object(options: S3ReplayOptions): Promise<S3ReplayResult> {
  const location = parseS3Uri(options.source);
  const from = options.from ?? 0;
  const read: ReplayReadOptions = {
    format: options.format ?? 'auto',
    startOffset: from,
    defaultKey: fileKey(location.key),
    ...(options.timeField !== undefined ? { timeField: options.timeField } : {}),
    ...(options.keyField !== undefined ? { keyField: options.keyField } : {}),
  };
  if (from > 0) {
    // A resumed read starts mid-file: the format and a CSV header come from the object's first line.
    const first = await readFirstLine(options.s3, location);
    if (read.format === 'auto') read.format = detectFormat(Buffer.from(first));
    if (read.format === 'csv') read.header = csvHeader(first) ?? 'none';
  }
  const { body, size } = await openS3Object(options.s3, location, from);
  let exhausted = false;
  const records = (async function* () {
    yield* readReplayRecords(body, read);
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
  // Stopping right after the object's last byte is done too.
  const done = exhausted || (size !== undefined && position >= size);
  return {
    source: options.source,
    position: exhausted && size !== undefined ? Math.max(position, size) : position,
    recordsSent: summary.sent,
    done,
    summary,
  };
}

/**
 * The records of an S3 object, or of every object under a prefix (a URI ending in "/"), in key order, as one
 * stream: what `replay s3://…` feeds to a single produce run so that pacing spans the objects.
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
  let index = 0;
  for (const key of keys) {
    const from = keys.length === 1 ? (read.from ?? 0) : 0;
    const options: ReplayReadOptions = { ...read, startOffset: from, defaultKey: fileKey(key) };
    if (from > 0) {
      const first = await readFirstLine(s3, { bucket: location.bucket, key });
      if ((options.format ?? 'auto') === 'auto') options.format = detectFormat(Buffer.from(first));
      if (options.format === 'csv' && !Array.isArray(options.header)) options.header = csvHeader(first) ?? 'none';
    }
    const { body } = await openS3Object(s3, { bucket: location.bucket, key }, from);
    for await (const record of readReplayRecords(body, options))
      yield { ...record, index: index++, file: `s3://${location.bucket}/${key}` };
  }
}
