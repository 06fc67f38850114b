import type { S3Client } from '@aws-sdk/client-s3';
import { produce, type ProduceOptions, type ProduceSummary, type PutRecordsClient } from './put';
import {
  readReplayRecords,
  resumeReadOptions,
  seenRejectsIn,
  type ReplayFormat,
  type ReplayReadOptions,
  type ReplayRecord,
} from './replay';
import { decodeChunks, firstBytes, isGzip, skipBytes } from './replay/gzip';
import { listS3Keys, openS3Object, parseS3Uri, readHead, type S3Location } from './s3';
import { fileKey } from './replay/files';

/**
 * Replays one S3 object into a stream, from a byte offset, until it ends or `shouldStop` says to stop
 * (the Lambda's time budget). What the replay Lambda runs and what `replay s3://…` runs for each object.
 *
 * Gzip objects (Firehose's archive and rejects; recognised by their magic bytes, not their key) are decompressed
 * as they stream. Their offsets count uncompressed bytes: a gzip stream has no entry point in the middle, so a
 * resumed read GETs the object from its start and decompresses and drops everything before the offset. A plain
 * object is resumed with a ranged GET from the offset. A resumed rejects object is also read up to the offset
 * once more, for the records the previous run sent (whose repeats after the offset are not sent again).
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

interface OpenedObject {
  records: AsyncIterable<ReplayRecord>;
  gzip: boolean;
  /** Stored size: the end of a plain object. */
  size?: number;
  /** Bytes read to the end so far (uncompressed for gzip), counting any skipped before `from`. */
  bytesRead: () => number;
}

/** An object's records from `from`: decompressed when gzip, resumed by a ranged GET when plain. */
async function openObject(s3: Pick<S3Client, 'send'>, location: S3Location, from: number, read: ReplayReadOptions): Promise<OpenedObject> {
  let bytes = 0;
  const counted = async function* (chunks: AsyncIterable<Uint8Array>) {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      yield chunk;
    }
  };
  if (from === 0) {
    const { body, size } = await openS3Object(s3, location, 0);
    const { gzip, chunks } = await decodeChunks(body);
    return {
      records: readReplayRecords(counted(chunks), { ...read, startOffset: 0 }),
      gzip,
      ...(size !== undefined ? { size } : {}),
      bytesRead: () => bytes,
    };
  }
  // A resumed read starts mid-object: the object's first bytes say whether it is gzip, its format and a CSV header.
  const head = await readHead(s3, location);
  const gzip = isGzip(head);
  // The records a rejects object kept before `from` were sent by the run that stopped there: their repeats
  // after it are not sent again. (Read before the resumed read's GET, which would otherwise sit idle.)
  const seedRejects = async (resumed: ReplayReadOptions) => {
    if (resumed.format !== 'rejects') return;
    const prefix = gzip
      ? firstBytes((await decodeChunks((await openS3Object(s3, location, 0)).body)).chunks, from)
      : (await openS3Object(s3, location, 0, from - 1)).body;
    resumed.seenRejects = await seenRejectsIn(prefix, resumed.seenRejects);
  };
  let rest: AsyncIterable<Uint8Array>;
  let resumed: ReplayReadOptions;
  let size: number | undefined;
  if (gzip) {
    // The format is in the decompressed first line, known once the skip has begun.
    const skipped = await skipBytes((await decodeChunks((await openS3Object(s3, location, 0)).body)).chunks, from);
    bytes = skipped.skipped;
    rest = skipped.rest;
    resumed = resumeReadOptions(read, skipped.head);
    await seedRejects(resumed);
  } else {
    resumed = resumeReadOptions(read, head);
    await seedRejects(resumed);
    const object = await openS3Object(s3, location, from);
    bytes = from;
    rest = object.body;
    size = object.size;
  }
  return {
    records: readReplayRecords(counted(rest), { ...resumed, startOffset: from }),
    gzip,
    ...(size !== undefined ? { size } : {}),
    bytesRead: () => bytes,
  };
}

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
  const object = await openObject(options.s3, location, from, read);
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
    const object = await openObject(s3, { bucket: location.bucket, key }, from, { ...rest, seenRejects, defaultKey: fileKey(key) });
    for await (const record of object.records) yield { ...record, index: index++, file: `s3://${location.bucket}/${key}` };
  }
}
