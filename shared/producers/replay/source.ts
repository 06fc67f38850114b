import { decodeChunks, firstBytes, isGzip, skipBytes } from './gzip';
import { readReplayRecords, resumeReadOptions, seenRejectsIn, type ReplayReadOptions, type ReplayRecord } from './records';

/** Where a replay's bytes come from: a local file or an S3 object. */
export interface ByteSource {
  /** The bytes from `start` (to `last` inclusive when given), and the source's whole size when known. */
  open(start: number, last?: number): Promise<{ body: AsyncIterable<Uint8Array>; size?: number }>;
  /** The first bytes (up to 64 KiB): gzip's magic bytes, the format and CSV header of a read from an offset. */
  head(): Promise<Buffer>;
}

export interface OpenedRecords {
  records: AsyncIterable<ReplayRecord>;
  gzip: boolean;
  /** Stored size: the end of a plain source read from an offset, when the source says. */
  size?: number;
  /** Bytes read to the end so far (uncompressed for gzip), counting those skipped before `from`. */
  bytesRead: () => number;
}

/**
 * A source's records from `from`, the one way the replay CLI and the replay Lambda read files and objects.
 * Gzip (by its magic bytes) is decompressed as it streams, and its offsets count uncompressed bytes: a gzip
 * stream has no entry point in the middle, so a read from an offset decompresses from the start and drops
 * everything before it. A plain source is read from the offset. A read from an offset takes the format (when
 * auto) and a CSV header from the source's first line; a rejects source is also read up to the offset once
 * more, for the records the previous run sent, whose repeats after the offset are not sent again.
 */
export async function openReplaySource(source: ByteSource, from: number, options: ReplayReadOptions): Promise<OpenedRecords> {
  let bytes = 0;
  const counted = async function* (chunks: AsyncIterable<Uint8Array>) {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      yield chunk;
    }
  };
  const decoded = async () => (await decodeChunks((await source.open(0)).body)).chunks;
  if (from === 0) {
    const { body, size } = await source.open(0);
    const { gzip, chunks } = await decodeChunks(body);
    return {
      records: readReplayRecords(counted(chunks), { ...options, startOffset: 0 }),
      gzip,
      ...(size !== undefined ? { size } : {}),
      bytesRead: () => bytes,
    };
  }
  const head = await source.head();
  const gzip = isGzip(head);
  const seedRejects = async (read: ReplayReadOptions) => {
    if (read.format !== 'rejects') return;
    const prefix = gzip ? firstBytes(await decoded(), from) : (await source.open(0, from - 1)).body;
    read.seenRejects = await seenRejectsIn(prefix, read.seenRejects);
  };
  let rest: AsyncIterable<Uint8Array>;
  let read: ReplayReadOptions;
  let size: number | undefined;
  if (gzip) {
    // The format is in the decompressed first line, known once the skip has begun.
    const skipped = await skipBytes(await decoded(), from);
    bytes = skipped.skipped;
    rest = skipped.rest;
    read = resumeReadOptions(options, skipped.head);
    await seedRejects(read);
  } else {
    read = resumeReadOptions(options, head);
    // Before the resumed read's own open, which would otherwise sit idle meanwhile (an S3 socket).
    await seedRejects(read);
    const opened = await source.open(from);
    bytes = from;
    rest = opened.body;
    size = opened.size;
  }
  return {
    records: readReplayRecords(counted(rest), { ...read, startOffset: from }),
    gzip,
    ...(size !== undefined ? { size } : {}),
    bytesRead: () => bytes,
  };
}
