import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { hotspotsDetectors, rcfDetectors } from '../../shared/detectors';
import { CONFIG_DEFAULTS } from '../../shared/config/env';
import { onFirstInvoke, withPowertools } from '../../shared/lambda/handler';
import { setUpStreamFunction, streamHandler, tableOptions, type StreamFunctionDeps } from '../../shared/lambda/stream-function';
import { tumblingWindowProcessor, type TumblingWindowEvent, type TumblingWindowProcessor, type TumblingWindowResponse } from '../../shared/lambda/tumbling-window';
import { DynamoModelStore, DynamoWindowStore } from '../../shared/store';
import { aggregateRecords, compileDetector, emitWindows, ModelCache, readState, type WindowsState } from '../../shared/windows';

/**
 * The windows function: per detector and key, tumbling-window aggregates scored by a Random Cut Forest
 * (docs/architecture.md). The tumbling-window step is shared/lambda's; the work is shared/windows' service.
 */

export type WindowsEvent = TumblingWindowEvent;
export type WindowsResponse = TumblingWindowResponse;

export interface WindowsDeps extends StreamFunctionDeps {
  /** Warm-container forest cache; pass one to share it between handler instances (tests of cold vs warm). */
  cache?: ModelCache;
  modelCacheSize?: number;
}

/** One Lambda tumbling-window invoke without middleware: fold records into the state; at the window's end, emit. */
export function createWindowsProcessor(deps: WindowsDeps): TumblingWindowProcessor {
  const compiled = rcfDetectors(deps.detectors).map(compileDetector);
  const others = hotspotsDetectors(deps.detectors);
  const windows = new DynamoWindowStore(tableOptions(deps));
  const models = new DynamoModelStore(tableOptions(deps));
  const cache = deps.cache ?? new ModelCache(deps.modelCacheSize ?? CONFIG_DEFAULTS.modelCacheSize);
  return tumblingWindowProcessor<WindowsState>(
    {
      emittedMessage: 'window emitted',
      readState,
      collect: (state, records) => aggregateRecords(state, records, compiled, others),
      emit: async (state, context) => {
        const stats = await emitWindows({ state, compiled, ...context, windows, models, cache, ...(deps.logger ? { logger: deps.logger } : {}) });
        return { metrics: { WindowsWritten: stats.windowsWritten, Anomalies: stats.anomalies, LateRecords: stats.lateRecords }, summary: { ...stats } };
      },
    },
    deps,
  );
}

/** A middy handler (Powertools logger and metrics) around the processor; local mode and tests build their own. */
export const createWindowsHandler = (deps: WindowsDeps) => streamHandler(deps, createWindowsProcessor);

const logger = new Logger();
const metrics = new Metrics();

/** Configuration and detectors.yml are validated on the first invoke; a problem fails it with what to fix. */
const processor = onFirstInvoke(() => {
  const { config, detectors, documentClient, rejects } = setUpStreamFunction('windows', logger);
  for (const d of rcfDetectors(detectors)) {
    if (!d.time && d.windowSeconds > config.windowSeconds) {
      logger.warn('detector window is longer than the function tumbling window: its windows are emitted in parts, the later parts as late', {
        detector: d.name,
        windowSeconds: d.windowSeconds,
        functionWindowSeconds: config.windowSeconds,
      });
    }
  }
  const { tableName, retentionDays, modelCacheSize } = config;
  return createWindowsProcessor({ detectors, documentClient, tableName, retentionDays, rejects, logger, modelCacheSize });
});

export const handler = withPowertools((event: WindowsEvent): Promise<WindowsResponse> => processor()(event, metrics), logger, metrics);
