/**
 * What the four scenario generators share: option checks, anomaly resolution, evenly spaced event times, the
 * merge of time-ordered streams, and `defineScenario`, the one skeleton each scenario fills with its own traffic.
 */
import { seededRandom, type Random } from '../random';
import {
  ScenarioError,
  type AnomalySpec,
  type ProducedRecord,
  type ResolvedAnomaly,
  type Scenario,
  type ScenarioName,
  type ScenarioOptions,
} from './types';

export interface NormalizedOptions {
  seed: number;
  rate: number;
  startMs: number;
  endMs: number;
}

export function normalize(options: ScenarioOptions, defaultRate: number): NormalizedOptions {
  const rate = options.rate ?? defaultRate;
  const startMs = options.start instanceof Date ? options.start.getTime() : options.start;
  if (!Number.isFinite(rate) || rate <= 0) throw new ScenarioError(`rate must be a positive number of records per second, got ${rate}`);
  if (!Number.isFinite(startMs)) throw new ScenarioError(`start must be a valid date, got ${String(options.start)}`);
  if (!Number.isFinite(options.duration) || options.duration < 0)
    throw new ScenarioError(`duration must be a non-negative number of seconds, got ${options.duration}`);
  if (!Number.isFinite(options.seed)) throw new ScenarioError(`seed must be a number, got ${options.seed}`);
  return { seed: options.seed, rate, startMs, endMs: startMs + options.duration * 1000 };
}

/**
 * Event times of evenly spaced arrivals, like the Kinesis Data Generator sending N records a second: the
 * i-th record at start + i/rate, in whole milliseconds (several records share a millisecond above 1000/s).
 */
export function* evenly(startMs: number, endMs: number, rate: number): Generator<number> {
  for (let i = 0; ; i++) {
    const t = startMs + Math.floor((i * 1000) / rate);
    if (t >= endMs) return;
    yield t;
  }
}

/** Merges time-ordered streams of [time, value] into one, stable: on equal times the earlier stream goes first. */
export function* mergeByTime<T>(streams: Array<Iterator<[number, T]>>): Generator<[number, T]> {
  const heads = streams.map((s) => s.next());
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (h.done) continue;
      if (best < 0 || h.value[0] < (heads[best]!.value as [number, T])[0]) best = i;
    }
    if (best < 0) return;
    yield heads[best]!.value as [number, T];
    heads[best] = streams[best]!.next();
  }
}

export interface KindDefaults {
  /** Default key, or undefined when the kind needs none beyond the default. */
  key: string;
  /** Default duration in seconds; Infinity lasts to the end of the run. */
  duration: number;
  /** Validates an explicit key; returns a message when it is not usable. */
  checkKey?: (key: string) => string | undefined;
}

export function resolveWith(
  scenario: string,
  kinds: Record<string, KindDefaults>,
  anomaly: AnomalySpec,
  options: ScenarioOptions,
): ResolvedAnomaly {
  const defaults = kinds[anomaly.kind];
  if (!defaults)
    throw new ScenarioError(`the ${scenario} scenario has no anomaly "${anomaly.kind}": use one of ${Object.keys(kinds).join(', ')}`);
  if (!Number.isFinite(anomaly.at) || anomaly.at < 0)
    throw new ScenarioError(`anomaly ${anomaly.kind}: "at" must be seconds from the start (≥ 0), got ${anomaly.at}`);
  if (anomaly.duration !== undefined && !(anomaly.duration > 0))
    throw new ScenarioError(`anomaly ${anomaly.kind}: duration must be positive seconds, got ${anomaly.duration}`);
  const key = anomaly.key ?? defaults.key;
  const problem = defaults.checkKey?.(key);
  if (problem) throw new ScenarioError(`anomaly ${anomaly.kind}: ${problem}`);
  const startMs = (options.start instanceof Date ? options.start.getTime() : options.start) + anomaly.at * 1000;
  const runEndMs = startMs - anomaly.at * 1000 + options.duration * 1000;
  const wanted = anomaly.duration ?? defaults.duration;
  const endMs = Number.isFinite(wanted) ? Math.min(startMs + wanted * 1000, runEndMs) : runEndMs;
  return { kind: anomaly.kind, key, at: anomaly.at, duration: Math.max(0, (endMs - startMs) / 1000), startMs, endMs };
}

export const activeAt = (anomalies: ResolvedAnomaly[], t: number): ResolvedAnomaly[] =>
  anomalies.filter((a) => t >= a.startMs && t < a.endMs);

export const oneOf = (what: string, allowed: readonly string[]) => (key: string) =>
  allowed.includes(key) ? undefined : `unknown ${what} "${key}": use one of ${allowed.join(', ')}`;

/** What a scenario's traffic is drawn from: its checked options, its resolved anomalies, a fresh seeded random source. */
export interface ScenarioRun {
  options: NormalizedOptions;
  anomalies: ResolvedAnomaly[];
  random: Random;
}

export interface ScenarioSpec {
  name: ScenarioName;
  description: string;
  defaultRate: number;
  kinds: Record<string, KindDefaults>;
  /** The records in event-time order; called once per iteration, so every pass yields the same traffic. */
  records(run: ScenarioRun): Iterator<ProducedRecord>;
}

export function defineScenario(spec: ScenarioSpec): Scenario {
  const resolveAnomaly = (anomaly: AnomalySpec, options: ScenarioOptions) => resolveWith(spec.name, spec.kinds, anomaly, options);
  return {
    name: spec.name,
    description: spec.description,
    anomalyKinds: Object.keys(spec.kinds),
    defaultRate: spec.defaultRate,
    resolveAnomaly,
    generate(options: ScenarioOptions): Iterable<ProducedRecord> {
      // Validated here rather than on first iteration, so a bad option fails where it was given.
      const normalized = normalize(options, spec.defaultRate);
      const anomalies = (options.anomalies ?? []).map((a) => resolveAnomaly(a, options));
      return { [Symbol.iterator]: () => spec.records({ options: normalized, anomalies, random: seededRandom(normalized.seed) }) };
    },
  };
}

/** A generated record: its group key is also its partition key; `cause` marks it as made while that anomaly was in force. */
export const produced = (key: string, eventTime: Date, data: string, cause?: ResolvedAnomaly): ProducedRecord => ({
  data,
  partitionKey: key,
  key,
  eventTime,
  ...(cause ? { anomaly: { kind: cause.kind, key: cause.key } } : {}),
});
