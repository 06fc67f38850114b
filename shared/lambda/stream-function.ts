import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../aws/dynamodb';
import { CONFIG_DEFAULTS } from '../config/env';
import { readWindowsConfig, type StreamFunction, type WindowsConfig } from '../config/windows';
import type { EventTimeBounds } from '../records/time';
import { detectorsFilePath, loadDetectorsFile, rcfDetectors, type Detector } from '../detectors';
import { rejectsSinkFor, type RejectsSink } from '../rejects';
import { withPowertools } from './handler';
import type { TumblingWindowEvent, TumblingWindowProcessor, TumblingWindowResponse } from './tumbling-window';

/**
 * What the stream functions (windows, hotspots) share around their tumbling-window step: the dependencies their
 * factories take, the cold-start setup from the environment and detectors.yml, and the middy handler around a
 * processor (local mode and tests build handlers with their own dependencies through the same factories).
 */

/** The dependencies both stream functions take (tests and local mode pass their own). */
export interface StreamFunctionDeps {
  /** Validated detectors: each function computes its kind and routes records against all of them. */
  detectors: Detector[];
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  retentionDays?: number;
  rejects: RejectsSink;
  /** The clock for TTLs and reject object dates. */
  now?: () => number;
  logger?: Logger;
  metrics?: Metrics;
  /** Event-time bounds relative to arrival (shared/config: EVENT_TIME_MAX_*_SECONDS); absent: the record kernel's defaults. */
  eventTime?: EventTimeBounds;
}

/** The table adapters' options, defaults from shared/config. */
export const tableOptions = (deps: StreamFunctionDeps) => ({
  client: deps.documentClient,
  tableName: deps.tableName,
  retentionDays: deps.retentionDays ?? CONFIG_DEFAULTS.retentionDays,
  ...(deps.now ? { now: deps.now } : {}),
});

/** A middy handler (Powertools logger and metrics) around a stream function's processor. */
export function streamHandler<D extends StreamFunctionDeps>(deps: D, create: (deps: D & { logger: Logger }) => TumblingWindowProcessor) {
  const logger = deps.logger ?? new Logger();
  const metrics = deps.metrics ?? new Metrics();
  const process = create({ ...deps, logger });
  return withPowertools((event: TumblingWindowEvent): Promise<TumblingWindowResponse> => process(event, metrics), logger, metrics);
}

/** What the stream functions build at cold start from the environment and detectors.yml. */
export interface StreamFunctionSetup {
  config: WindowsConfig;
  detectorsFile: string;
  detectors: Detector[];
  documentClient: DynamoDBDocumentClient;
  rejects: RejectsSink;
}

export function setUpStreamFunction(fn: StreamFunction, logger: Logger): StreamFunctionSetup {
  const config = readWindowsConfig(process.env, fn);
  const detectorsFile = config.detectorsFile ?? detectorsFilePath();
  const detectors = loadDetectorsFile(detectorsFile, { windowSeconds: config.windowSeconds, threshold: config.defaultThreshold });
  return { config, detectorsFile, detectors, documentClient: dynamoDocumentClient(), rejects: rejectsSinkFor(config, logger) };
}

/** An arrival-time detector whose window is longer than the function's tumbling window is emitted in parts: say so. */
export function warnOfSplitWindows(detectors: readonly Detector[], functionWindowSeconds: number, logger: Pick<Logger, 'warn'>): void {
  for (const d of rcfDetectors([...detectors])) {
    if (!d.time && d.windowSeconds > functionWindowSeconds) {
      logger.warn(
        'detector window is longer than the function tumbling window: its windows are emitted in parts, the later parts as late',
        {
          detector: d.name,
          windowSeconds: d.windowSeconds,
          functionWindowSeconds,
        },
      );
    }
  }
}
