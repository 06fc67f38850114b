import { rcfDetectors } from '../../shared/detectors';
import { CONFIG_DEFAULTS } from '../../shared/config/env';
import { streamHandler, tableOptions, type StreamFunctionDeps } from '../../shared/lambda/stream-function';
import { tumblingWindowProcessor, type TumblingWindowProcessor } from '../../shared/lambda/tumbling-window';
import { DynamoCarryStore, DynamoModelStore, DynamoWindowStore } from '../../shared/store';
import {
  aggregateRecords,
  compileDetector,
  emitWindows,
  emitWithWatermark,
  ModelCache,
  readState,
  type WindowsState,
} from '../../shared/windows';
import { deliveringOutputs, type Outputs } from '../../shared/outputs';
import { withPerRecord } from '../../shared/per-record/lambda';

/**
 * The windows function: per detector and key, tumbling-window aggregates scored by a Random Cut Forest
 * (docs/architecture.md). What one invoke does, without middleware: the tumbling-window step is shared/lambda's,
 * the work shared/windows' service (and shared/outputs, shared/per-record around it); this file wires them.
 */

export type { TumblingWindowEvent as WindowsEvent, TumblingWindowResponse as WindowsResponse } from '../../shared/lambda/tumbling-window';

export interface WindowsDeps extends StreamFunctionDeps {
  /** Warm-container forest cache; pass one to share it between handler instances (tests of cold vs warm). */
  cache?: ModelCache;
  modelCacheSize?: number;
  /** Windows of a key between saves of its forest (default from shared/config). */
  modelSaveEvery?: number;
  /** Detectors' KDA-shaped outputs (shared/outputs); undefined when none has any. */
  outputs?: Outputs;
  /**
   * Hold event-time windows until their watermark (shared/windows/watermark.ts). On in the deployed handler
   * (./handler.ts). Off (every window emitted at the final invoke of the Lambda window it arrived in) for callers that
   * keep event windows inside one Lambda window themselves: local mode's compressed replay, whose event time runs far
   * ahead of arrival so an arrival-time watermark would hold everything; benches; tests of other behaviour.
   */
  eventTimeWatermark?: boolean;
  /**
   * Each key's records arrive on one shard (WINDOW_KEYS_PARTITIONED, shared/config/env.ts): cached forests are trusted
   * on a shard this container keeps, and fresh windows go in batches. Default from shared/config (off: exact for any
   * partitioning).
   */
  keysPartitioned?: boolean;
}

/** One Lambda tumbling-window invoke without middleware: fold records into the state; at the window's end, emit. */
export function createWindowsProcessor(deps: WindowsDeps): TumblingWindowProcessor {
  const compiled = rcfDetectors(deps.detectors).map(compileDetector);
  // Records the hotspots function or a per-record detector takes are not the windows step's rejects.
  const others = deps.detectors.filter((d) => d.kind !== 'rcf');
  const keysPartitioned = deps.keysPartitioned ?? CONFIG_DEFAULTS.keysPartitioned;
  const windows = new DynamoWindowStore({ ...tableOptions(deps), batchFreshPuts: keysPartitioned });
  const models = new DynamoModelStore({ ...tableOptions(deps), ...(deps.logger ? { logger: deps.logger } : {}) });
  // The store counts over the container's life; each emission reports what it added.
  let modelsCounted = { lost: 0, orphaned: 0 };
  const cache = deps.cache ?? new ModelCache(deps.modelCacheSize ?? CONFIG_DEFAULTS.modelCacheSize);
  const saveEvery = deps.modelSaveEvery ?? CONFIG_DEFAULTS.modelSaveEvery;
  const reading = deps.eventTime ? { time: deps.eventTime } : {};
  const carries = new DynamoCarryStore(tableOptions(deps));
  const watermark = deps.eventTimeWatermark ?? false;
  const step = tumblingWindowProcessor<WindowsState>(
    {
      emittedMessage: 'window emitted',
      readState,
      collect: (state, records) => aggregateRecords(state, records, compiled, others, reading),
      emit: async (state, context) => {
        const logger = deps.logger ? { logger: deps.logger } : {};
        const run = (ready: WindowsState) =>
          deliveringOutputs(deps.outputs, windows, (store) =>
            emitWindows({ state: ready, compiled, ...context, windows: store, models, cache, saveEvery, keysPartitioned, ...logger }),
          );
        const held = watermark
          ? await emitWithWatermark({ state, compiled, ...context, carries, emit: run })
          : { result: await run(state), held: 0, forced: 0, redelivered: 0 };
        const { result: stats, delivered } = held.result;
        const lostModels = models.lostModels - modelsCounted.lost;
        const orphanedParts = models.orphanedParts - modelsCounted.orphaned;
        modelsCounted = { lost: models.lostModels, orphaned: models.orphanedParts };
        return {
          metrics: {
            WindowsWritten: stats.windowsWritten,
            Anomalies: stats.anomalies,
            LateRecords: stats.lateRecords,
            OutputRecords: delivered,
            WindowsHeld: held.held,
            WindowsForcedEarly: held.forced,
            // A key whose saved state was incomplete (parts expired or removed) started a new forest.
            ModelsLost: lostModels,
            // Parts of a superseded model that could not be deleted (they expire by TTL).
            ModelPartsOrphaned: orphanedParts,
          },
          summary: { ...stats, windowsHeld: held.held, windowsForcedEarly: held.forced },
        };
      },
    },
    deps,
  );
  return withPerRecord(step, deps);
}

/** A middy handler (Powertools logger and metrics) around the processor; local mode and tests build their own. */
export const createWindowsHandler = (deps: WindowsDeps) => streamHandler(deps, createWindowsProcessor);
