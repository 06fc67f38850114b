/** The shapes every scenario generator shares: names, anomaly specs, options and produced records. */
export type ScenarioName = 'toll' | 'wind' | 'players' | 'clicks';
import { StreamSentinelError } from '../../errors';

/** One anomaly to inject: `kind` at `at` seconds of event time from the start, optionally on `key` for `duration` seconds. */
export interface AnomalySpec {
  kind: string;
  /** Seconds from the start, in event time. */
  at: number;
  /** The group key it affects (station, location, URL, "lat,lon" centre); each kind has a default. */
  key?: string;
  /** Seconds; each kind has a default (diversion and quiet last to the end). */
  duration?: number;
}

/** An anomaly with its defaults filled in: what a report lists as injected. */
export interface ResolvedAnomaly {
  kind: string;
  key: string;
  at: number;
  duration: number;
  /** Event time the anomaly starts and ends (exclusive), ms since the epoch. */
  startMs: number;
  endMs: number;
}

export interface ScenarioOptions {
  seed: number;
  /** Records per event-time second (the scenario's defaultRate when omitted). */
  rate?: number;
  /** Event time of the first record. */
  start: Date | number;
  /** Seconds of event time to generate. */
  duration: number;
  anomalies?: AnomalySpec[];
}

export interface ProducedRecord {
  /** The record as put on the stream (CSV line or JSON text); it carries its own event time. */
  data: string;
  partitionKey: string;
  eventTime: Date;
  /** The record's group key (station, location, player, URL). */
  key: string;
  /** Set on records generated while an anomaly was in force. */
  anomaly?: { kind: string; key: string };
}

export interface Scenario {
  name: ScenarioName;
  description: string;
  anomalyKinds: string[];
  defaultRate: number;
  /** Fills in an anomaly's default key and duration; throws ScenarioError for a kind or key the scenario lacks. */
  resolveAnomaly(anomaly: AnomalySpec, options: ScenarioOptions): ResolvedAnomaly;
  /** Records in event-time order; lazy, so long durations do not sit in memory. */
  generate(options: ScenarioOptions): Iterable<ProducedRecord>;
}

/** A scenario's option or anomaly that cannot be honoured; the message says what to change. */
export class ScenarioError extends StreamSentinelError {}
