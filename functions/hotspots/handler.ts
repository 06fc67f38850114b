import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { hotspotsDetectors } from '../../shared/hotspots';
import { onFirstInvoke, withPowertools } from '../../shared/lambda/handler';
import { setUpStreamFunction } from '../../shared/lambda/stream-function';
import { createHotspotsProcessor, type HotspotsEvent, type HotspotsResponse } from './processor';

/**
 * The hotspots function's Lambda entry: configuration and detectors.yml read once at cold start, Powertools around
 * every invoke. What an invoke does is ./processor.ts (which local mode and tests build with their own dependencies).
 */

export * from './processor';

const logger = new Logger();
const metrics = new Metrics();

/**
 * Configuration and detectors.yml are validated on the first invoke; a problem fails it with what to fix. The
 * environment is the windows function's (docs/architecture.md).
 */
const processor = onFirstInvoke(() => {
  const { config, detectorsFile, detectors, documentClient, rejects } = setUpStreamFunction('hotspots', logger);
  if (hotspotsDetectors(detectors).length === 0) {
    logger.warn('no detector of kind hotspots in the detectors file: this function writes nothing', { file: detectorsFile });
  }
  const { tableName, retentionDays, eventTime } = config;
  return createHotspotsProcessor({ detectors, documentClient, tableName, retentionDays, rejects, logger, eventTime });
});

export const handler = withPowertools((event: HotspotsEvent): Promise<HotspotsResponse> => processor()(event, metrics), logger, metrics);
