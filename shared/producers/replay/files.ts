import { createReadStream, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { readReplayRecords, type ReplayReadOptions, type ReplayRecord } from './records';

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
export const fileKey = (file: string): string => basename(file, extname(file)) || 'replay';

/**
 * Streams the records of a local file, or of every file in a directory, without reading any file whole.
 * Offsets are per file; `startOffset` applies to a single file only.
 */
export async function* readReplayFile(path: string, options: ReplayReadOptions = {}): AsyncGenerator<FileReplayRecord> {
  const files = replayFiles(path);
  let index = 0;
  for (const file of files) {
    const start = files.length === 1 ? (options.startOffset ?? 0) : 0;
    const stream = createReadStream(file, { start, highWaterMark: 256 * 1024 });
    for await (const record of readReplayRecords(stream, {
      ...options,
      startOffset: start,
      defaultKey: options.defaultKey ?? fileKey(file),
    })) {
      yield { ...record, index: index++, file };
    }
  }
}
