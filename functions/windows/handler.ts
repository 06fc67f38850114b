import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamTumblingWindowEvent } from 'aws-lambda';
import { hotspotsDetectors, rcfDetectors, type Detector } from '../../shared/detectors';
import { onFirstInvoke, withPowertools } from '../../shared/lambda/handler';
import { setUpStreamFunction } from '../../shared/lambda/stream-function';
import { keepRejects, type RejectsSink } from '../../shared/rejects';
import { DynamoModelStore, DynamoWindowStore } from '../../shared/store';
import { aggregateRecords, compileDetector, emitWindows, ModelCache, readState, type InputRecord } from '../../shared/windows';

/** Lambda sends the shard and stream with tumbling-window events; @types/aws-lambda does not declare them. */
export type WindowsEvent = KinesisStreamTumblingWindowEvent & { shardId?: string; eventSourceARN?: string };

export interface WindowsResponse {
  state: Record<string, unknown>;
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export interface WindowsDeps {
  /** Validated detectors (kind rcf are used here; hotspots detectors are the hotspots function's). */
  detectors: Detector[];
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  retentionDays?: number;
  rejects: RejectsSink;
  /** The clock for TTLs and reject object dates. */
  now?: () => number;
  logger?: Logger;
  metrics?: Metrics;
  /** Warm-container forest cache; pass one to share it between handler instances (tests of cold vs warm). */
  cache?: ModelCache;
  modelCacheSize?: number;
}

/**
 * The windows function's work for one Lambda tumbling-window invoke, without middleware: fold the records into
 * the state; on the window's final invoke (or an early end), write and score every window held.
 */
export function createWindowsProcessor(deps: WindowsDeps): (event: WindowsEvent, metrics?: Metrics) => Promise<WindowsResponse> {
  const compiled = rcfDetectors(deps.detectors).map(compileDetector);
  const others = hotspotsDetectors(deps.detectors);
  const now = deps.now ?? Date.now;
  const retentionDays = deps.retentionDays ?? 30;
  const windows = new DynamoWindowStore({ client: deps.documentClient, tableName: deps.tableName, retentionDays, now });
  const models = new DynamoModelStore({ client: deps.documentClient, tableName: deps.tableName, retentionDays, now });
  const cache = deps.cache ?? new ModelCache(deps.modelCacheSize);
  const logger = deps.logger;

  return async (event, metrics) => {
    const shardId = event.shardId ?? event.Records?.[0]?.eventID?.split(':')[0] ?? 'shard';
    const records: InputRecord[] = (event.Records ?? []).map((r) => ({
      data: r.kinesis.data,
      sequenceNumber: r.kinesis.sequenceNumber,
      partitionKey: r.kinesis.partitionKey,
      arrivalMs: Math.round(Number(r.kinesis.approximateArrivalTimestamp) * 1000),
    }));
    const state = readState(event.state);
    // Names this state's emission; a retried invoke carries the same state and so the same id.
    state.id ??= `${shardId}:${records[0]?.sequenceNumber ?? event.window?.start ?? now()}`;

    const rejects = aggregateRecords(state, records, compiled, others);
    metrics?.addMetric('RecordsIn', MetricUnit.Count, records.length);
    if (rejects.length) {
      await keepRejects(rejects, shardId, event.window, deps.rejects, logger);
      metrics?.addMetric('RecordsRejected', MetricUnit.Count, rejects.length);
    }

    if (!event.isFinalInvokeForWindow && !event.isWindowTerminatedEarly) {
      return { state: state as unknown as Record<string, unknown>, batchItemFailures: [] };
    }
    const lambdaWindow = {
      startMs: event.window?.start ? Date.parse(event.window.start) : now(),
      endMs: event.window?.end ? Date.parse(event.window.end) : now(),
    };
    const stats = await emitWindows({
      state,
      compiled,
      shardId,
      lambdaWindow,
      emissionId: state.id,
      windows,
      models,
      cache,
      log: (level, message, extra) => logger?.[level](message, extra ?? {}),
    });
    metrics?.addMetric('WindowsWritten', MetricUnit.Count, stats.windowsWritten);
    metrics?.addMetric('Anomalies', MetricUnit.Count, stats.anomalies);
    metrics?.addMetric('LateRecords', MetricUnit.Count, stats.lateRecords);
    logger?.info('window emitted', {
      shardId,
      window: event.window,
      terminatedEarly: Boolean(event.isWindowTerminatedEarly),
      records: state.n ?? 0,
      rejected: state.r ?? {},
      ...stats,
    });
    // The window is done; Lambda starts the next one with a fresh state.
    return { state: {}, batchItemFailures: [] };
  };
}

/** A middy handler (Powertools logger and metrics) around the processor; local mode and tests build their own. */
export function createWindowsHandler(deps: WindowsDeps) {
  const logger = deps.logger ?? new Logger();
  const metrics = deps.metrics ?? new Metrics();
  const process = createWindowsProcessor({ ...deps, logger });
  return withPowertools((event: WindowsEvent): Promise<WindowsResponse> => process(event, metrics), logger, metrics);
}

const logger = new Logger();
const metrics = new Metrics();

/** Configuration and detectors.yml are validated on the first invoke; a problem fails it with what to fix. */
const processor = onFirstInvoke(() => {
  const { config, detectors, documentClient, rejects } = setUpStreamFunction('windows', logger);
  for (const d of rcfDetectors(detectors)) {
    if (!d.time && d.windowSeconds > config.windowSeconds) {
      logger.warn(
        'detector window is longer than the function tumbling window: its windows are emitted in parts, the later parts as late',
        { detector: d.name, windowSeconds: d.windowSeconds, functionWindowSeconds: config.windowSeconds },
      );
    }
  }
  return createWindowsProcessor({
    detectors,
    documentClient,
    tableName: config.tableName,
    retentionDays: config.retentionDays,
    rejects,
    logger,
    modelCacheSize: config.modelCacheSize,
  });
});

export const handler = withPowertools((event: WindowsEvent): Promise<WindowsResponse> => processor()(event, metrics), logger, metrics);
