import { CONFIG_DEFAULTS } from '../../shared/config/env';
import {
  checkCarriable,
  collectPoints,
  emitHotspots,
  hotspotsDetectors,
  readHotspotsState,
  type HotspotsState,
} from '../../shared/hotspots';
import { streamHandler, tableOptions, type StreamFunctionDeps } from '../../shared/lambda/stream-function';
import { tumblingWindowProcessor, type TumblingWindowProcessor } from '../../shared/lambda/tumbling-window';
import { DynamoHotspotsStore } from '../../shared/store/hotspots';

/**
 * The hotspots function: KDA's HOTSPOTS over the lat/long detectors, per tumbling window (docs/hotspots.md). What
 * one invoke does, without middleware: the tumbling-window step is shared/lambda's, the work shared/hotspots'
 * service, wired to the store here.
 */

export type {
  TumblingWindowEvent as HotspotsEvent,
  TumblingWindowResponse as HotspotsResponse,
} from '../../shared/lambda/tumbling-window';
export { checkCarriable, HotspotsDetectorError } from '../../shared/hotspots';

export interface HotspotsDeps extends StreamFunctionDeps {
  /** Hotspots kept per window and shard (densest first), so an item stays far below DynamoDB's 400 KB. */
  maxHotspots?: number;
}

/** One Lambda tumbling-window invoke without middleware: buffer the points in the state; at the window's end, emit. */
export function createHotspotsProcessor(deps: HotspotsDeps): TumblingWindowProcessor {
  const detectors = hotspotsDetectors(deps.detectors);
  detectors.forEach(checkCarriable);
  const store = new DynamoHotspotsStore(tableOptions(deps));
  const maxHotspots = deps.maxHotspots ?? CONFIG_DEFAULTS.maxHotspots;
  const reading = deps.eventTime ? { time: deps.eventTime } : {};
  return tumblingWindowProcessor<HotspotsState>(
    {
      emittedMessage: 'hotspots emitted',
      readState: readHotspotsState,
      collect: (state, records) => collectPoints(state, records, deps.detectors, reading),
      emit: async (state, { shardId, emissionId }) => {
        const logger = deps.logger ? { logger: deps.logger } : {};
        const stats = await emitHotspots({ state, detectors, shardId, emissionId, store, maxHotspots, ...logger });
        return {
          metrics: { WindowsWritten: stats.windowsWritten, HotspotsFound: stats.hotspots, LateRecords: stats.latePoints },
          summary: { ...stats },
        };
      },
    },
    deps,
  );
}

/** A middy handler (Powertools logger and metrics) around the processor; local mode and tests build their own. */
export const createHotspotsHandler = (deps: HotspotsDeps) => streamHandler(deps, createHotspotsProcessor);
