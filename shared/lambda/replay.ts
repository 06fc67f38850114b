import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { CONFIG_DEFAULTS } from '../config/env';
import { StreamSentinelError } from '../errors';
import type { PutRecordsClient } from '../producers/put';
import { REPLAY_FORMATS } from '../producers/replay/records';
import { replayS3Object } from '../producers/replay-s3';
import type { Logger } from './logger';

/**
 * The replay function's work, as a Lambda invoke sees it: the event validated (with an example of a good one), an
 * S3 object (CSV, NDJSON, concatenated JSON, e.g. Firehose's archive, or kept rejects; gzip or not) streamed into
 * the input stream (no temp file, which is what kept seed 000's simulator out of Lambda), stopping before the
 * invoke's time budget runs out with the event that continues it: `{"source": …, "from": position}`.
 *
 * zod/mini rather than classic zod: the same messages, and the bundle is half the size without classic zod.
 */

export const replayEventSchema = z.object({
  source: z.string().check(z.regex(/^s3:\/\/[^/]+\/.+/, 'source must be an S3 object URI: s3://<bucket>/<key>')),
  /** A previous run's position: bytes of the object, or uncompressed bytes of a gzip object. */
  from: z._default(z.number().check(z.int(), z.minimum(0, "from must be a byte offset ≥ 0 (a previous run's position)")), 0),
  format: z._default(z.enum(REPLAY_FORMATS), 'auto'),
  timeField: z.optional(z.string().check(z.minLength(1))),
  keyField: z.optional(z.string().check(z.minLength(1))),
  /** N× the file's own pace, or "max" (default): as fast as the stream accepts. */
  speed: z._default(z.union([z.literal('max'), z.number().check(z.positive())]), 'max'),
});

export type ReplayEvent = z.input<typeof replayEventSchema>;

export interface ReplayResult {
  source: string;
  /** Where the next run starts: bytes of the object, or uncompressed bytes when `gzip`. */
  position: number;
  recordsSent: number;
  done: boolean;
  /** Present (true) when the object is gzip: it was decompressed, and `position` counts uncompressed bytes. */
  gzip?: true;
  /** Kept rejects not sent (format rejects): repeats of a record already sent, data cut at 64 KiB when kept. */
  skipped?: { repeat: number; cut: number };
  /** The event that continues the replay; absent when done. */
  next?: ReplayEvent;
}

export interface ReplayDeps {
  s3: Pick<S3Client, 'send'>;
  kinesis: PutRecordsClient;
  streamName: string;
  /** Stop taking records when less than this is left of the invoke (default CONFIG_DEFAULTS.replayReserveMs). */
  reserveMs?: number;
  logger?: Pick<Logger, 'info'>;
}

/** The event is wrong; the message says what to fix. */
export class ReplayEventError extends StreamSentinelError {
  override name = 'ReplayEventError';
}

export function createReplayHandler(
  deps: ReplayDeps,
): (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<ReplayResult> {
  const reserveMs = deps.reserveMs ?? CONFIG_DEFAULTS.replayReserveMs;
  return async (raw, context) => {
    const parsed = replayEventSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ReplayEventError(
        `invalid replay event: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}. Example: {"source":"s3://bucket/key","from":0}`,
      );
    }
    const event = parsed.data;
    deps.logger?.info('replay starting', {
      source: event.source,
      from: event.from,
      format: event.format,
      speed: event.speed,
      stream: deps.streamName,
    });
    const result = await replayS3Object({
      s3: deps.s3,
      kinesis: deps.kinesis,
      streamName: deps.streamName,
      source: event.source,
      from: event.from,
      format: event.format,
      ...(event.timeField ? { timeField: event.timeField } : {}),
      ...(event.keyField ? { keyField: event.keyField } : {}),
      ...(event.speed !== 'max' ? { speed: event.speed } : {}),
      shouldStop: () => context.getRemainingTimeInMillis() < reserveMs,
    });
    const out: ReplayResult = { source: result.source, position: result.position, recordsSent: result.recordsSent, done: result.done };
    if (result.gzip) out.gzip = true;
    if (result.skipped.repeat + result.skipped.cut > 0) out.skipped = result.skipped;
    // The next event names the format that was read, so a resumed run does not have to detect it again.
    if (!result.done)
      out.next = {
        ...(raw as object),
        source: event.source,
        from: result.position,
        ...(result.format ? { format: result.format } : {}),
      } as ReplayEvent;
    deps.logger?.info('replay stopped', {
      ...out,
      format: result.format,
      failed: result.summary.failed,
      throttled: result.summary.throttled,
      seconds: result.summary.elapsedMs / 1000,
    });
    return out;
  };
}
