import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamTumblingWindowEvent } from 'aws-lambda';
import type { Detector, HotspotsDetector } from '../../shared/detectors';
import {
  collectPoints,
  evaluateBuffer,
  hotspotsDetectors,
  HotspotsStateError,
  HotspotsWindow,
  readHotspotsState,
  type HotspotsState,
} from '../../shared/hotspots';
import { onFirstInvoke, withPowertools } from '../../shared/lambda/handler';
import { setUpStreamFunction } from '../../shared/lambda/stream-function';
import { keepRejects, type RejectsSink } from '../../shared/rejects';
import { DynamoHotspotsStore } from '../../shared/store/hotspots';
import type { InputRecord } from '../../shared/windows/aggregate';

/** Lambda sends the shard and stream with tumbling-window events; @types/aws-lambda does not declare them. */
export type HotspotsEvent = KinesisStreamTumblingWindowEvent & { shardId?: string; eventSourceARN?: string };

export interface HotspotsResponse {
  state: Record<string, unknown>;
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export interface HotspotsDeps {
  /** Validated detectors; those of kind hotspots are computed here, the others only route records. */
  detectors: Detector[];
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  retentionDays?: number;
  rejects: RejectsSink;
  now?: () => number;
  logger?: Logger;
  metrics?: Metrics;
  /** Hotspots kept per window and shard (densest first), so an item stays far below DynamoDB's 400 KB. */
  maxHotspots?: number;
}

/** The carried window is one DynamoDB item: its points must stay well under the 400 KB item limit. */
const MAX_CARRIED_BYTES = 350_000;
/** A detector whose sliding window cannot be carried between invokes; the message says what to change. */
export class HotspotsDetectorError extends Error {
  override name = 'HotspotsDetectorError';
}

export function checkCarriable(d: HotspotsDetector): void {
  const bytes = d.windowSize * d.columns.length * 8;
  if (bytes > MAX_CARRIED_BYTES) {
    throw new HotspotsDetectorError(
      `detector ${d.name}: windowSize × columns × 8 bytes = ${bytes} bytes, more than the ${MAX_CARRIED_BYTES} a shard's sliding window may take in one DynamoDB item; lower windowSize to at most ${Math.floor(MAX_CARRIED_BYTES / (d.columns.length * 8))}`,
    );
  }
}

/**
 * The hotspots function's work for one Lambda tumbling-window invoke, without middleware: buffer the points in the
 * state; at the window's final invoke (or an early end), push them through each detector's sliding window (carried per
 * shard in DynamoDB, since Lambda starts every window with an empty state) and write each event-time window's hotspots.
 */
export function createHotspotsProcessor(deps: HotspotsDeps): (event: HotspotsEvent, metrics?: Metrics) => Promise<HotspotsResponse> {
  const mine = hotspotsDetectors(deps.detectors);
  mine.forEach(checkCarriable);
  const now = deps.now ?? Date.now;
  const store = new DynamoHotspotsStore({
    client: deps.documentClient,
    tableName: deps.tableName,
    retentionDays: deps.retentionDays ?? 30,
    now,
  });
  const maxHotspots = deps.maxHotspots ?? 50;
  const logger = deps.logger;

  return async (event, metrics) => {
    const shardId = event.shardId ?? event.Records?.[0]?.eventID?.split(':')[0] ?? 'shard';
    const records: InputRecord[] = (event.Records ?? []).map((r) => ({
      data: r.kinesis.data,
      sequenceNumber: r.kinesis.sequenceNumber,
      partitionKey: r.kinesis.partitionKey,
      arrivalMs: Math.round(Number(r.kinesis.approximateArrivalTimestamp) * 1000),
    }));
    const state = readHotspotsState(event.state);
    // Names this state's emission; a retried invoke carries the same state and so the same id.
    state.id ??= `${shardId}:${records[0]?.sequenceNumber ?? event.window?.start ?? now()}`;

    const rejects = collectPoints(state, records, deps.detectors);
    metrics?.addMetric('RecordsIn', MetricUnit.Count, records.length);
    if (rejects.length) {
      await keepRejects(rejects, shardId, event.window, deps.rejects, logger);
      metrics?.addMetric('RecordsRejected', MetricUnit.Count, rejects.length);
    }
    if (!event.isFinalInvokeForWindow && !event.isWindowTerminatedEarly) {
      return { state: state as unknown as Record<string, unknown>, batchItemFailures: [] };
    }

    let written = 0;
    let found = 0;
    let late = 0;
    for (const d of mine) {
      const buffer = state.d[d.name];
      if (!buffer || buffer.runs.length === 0) continue;
      const stats = await emitDetector(d, buffer, state, shardId, store, maxHotspots, logger);
      written += stats.written;
      found += stats.found;
      late += stats.late;
    }
    metrics?.addMetric('WindowsWritten', MetricUnit.Count, written);
    metrics?.addMetric('HotspotsFound', MetricUnit.Count, found);
    metrics?.addMetric('LateRecords', MetricUnit.Count, late);
    logger?.info('hotspots emitted', {
      shardId,
      window: event.window,
      terminatedEarly: Boolean(event.isWindowTerminatedEarly),
      records: state.n ?? 0,
      rejected: state.r ?? {},
      windowsWritten: written,
      hotspots: found,
      latePoints: late,
    });
    // The window is done; Lambda starts the next one with a fresh state.
    return { state: {}, batchItemFailures: [] };
  };
}

async function emitDetector(
  d: HotspotsDetector,
  buffer: NonNullable<HotspotsState['d'][string]>,
  state: HotspotsState,
  shardId: string,
  store: DynamoHotspotsStore,
  maxHotspots: number,
  logger: Logger | undefined,
): Promise<{ written: number; found: number; late: number }> {
  const emissionId = state.id!;
  const options = { windowSize: d.windowSize, scanRadius: d.scanRadius, minPoints: d.minPoints, dimensions: d.columns.length };
  const carried = await store.loadCarried(d.name, shardId);
  // Saved last, so a retried final invoke that finds its own emission there has nothing left to do.
  if (carried?.lastEmission === emissionId) return { written: 0, found: 0, late: 0 };
  let window = new HotspotsWindow(options);
  if (carried && carried.points.length > 0 && sameColumns(carried.columns, d.columns)) {
    try {
      window = HotspotsWindow.fromBytes(options, carried.points);
    } catch (error) {
      if (!(error instanceof HotspotsStateError)) throw error;
      logger?.warn('carried hotspots window unreadable; starting a new one', { detector: d.name, shardId, reason: error.message });
    }
  } else if (carried) {
    logger?.info('detector columns changed; starting a new hotspots window', {
      detector: d.name,
      shardId,
      was: carried.columns,
      now: d.columns,
    });
  }
  const evaluation = evaluateBuffer(window, d, buffer, carried?.lastWindowMs, maxHotspots);
  let written = 0;
  let found = 0;
  for (const w of evaluation.windows) {
    const outcome = await store.writeWindow({
      detector: d.name,
      startMs: w.startMs,
      endMs: w.endMs,
      shardId,
      emissionId,
      threshold: d.threshold,
      points: w.points,
      hotspots: w.hotspots,
      found: w.found,
    });
    if (outcome === 'written') {
      written++;
      found += w.found;
    }
  }
  const newest = Math.max(carried?.lastWindowMs ?? -Infinity, ...evaluation.windows.map((w) => w.startMs));
  await store.saveCarried(
    d.name,
    shardId,
    {
      points: window.toBytes(),
      lastEmission: emissionId,
      columns: d.columns,
      ...(Number.isFinite(newest) ? { lastWindowMs: newest } : {}),
    },
    carried?.version ?? 0,
  );
  return { written, found, late: evaluation.late };
}

const sameColumns = (a: string[], b: string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

/** A middy handler (Powertools logger and metrics) around the processor; local mode and tests build their own. */
export function createHotspotsHandler(deps: HotspotsDeps) {
  const logger = deps.logger ?? new Logger();
  const metrics = deps.metrics ?? new Metrics();
  const process = createHotspotsProcessor({ ...deps, logger });
  return withPowertools((event: HotspotsEvent): Promise<HotspotsResponse> => process(event, metrics), logger, metrics);
}

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
  return createHotspotsProcessor({
    detectors,
    documentClient,
    tableName: config.tableName,
    retentionDays: config.retentionDays,
    rejects,
    logger,
  });
});

export const handler = withPowertools((event: HotspotsEvent): Promise<HotspotsResponse> => processor()(event, metrics), logger, metrics);
