import { rcfDetectors } from '../../shared/detectors';
import { CONFIG_DEFAULTS } from '../../shared/config/env';
import { streamHandler, tableOptions, type StreamFunctionDeps } from '../../shared/lambda/stream-function';
import { tumblingWindowProcessor, type TumblingWindowProcessor } from '../../shared/lambda/tumbling-window';
import type { TumblingWindowEvent as Event, TumblingWindowResponse as Response } from '../../shared/lambda/tumbling-window';
import { DynamoModelStore, DynamoWindowStore } from '../../shared/store';
import { aggregateRecords, compileDetector, emitWindows, ModelCache, readState, type WindowsState } from '../../shared/windows';
import { deliveringOutputs, type Outputs } from '../../shared/outputs';
import { withPerRecord } from '../../shared/per-record/lambda';

/**
 * The windows function: per detector and key, tumbling-window aggregates scored by a Random Cut Forest
 * (docs/architecture.md). What one invoke does, without middleware: the tumbling-window step is shared/lambda's,
 * the work shared/windows' service (and shared/outputs, shared/per-record around it); this file wires them.
 */

export type WindowsEvent = Event;
export type WindowsResponse = Response;

export interface WindowsDeps extends StreamFunctionDeps {
  /** Warm-container forest cache; pass one to share it between handler instances (tests of cold vs warm). */
  cache?: ModelCache;
  modelCacheSize?: number;
  /** Windows of a key between saves of its forest (default from shared/config). */
  modelSaveEvery?: number;
  /** Detectors' KDA-shaped outputs (shared/outputs); undefined when none has any. */
  outputs?: Outputs;
}

/** One Lambda tumbling-window invoke without middleware: fold records into the state; at the window's end, emit. */
export function createWindowsProcessor(deps: WindowsDeps): TumblingWindowProcessor {
  const compiled = rcfDetectors(deps.detectors).map(compileDetector);
  // Records the hotspots function or a per-record detector takes are not the windows step's rejects.
  const others = deps.detectors.filter((d) => d.kind !== 'rcf');
  const windows = new DynamoWindowStore(tableOptions(deps));
  const models = new DynamoModelStore(tableOptions(deps));
  const cache = deps.cache ?? new ModelCache(deps.modelCacheSize ?? CONFIG_DEFAULTS.modelCacheSize);
  const saveEvery = deps.modelSaveEvery ?? CONFIG_DEFAULTS.modelSaveEvery;
  const reading = deps.eventTime ? { time: deps.eventTime } : {};
  const step = tumblingWindowProcessor<WindowsState>(
    {
      emittedMessage: 'window emitted',
      readState,
      collect: (state, records) => aggregateRecords(state, records, compiled, others, reading),
      emit: async (state, context) => {
        const logger = deps.logger ? { logger: deps.logger } : {};
        const { result: stats, delivered } = await deliveringOutputs(deps.outputs, windows, (store) =>
          emitWindows({ state, compiled, ...context, windows: store, models, cache, saveEvery, ...logger }),
        );
        return {
          metrics: {
            WindowsWritten: stats.windowsWritten,
            Anomalies: stats.anomalies,
            LateRecords: stats.lateRecords,
            OutputRecords: delivered,
          },
          summary: { ...stats },
        };
      },
    },
    deps,
  );
  return withPerRecord(step, deps);
}

/** A middy handler (Powertools logger and metrics) around the processor; local mode and tests build their own. */
export const createWindowsHandler = (deps: WindowsDeps) => streamHandler(deps, createWindowsProcessor);
