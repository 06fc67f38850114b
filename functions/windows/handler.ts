import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { onFirstInvoke, withPowertools } from '../../shared/lambda/handler';
import { setUpStreamFunction, warnOfSplitWindows } from '../../shared/lambda/stream-function';
import { outputsFromEnvironment } from '../../shared/outputs/setup';
import { createWindowsProcessor, type WindowsEvent, type WindowsResponse } from './processor';

/**
 * The windows function's Lambda entry: configuration and detectors.yml read once at cold start, Powertools around
 * every invoke. What an invoke does is ./processor.ts (which local mode and tests build with their own dependencies).
 */

export * from './processor';

const logger = new Logger();
const metrics = new Metrics();

/** Configuration and detectors.yml are validated on the first invoke; a problem fails it with what to fix. */
const processor = onFirstInvoke(() => {
  const { config, detectors, documentClient, rejects } = setUpStreamFunction('windows', logger);
  warnOfSplitWindows(detectors, config.windowSeconds, logger);
  const { tableName, retentionDays, modelCacheSize, modelSaveEvery, keysPartitioned, eventTime } = config;
  const settings = { tableName, retentionDays, modelCacheSize, modelSaveEvery, keysPartitioned, eventTime };
  const outputs = outputsFromEnvironment(detectors);
  // Event-time windows wait for their watermark (detector `lateness`) before they are scored.
  const watermark = { eventTimeWatermark: true };
  return createWindowsProcessor({ ...settings, ...watermark, detectors, documentClient, rejects, logger, ...(outputs ? { outputs } : {}) });
});

export const handler = withPowertools((event: WindowsEvent): Promise<WindowsResponse> => processor()(event, metrics), logger, metrics);
