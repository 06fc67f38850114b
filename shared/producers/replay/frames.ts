/**
 * Framing of a replayed file into records without holding it whole: chunks in, one Buffer per record out,
 * each with the byte offset just past it (where a later run continues). Pure; works on any byte chunks.
 */

export interface Frame {
  bytes: Buffer;
  /** Byte offset (in the file) where the record starts. */
  start: number;
  /** Byte offset just past the record (and its line end, for lines). */
  end: number;
}

/** The file is not in the format being read; `offset` is the byte where that became clear. */
export class ReplayFormatError extends Error {
  override name = 'ReplayFormatError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export const toBuffer = (chunk: Uint8Array | string): Buffer =>
  typeof chunk === 'string'
    ? Buffer.from(chunk, 'utf8')
    : Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);

/** Non-empty lines ("\n" or "\r\n"); a last line without a newline counts too. */
export async function* lineFrames(chunks: AsyncIterable<Uint8Array | string>, startOffset = 0): AsyncGenerator<Frame> {
  let carry = Buffer.alloc(0);
  let carryStart = startOffset;
  for await (const chunk of chunks) {
    const buf = carry.length ? Buffer.concat([carry, toBuffer(chunk)]) : toBuffer(chunk);
    let from = 0;
    for (let nl = buf.indexOf(0x0a, from); nl >= 0; nl = buf.indexOf(0x0a, from)) {
      const stop = nl > from && buf[nl - 1] === 0x0d ? nl - 1 : nl;
      if (stop > from) yield { bytes: buf.subarray(from, stop), start: carryStart + from, end: carryStart + nl + 1 };
      from = nl + 1;
    }
    // Copy the tail so the (possibly large) chunk it came from can be freed.
    carry = Buffer.from(buf.subarray(from));
    carryStart += from;
  }
  let stop = carry.length;
  if (stop > 0 && carry[stop - 1] === 0x0d) stop--;
  if (stop > 0) yield { bytes: carry.subarray(0, stop), start: carryStart, end: carryStart + carry.length };
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * JSON objects concatenated with nothing (what Firehose writes to S3 without a delimiter), whitespace,
 * newlines (NDJSON) or commas between them. A scanner that knows strings and escapes finds where each object
 * ends, so objects split across chunks and strings holding braces are both fine. Structural characters are
 * ASCII and never occur inside a UTF-8 multi-byte sequence, which is why scanning bytes is safe.
 */
export async function* jsonFrames(chunks: AsyncIterable<Uint8Array | string>, startOffset = 0): AsyncGenerator<Frame> {
  let carry = Buffer.alloc(0);
  let carryStart = startOffset; // file offset of carry[0]
  let depth = 0;
  let inString = false;
  let escaped = false;
  let objectStart = -1; // index in carry/buf of the current object's "{", or -1 between objects
  let scanned = 0; // bytes of carry already scanned
  for await (const chunk of chunks) {
    const buf = carry.length ? Buffer.concat([carry, toBuffer(chunk)]) : toBuffer(chunk);
    let i = scanned;
    for (; i < buf.length; i++) {
      const c = buf[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
        continue;
      }
      if (depth === 0) {
        if (c === 0x7b) {
          objectStart = i;
          depth = 1;
        } else if (!isSpace(c) && c !== 0x2c) {
          throw new ReplayFormatError(
            `expected a JSON object at byte ${carryStart + i} but found ${JSON.stringify(String.fromCharCode(c))}: is this file CSV? (--format csv)`,
            carryStart + i,
          );
        }
        continue;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) {
          yield { bytes: buf.subarray(objectStart, i + 1), start: carryStart + objectStart, end: carryStart + i + 1 };
          objectStart = -1;
        }
      }
    }
    // Keep only the unfinished object (if any); everything before it has been yielded or was whitespace.
    const keepFrom = objectStart >= 0 ? objectStart : buf.length;
    carry = Buffer.from(buf.subarray(keepFrom));
    carryStart += keepFrom;
    if (objectStart >= 0) objectStart = 0;
    scanned = carry.length;
  }
  if (depth > 0) throw new ReplayFormatError(`the file ends inside a JSON object that starts at byte ${carryStart}`, carryStart);
}
