import type { Hotspot } from './definitions';

/**
 * The hotspots service's port: what emitHotspots (./emit.ts) needs from storage, as an interface, with the
 * domain types that cross it. The DynamoDB adapter is shared/store/hotspots.ts.
 */

export interface HotspotsWindowWrite {
  detector: string;
  startMs: number;
  endMs: number;
  shardId: string;
  /** Shard and first sequence number of the tumbling window: a retried final invoke writes nothing twice. */
  emissionId: string;
  threshold: number;
  points: number;
  hotspots: Hotspot[];
  found: number;
}

export interface CarriedWindow {
  /** HotspotsWindow.toBytes() */
  points: Uint8Array;
  version: number;
  lastEmission?: string;
  /** Start (ms) of the newest window written from this shard. */
  lastWindowMs?: number;
  /** The detector settings the points were collected under; different columns start a new window. */
  columns: string[];
}

export interface HotspotsStore {
  /**
   * Writes (or updates) one window's item with this shard's part; another shard's part stays, and a retried
   * emission (its id already there) changes nothing ('duplicate').
   */
  writeWindow(w: HotspotsWindowWrite): Promise<'written' | 'duplicate'>;
  /** The sliding window a shard carried out of its last tumbling window, if any. */
  loadCarried(detector: string, shardId: string): Promise<CarriedWindow | undefined>;
  /** Saves it on condition that nobody saved it since `expectedVersion` was read (0: never saved); a conflict throws. */
  saveCarried(detector: string, shardId: string, carried: Omit<CarriedWindow, 'version'>, expectedVersion: number): Promise<void>;
}
