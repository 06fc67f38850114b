/**
 * The per-record service's ports: where its anomalous records and per-window summaries go. Forests are kept through
 * the windows service's ModelStore port (shared/windows/ports.ts), as model items keyed by detector and forest key.
 * The DynamoDB adapter is ./dynamo.ts.
 */

/** A record that scored at or above its detector's storeAbove: kept as one item. */
export interface RecordAnomaly {
  detector: string;
  /** The forest's key: the record's key field, or `shard:<shardId>` for a detector without a key. */
  forestKey: string;
  timeMs: number;
  sequenceNumber: string;
  /** Position of the object within the Kinesis record (concatenated JSON holds several). */
  index: number;
  shardId: string;
  score: number;
  threshold: number;
  features: Record<string, number>;
  attribution?: Array<{ column: string; score: number; direction: 'HIGH' | 'LOW' }>;
  /**
   * The record crosses the detector's alert rule (score ≥ threshold): its item carries the pending-alerts marker, so
   * the alerts function sends it like an anomalous window (per-key cooldown and digest apply).
   */
  alert?: boolean;
}

/** What one forest saw in one Lambda tumbling window: the cheap trace of every record that was not stored. */
export interface RecordSummary {
  detector: string;
  forestKey: string;
  windowStartMs: number;
  windowEndMs: number;
  shardId: string;
  /** Set when a window's summaries were written early (too many forests to carry): the first sequence number of the invoke. */
  part?: string;
  records: number;
  /** Scored past warm-up (a score above 0 is possible only then). */
  scored: number;
  scoreSum: number;
  maxScore: number;
  maxScoreAtMs?: number;
  /** Records at or above the detector's threshold. */
  anomalies: number;
  /** Records stored as items (at or above storeAbove). */
  stored: number;
}

export interface RecordResultStore {
  putAnomalies(items: readonly RecordAnomaly[]): Promise<void>;
  putSummaries(items: readonly RecordSummary[]): Promise<void>;
}
