import type { HotspotsDetector } from '../detectors/schema';
import { StreamSentinelError } from '../errors';
import type { Logger } from '../lambda/logger';
import { HotspotsStateError } from './errors';
import type { HotspotsStore } from './ports';
import { evaluateBuffer, type HotspotsState, type PointBuffer } from './stream';
import { HotspotsWindow } from './window';

/**
 * The hotspots service (pure, over the port in ./ports.ts): what the hotspots function does at a Lambda window's
 * final invoke. Per detector, the shard's sliding window is loaded as the last invoke left it, the buffered points
 * are pushed through it, each event-time window's hotspots are written, and the sliding window is saved for the next
 * tumbling window, last, so that a retried final invoke that finds its own emission there has nothing left to do.
 */

/** The carried window is one DynamoDB item: its points must stay well under the 400 KB item limit. */
export const MAX_CARRIED_BYTES = 350_000;

/** A detector whose sliding window cannot be carried between invokes; the message says what to change. */
export class HotspotsDetectorError extends StreamSentinelError {
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

export interface HotspotsEmitInput {
  state: HotspotsState;
  /** The hotspots detectors (checked with checkCarriable). */
  detectors: readonly HotspotsDetector[];
  shardId: string;
  emissionId: string;
  store: HotspotsStore;
  /** Hotspots kept per window and shard, densest first. */
  maxHotspots: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

export interface HotspotsEmitStats {
  windowsWritten: number;
  hotspots: number;
  latePoints: number;
}

export async function emitHotspots(input: HotspotsEmitInput): Promise<HotspotsEmitStats> {
  const stats: HotspotsEmitStats = { windowsWritten: 0, hotspots: 0, latePoints: 0 };
  for (const d of input.detectors) {
    const buffer = input.state.d[d.name];
    if (!buffer || buffer.runs.length === 0) continue;
    const one = await emitDetector(d, buffer, input);
    stats.windowsWritten += one.windowsWritten;
    stats.hotspots += one.hotspots;
    stats.latePoints += one.latePoints;
  }
  return stats;
}

async function emitDetector(d: HotspotsDetector, buffer: PointBuffer, input: HotspotsEmitInput): Promise<HotspotsEmitStats> {
  const { shardId, emissionId, store, logger } = input;
  const options = { windowSize: d.windowSize, scanRadius: d.scanRadius, minPoints: d.minPoints, dimensions: d.columns.length };
  const carried = await store.loadCarried(d.name, shardId);
  if (carried?.lastEmission === emissionId) return { windowsWritten: 0, hotspots: 0, latePoints: 0 };
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
  const evaluation = evaluateBuffer(window, d, buffer, carried?.lastWindowMs, input.maxHotspots);
  let windowsWritten = 0;
  let hotspots = 0;
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
      windowsWritten++;
      hotspots += w.found;
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
  return { windowsWritten, hotspots, latePoints: evaluation.late };
}

const sameColumns = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((c, i) => c === b[i]);
