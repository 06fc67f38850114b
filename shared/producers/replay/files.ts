import { closeSync, createReadStream, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { ReplayReadOptions, ReplayRecord } from './records';
import { openReplaySource, type ByteSource } from './source';

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

/** A local file as a replay's byte source. */
function fileSource(file: string): ByteSource {
  return {
    open: async (start, last) => ({
      body: createReadStream(file, { start, ...(last !== undefined ? { end: last } : {}), highWaterMark: 256 * 1024 }),
      size: statSync(file).size,
    }),
    head: async () => {
      const fd = openSync(file, 'r');
      try {
        const head = Buffer.alloc(HEAD_BYTES);
        return head.subarray(0, readSync(fd, head, 0, HEAD_BYTES, 0));
      } finally {
        closeSync(fd);
      }
    },
  };
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
    const { records } = await openReplaySource(fileSource(file), start, {
      ...options,
      seenRejects,
      defaultKey: options.defaultKey ?? fileKey(file),
    });
    for await (const record of records) {
      yield { ...record, index: index++, file };
    }
  }
}
