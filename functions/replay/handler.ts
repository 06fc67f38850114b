import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { kinesisClient, s3Client } from '../../shared/aws/clients';
import type { PutRecordsClient } from '../../shared/producers/put';
import { replayS3Object } from '../../shared/producers/replay-s3';

/**
 * Replays an S3 object (CSV, NDJSON or concatenated JSON, e.g. Firehose's archive) into the input stream,
 * streaming it (no temp file, which is what kept seed 000's simulator out of Lambda). It stops before its time
 * budget runs out and says where: invoke again with `{"source": …, "from": position}` to continue.
 */

export const replayEventSchema = z.object({
  source: z.string().regex(/^s3:\/\/[^/]+\/.+/, 'source must be an S3 object URI: s3://<bucket>/<key>'),
  from: z.number().int().min(0, "from must be a byte offset ≥ 0 (a previous run's position)").default(0),
  format: z.enum(['auto', 'csv', 'ndjson', 'json-concat']).default('auto'),
  timeField: z.string().min(1).optional(),
  keyField: z.string().min(1).optional(),
  /** N× the file's own pace, or "max" (default): as fast as the stream accepts. */
  speed: z.union([z.literal('max'), z.number().positive()]).default('max'),
});

export type ReplayEvent = z.input<typeof replayEventSchema>;

export interface ReplayResult {
  source: string;
  position: number;
  recordsSent: number;
  done: boolean;
  /** The event that continues the replay; absent when done. */
  next?: ReplayEvent;
}

export interface ReplayDeps {
  s3: Pick<S3Client, 'send'>;
  kinesis: PutRecordsClient;
  streamName: string;
  /** Stop taking records when less than this is left of the invoke (default 20 s: a last batch and its retries). */
  reserveMs?: number;
  logger?: Logger;
}

/** The event is wrong; the message says what to fix. */
export class ReplayEventError extends Error {
  override name = 'ReplayEventError';
}

export function createReplayHandler(
  deps: ReplayDeps,
): (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<ReplayResult> {
  const reserveMs = deps.reserveMs ?? 20_000;
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
    if (!result.done) out.next = { ...(raw as object), source: event.source, from: result.position } as ReplayEvent;
    deps.logger?.info('replay stopped', {
      ...out,
      failed: result.summary.failed,
      throttled: result.summary.throttled,
      seconds: result.summary.elapsedMs / 1000,
    });
    return out;
  };
}

const streamEnv = z.object({ STREAM_NAME: z.string().min(1, 'STREAM_NAME must name the input stream (serverless.yml sets it)') });

const logger = new Logger();
let replay: ReturnType<typeof createReplayHandler> | undefined;

/** Configuration and clients are made once per container, on the first invoke. */
const lambdaHandler = async (event: unknown, context: Context): Promise<ReplayResult> => {
  if (!replay) {
    const env = streamEnv.safeParse(process.env);
    if (!env.success) throw new ReplayEventError(env.error.issues.map((i) => i.message).join('; '));
    replay = createReplayHandler({ s3: s3Client(), kinesis: kinesisClient(), streamName: env.data.STREAM_NAME, logger });
  }
  return replay(event, context);
};

export const handler = middy(lambdaHandler).use(injectLambdaContext(logger));
