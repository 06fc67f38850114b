import type { AlertOn } from '../anomaly';
import { StreamSentinelError } from '../errors';
import type { HopSpan, StepAggregate } from './hopping';
import type { KeyRegistry, WindowAggregate } from './plan';

/**
 * The windows service's ports: what emitWindows (./emit.ts) needs from storage, as interfaces, with the domain
 * types that cross them. The DynamoDB adapters are shared/store/windows.ts and shared/store/models.ts.
 */

/** A scored (or unscorable) window on its way to the table. */
export interface WindowResult {
  window: WindowAggregate;
  /** Undefined when a feature was not a finite number: the window is stored but not scored. */
  score?: number;
  attribution?: Array<{ column: string; score: number; direction: 'HIGH' | 'LOW' }>;
  threshold: number;
  /** The features the forest learned from this window (absent when it learned nothing): what a rebuild replays. */
  features?: number[];
  /** The key's anomaly grade for this window (shared/anomaly; present when scored). */
  grade?: number;
  /** Usual value of each feature before this window (null until known). */
  expected?: Record<string, number | null>;
  /** The rule the alert decision used. */
  alertOn?: AlertOn;
  /** decideAlert's decision: an alert is owed for this window. */
  alert?: boolean;
  /** The rule fired but a suppression rule silenced it: why. */
  suppressed?: string;
  /** Hopping detectors: the hopping window this step scored (the window holds the step's counts, the hop's values). */
  hop?: HopSpan;
}

/** A window written fresh (not by a late merge) after a model's save: what rebuilding the model replays. */
export interface LearnedWindow {
  startMs: number;
  /** The emission that wrote it. */
  by?: string;
  /** Absent when the window was not learned (a feature was not a finite number). */
  features?: number[];
}

export type FreshOutcome = 'written' | 'duplicate' | 'merged';
export type LateOutcome = 'merged' | 'created' | 'duplicate';

/** Window items (docs/data-model.md). Implemented over DynamoDB in shared/store/windows.ts. */
export interface WindowStore {
  /** Writes a newly scored window; an item this emission already wrote is left alone ('duplicate'). */
  putFresh(result: WindowResult, emissionId: string, shardId: string): Promise<FreshOutcome>;
  /** Merges a window's records into the stored item atomically, marking it late; never rescored. */
  mergeLate(window: WindowAggregate, emissionId: string, shardId: string): Promise<LateOutcome>;
  /**
   * The windows of a key written fresh after `afterMs` (all of them when undefined), oldest first, read consistently:
   * with the model saved at `afterMs` they are the model's exact state. Optional: a store without it gets every
   * model saved every window.
   */
  learnedSince?(detector: string, key: string, afterMs: number | undefined): Promise<LearnedWindow[]>;
  /**
   * Hopping detectors (./hopping.ts): the step aggregates (count, partials, sketches, late merges included) of a
   * key's window items after `afterMs`, fresh or not, oldest first, read consistently. Optional: without it a rebuilt
   * forest's first hopping windows have no earlier steps.
   */
  stepsSince?(detector: string, key: string, afterMs: number): Promise<StepAggregate[]>;
  getRegistry(detector: string, shardId: string): Promise<KeyRegistry>;
  putRegistry(detector: string, shardId: string, registry: KeyRegistry): Promise<void>;
}

export interface ModelParams {
  numberOfTrees: number;
  subSampleSize: number;
  timeDecay: number;
  shingleSize: number;
  dimensions: number;
  features: string[];
}

export interface StoredModel {
  detector: string;
  key: string;
  state: Uint8Array;
  version: number;
  lastWindowMs?: number;
  params: ModelParams;
  /** The key's anomaly grade state (shared/anomaly GradeState) as of lastWindowMs; absent before the first graded save. */
  grade?: unknown;
}

/** Model items (docs/data-model.md). Implemented over DynamoDB in shared/store/models.ts. */
export interface ModelStore {
  /** The stored models of these keys (absent ones are missing from the map), read consistently. */
  loadMany(keys: ReadonlyArray<{ detector: string; key: string }>): Promise<Map<string, StoredModel>>;
  /** Saves conditionally on `expectedVersion` (undefined = must not exist yet); throws ModelConflictError. */
  save(model: StoredModel, expectedVersion: number | undefined): Promise<void>;
}

export const modelId = (detector: string, key: string): string => `${detector}\u0000${key}`;

/** Another writer saved the model first; the batch is retried and takes the idempotent path. */
export class ModelConflictError extends StreamSentinelError {
  override readonly name = 'ModelConflictError';
  constructor(
    readonly detector: string,
    readonly key: string,
  ) {
    super(`model ${detector}/${key} was saved by another invocation since it was read; the batch will be retried`);
  }
}
