import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { kinesisClient } from '../../shared/aws/kinesis';
import { s3Client } from '../../shared/aws/s3';
import { readReplayConfig } from '../../shared/config/replay';
import { onFirstInvoke, withPowertools } from '../../shared/lambda/handler';
import { createReplayHandler, type ReplayResult } from '../../shared/lambda/replay';

/**
 * The replay function: an S3 object (archive, kept rejects or an uploaded file) into the input stream, resumable
 * (README, replaying). Run by hand; the work is shared/lambda/replay.ts over shared/producers' reader.
 */

export {
  createReplayHandler,
  ReplayEventError,
  replayEventSchema,
  type ReplayDeps,
  type ReplayEvent,
  type ReplayResult,
} from '../../shared/lambda/replay';

const logger = new Logger();
const metrics = new Metrics();

/** Configuration is validated and clients are made on the first invoke; a problem fails it with what to fix. */
const replay = onFirstInvoke(() => {
  const config = readReplayConfig(process.env);
  return createReplayHandler({
    s3: s3Client(),
    kinesis: kinesisClient(),
    streamName: config.streamName,
    reserveMs: config.reserveMs,
    logger,
  });
});

export const handler = withPowertools(
  async (event: unknown, context: Context): Promise<ReplayResult> => {
    const result = await replay()(event, context);
    metrics.addMetric('RecordsReplayed', MetricUnit.Count, result.recordsSent);
    return result;
  },
  logger,
  metrics,
);
