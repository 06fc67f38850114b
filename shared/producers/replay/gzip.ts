import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ReplayFormatError, toBuffer } from './frames';
import { peek, resume } from './peek';

/**
 * Gzip sources (Firehose writes the archive and the rejects with `CompressionFormat: GZIP`): recognised by their
 * first two bytes, never by their name, and decompressed as a stream. Offsets in a gzip source count
 * uncompressed bytes: a gzip stream cannot be entered in the middle, so a resumed read decompresses from the
 * start and skips that many bytes (`skipBytes`).
 */

/** gzip's magic bytes (RFC 1952): ID1 0x1f, ID2 0x8b. */
export const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

export interface DecodedChunks {
  /** The source started with gzip's magic bytes and `chunks` are its decompressed bytes. */
  gzip: boolean;
  chunks: AsyncIterable<Buffer>;
}

/**
 * The source's bytes, decompressed when they start with gzip's magic bytes, else as they are. Nothing is read
 * beyond the first chunk(s) until `chunks` is iterated; stopping early releases the source (an S3 body's socket).
 */
export async function decodeChunks(source: AsyncIterable<Uint8Array | string>): Promise<DecodedChunks> {
  const { head, all } = await peek(source, (seen) => seen.reduce((n, chunk) => n + chunk.length, 0) >= 2);
  const chunks = asBuffers(all);
  return isGzip(Buffer.concat(head.map(toBuffer))) ? { gzip: true, chunks: gunzip(chunks) } : { gzip: false, chunks };
}

async function* asBuffers(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<Buffer> {
  for await (const chunk of source) yield toBuffer(chunk);
}

const isZlibError = (error: unknown) => /^Z_/.test(String((error as { code?: unknown }).code ?? ''));

async function* gunzip(compressed: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const inflate = createGunzip({ chunkSize: 64 * 1024 });
  // pipeline: an error on either side destroys the other; a consumer that stops early destroys `inflate`,
  // which ends the source too (and with it the S3 response). Errors reach the consumer through `inflate`.
  pipeline(Readable.from(compressed), inflate, () => undefined);
  let out = 0;
  try {
    for await (const chunk of inflate as AsyncIterable<Buffer>) {
      out += chunk.length;
      yield chunk;
    }
  } catch (error) {
    if (isZlibError(error))
      throw new ReplayFormatError(
        `the gzip data is corrupt or cut short after ${out} uncompressed bytes (${(error as Error).message})`,
        out,
      );
    throw error;
  }
}

export interface Skipped {
  /** The source's first bytes (up to its first line end, at most `headBytes`): format and CSV header of a resumed read. */
  head: Buffer;
  /** The bytes from offset `n` on. */
  rest: AsyncIterable<Buffer>;
  /** Bytes skipped: `n`, or fewer when the source is shorter. */
  skipped: number;
}

/**
 * Reads and drops the first `n` bytes of a (decompressed) source, keeping its first line for the resumed
 * read's format and header. What a resumed gzip read costs: decompressing everything before `n` again.
 */
export async function skipBytes(source: AsyncIterable<Uint8Array | string>, n: number, headBytes = 64 * 1024): Promise<Skipped> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let headDone = false;
  const pending: Buffer[] = [];
  let position = 0;
  let ended = false;
  while (position < n || !headDone) {
    const next = await it.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = toBuffer(next.value);
    if (!headDone) {
      const part = chunk.subarray(0, headBytes - headLength);
      head.push(part);
      headLength += part.length;
      headDone = headLength >= headBytes || part.includes(0x0a);
    }
    if (position + chunk.length > n) pending.push(chunk.subarray(Math.max(0, n - position)));
    position += chunk.length;
  }
  return { head: Buffer.concat(head), rest: asBuffers(resume(pending, it, ended)), skipped: Math.min(n, position) };
}

/** The first `n` bytes of a source, then it is released (a prefix read again: the kept rejects before an offset). */
export async function* firstBytes(source: AsyncIterable<Uint8Array | string>, n: number): AsyncGenerator<Buffer> {
  let left = n;
  if (left <= 0) return;
  for await (const chunk of source) {
    const bytes = toBuffer(chunk);
    yield bytes.length > left ? bytes.subarray(0, left) : bytes;
    left -= bytes.length;
    if (left <= 0) return;
  }
}
