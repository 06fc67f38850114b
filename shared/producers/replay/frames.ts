import { JsonScanner } from '../../records/json';
import { KINESIS_MAX_RECORD_BYTES } from '../../records/limits';

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

/**
 * A record longer than Kinesis accepts cannot be replayed; saying so at its first byte (instead of at the put)
 * also keeps a file without line ends or with an unclosed object from being buffered whole.
 */
function tooLong(start: number): ReplayFormatError {
  return new ReplayFormatError(
    `the record at byte ${start} is longer than ${KINESIS_MAX_RECORD_BYTES} bytes, Kinesis's record limit`,
    start,
  );
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
      if (stop - from > KINESIS_MAX_RECORD_BYTES) throw tooLong(carryStart + from);
      if (stop > from) yield { bytes: buf.subarray(from, stop), start: carryStart + from, end: carryStart + nl + 1 };
      from = nl + 1;
    }
    // Copy the tail so the (possibly large) chunk it came from can be freed.
    if (buf.length - from > KINESIS_MAX_RECORD_BYTES + 2) throw tooLong(carryStart + from);
    carry = Buffer.from(buf.subarray(from));
    carryStart += from;
  }
  let stop = carry.length;
  if (stop > 0 && carry[stop - 1] === 0x0d) stop--;
  if (stop > KINESIS_MAX_RECORD_BYTES) throw tooLong(carryStart);
  if (stop > 0) yield { bytes: carry.subarray(0, stop), start: carryStart, end: carryStart + carry.length };
}

/**
 * JSON objects concatenated with nothing (what Firehose writes to S3 without a delimiter), whitespace,
 * newlines (NDJSON) or commas between them, found by the record kernel's scanner (shared/records/json.ts), so
 * objects split across chunks and strings holding braces are both fine. Anything else between objects (CSV, an
 * array) is a ReplayFormatError at its byte.
 */
export async function* jsonFrames(chunks: AsyncIterable<Uint8Array | string>, startOffset = 0): AsyncGenerator<Frame> {
  let carry = Buffer.alloc(0);
  let carryStart = startOffset; // file offset of carry[0]
  const scanner = new JsonScanner(true);
  for await (const chunk of chunks) {
    const buf = carry.length ? Buffer.concat([carry, toBuffer(chunk)]) : toBuffer(chunk);
    for (let ev = scanner.next(buf); ev; ev = scanner.next(buf)) {
      if (ev.kind === 'stray') {
        throw new ReplayFormatError(
          `expected a JSON object at byte ${carryStart + ev.at} but found ${JSON.stringify(String.fromCharCode(buf[ev.at]!))}: is this file CSV? (--format csv)`,
          carryStart + ev.at,
        );
      }
      if (ev.end - ev.start > KINESIS_MAX_RECORD_BYTES) throw tooLong(carryStart + ev.start);
      yield { bytes: buf.subarray(ev.start, ev.end), start: carryStart + ev.start, end: carryStart + ev.end };
    }
    // Keep only the unfinished object (if any); everything before it has been yielded or was whitespace.
    const keepFrom = scanner.start >= 0 ? scanner.start : buf.length;
    if (buf.length - keepFrom > KINESIS_MAX_RECORD_BYTES) throw tooLong(carryStart + keepFrom);
    carry = Buffer.from(buf.subarray(keepFrom));
    carryStart += keepFrom;
    scanner.shift(keepFrom);
  }
  if (scanner.open) throw new ReplayFormatError(`the file ends inside a JSON object that starts at byte ${carryStart}`, carryStart);
}
