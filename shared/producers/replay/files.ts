import { closeSync, createReadStream, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { decodeChunks, firstBytes, isGzip, skipBytes } from './gzip';
import { readReplayRecords, resumeReadOptions, seenRejectsIn, type ReplayReadOptions, type ReplayRecord } from './records';

/** A record read from a local file or directory, with the file it came from. */
export type FileReplayRecord = ReplayRecord & { file: string };

/** The files a path stands for: the file itself, or a directory's files in name order (Firehose names sort by time). */
export function replayFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => join(path, e.name))
    .sort();
}

/** The partition key of records without a key field: the file's name without extension (a NAB series' name). */
export const fileKey = (file: string): string => basename(file.replace(/\.gz$/i, ''), extname(file.replace(/\.gz$/i, ''))) || 'replay';

const HEAD_BYTES = 64 * 1024;

/** A file's first bytes: gzip's magic bytes, or the first line of a plain file read from an offset. */
function readHead(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    return head.subarray(0, readSync(fd, head, 0, HEAD_BYTES, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * One file's records from `start` (uncompressed bytes for a gzip file, which is decompressed from its start and
 * skipped up to there; a plain file is read from there). A read from an offset takes the format (when auto) and
 * the CSV header from the file's first line; a rejects file's lines before the offset are read for the records
 * already sent.
 */
async function* fileRecords(file: string, start: number, options: ReplayReadOptions): AsyncGenerator<ReplayRecord> {
  const stream = (from: number) => createReadStream(file, { start: from, highWaterMark: 256 * 1024 });
  if (start === 0) {
    const { chunks } = await decodeChunks(stream(0));
    yield* readReplayRecords(chunks, { ...options, startOffset: 0 });
    return;
  }
  const head = readHead(file);
  const gzip = isGzip(head);
  let rest: AsyncIterable<Uint8Array>;
  let read: ReplayReadOptions;
  if (gzip) {
    const skipped = await skipBytes((await decodeChunks(stream(0))).chunks, start, HEAD_BYTES);
    rest = skipped.rest;
    read = resumeReadOptions(options, skipped.head);
  } else {
    rest = stream(start);
    read = resumeReadOptions(options, head);
  }
  if (read.format === 'rejects') {
    const prefix = gzip ? firstBytes((await decodeChunks(stream(0))).chunks, start) : createReadStream(file, { start: 0, end: start - 1 });
    read.seenRejects = await seenRejectsIn(prefix, read.seenRejects);
  }
  yield* readReplayRecords(rest, { ...read, startOffset: start });
}

/**
 * Streams the records of a local file, or of every file in a directory, without reading any file whole; gzip
 * files (by their magic bytes) are decompressed as they are read. Offsets are per file and count uncompressed
 * bytes; `startOffset` applies to a single file only.
 */
export async function* readReplayFile(path: string, options: ReplayReadOptions = {}): AsyncGenerator<FileReplayRecord> {
  const files = replayFiles(path);
  // Kept rejects are sent once across the files of a directory.
  const seenRejects = options.seenRejects ?? new Set<string>();
  let index = 0;
  for (const file of files) {
    const start = files.length === 1 ? (options.startOffset ?? 0) : 0;
    for await (const record of fileRecords(file, start, { ...options, seenRejects, defaultKey: options.defaultKey ?? fileKey(file) })) {
      yield { ...record, index: index++, file };
    }
  }
}
