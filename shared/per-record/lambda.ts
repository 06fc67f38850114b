import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Detector } from '../detectors/schema';
import type { Outputs } from '../outputs/outbox';
import { keepRejects, type RejectsSink } from '../rejects';
import type { EventTimeBounds } from '../records';
import { DynamoModelStore } from '../store';
import { tableOptions, type StreamFunctionDeps } from '../lambda/stream-function';
import { inputRecords, shardOf, type TumblingWindowProcessor } from '../lambda/tumbling-window';
import type { Logger } from '../lambda/logger';
import { DynamoRecordResultStore } from './dynamo';
import { ForestCache, PerRecordProcessor, readSummaries } from './processor';

/**
 * Per-record detectors inside the windows function: around its tumbling-window step, each invoke's records are also
 * scored record by record (./processor.ts) and their results delivered to the detectors' outputs. The summaries of
 * the window so far ride in the Lambda state under `STATE_FIELD`, beside the windows step's own fields.
 */

export const STATE_FIELD = 'pr';

export interface PerRecordStepDeps extends StreamFunctionDeps {
  outputs?: Outputs;
  eventTime?: EventTimeBounds;
  /** Forests kept warm between invokes (default 500). */
  forestCacheSize?: number;
}

/** `step` itself when no detector is `kind: records`. */
export function withPerRecord(step: TumblingWindowProcessor, deps: PerRecordStepDeps): TumblingWindowProcessor {
  const processor = new PerRecordProcessor({
    detectors: deps.detectors as readonly Detector[],
    forests: new DynamoModelStore(tableOptions(deps)),
    results: new DynamoRecordResultStore(tableOptions(deps)),
    cache: new ForestCache(deps.forestCacheSize ?? 500),
    ...(deps.eventTime ? { time: deps.eventTime } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  if (!processor.any) return step;
  const rejectsSink: RejectsSink = deps.rejects;
  const logger: Logger | undefined = deps.logger;
  return async (event, metrics) => {
    const response = await step(event, metrics);
    const shardId = shardOf(event);
    const final = Boolean(event.isFinalInvokeForWindow || event.isWindowTerminatedEarly);
    const state = (event.state ?? {}) as Record<string, unknown>;
    const emission = deps.outputs?.emission();
    const { carried, rejects, stats } = await processor.process({
      records: inputRecords(event),
      shardId,
      final,
      lambdaWindow: {
        startMs: event.window?.start ? Date.parse(event.window.start) : Date.now(),
        endMs: event.window?.end ? Date.parse(event.window.end) : Date.now(),
      },
      carried: readSummaries(state[STATE_FIELD]),
      ...(emission ? { emission } : {}),
    });
    const delivered = emission ? (await emission.flush()).total : 0;
    if (rejects.length) await keepRejects(rejects, shardId, event.window, rejectsSink, logger);
    for (const [name, value] of [
      ['RecordsScored', stats.records],
      ['RecordAnomalies', stats.anomalies],
      ['RecordsStored', stats.stored],
      ['RecordOutputs', delivered],
      ['RecordsRejected', rejects.length],
    ] as const)
      if (value) metrics?.addMetric(name, MetricUnit.Count, value);
    if (final) logger?.info('per-record window done', { shardId, ...stats, delivered });
    return final ? response : { ...response, state: { ...response.state, [STATE_FIELD]: carried } };
  };
}
