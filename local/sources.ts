import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  getScenario,
  injectedAnomalies,
  parseAnomaly,
  readReplayFile,
  type ReplayReadOptions,
  type ScenarioName,
} from '../shared/producers';
import { defaultField, rcfDetectors, type Detector } from '../shared/detectors';
import { getField, keyField, parseEventTime, routeRecord } from '../shared/records';
import { describeConditions, hasConditions, withConditions, type ProducerConditions } from '../shared/producers/realism';
import { pacedPut, type PacedRecord } from './pacing';
import { loadLocalDetectors } from './pipeline';
import type { RecordSource } from './run';

/**
 * Record sources for local mode: a producer scenario (seeded, in compressed event time, with anomalies
 * injected) or a replayed file. Both are paced in step with the event source's windows (pacing.ts), each
 * record by its arrival when producer conditions (latency, flush, clock skew) delay or skew it.
 */

/**
 * What each scenario plays by default: enough windows for the forests to warm up (they score 0 until their
 * sample is full, 64 windows for the toll detector), then the anomaly, then a dozen windows of it. The rate is
 * below the scenario's 100/s so a 2-core machine keeps up at 30× (1,500 records/s put).
 */
export const SCENARIO_DEFAULTS: Record<string, { duration: number; anomalies: string[]; rate?: number }> = {
  toll: { duration: 840, anomalies: ['diversion@720s'], rate: 50 },
  // The forests score from their 64th window (subSampleSize 64 of 10 s windows): each demo injects its
  // anomaly after that warm-up, at 12 min of event time, and lasts long enough to be seen on the dashboard.
  wind: { duration: 840, anomalies: ['storm@720s'] },
  clicks: { duration: 840, anomalies: ['spike@720s'] },
  // Hotspots need no warm-up: a gathering after a couple of minutes of scattered players.
  players: { duration: 240, anomalies: ['hotspot@120s'] },
};

export interface ScenarioSourceOptions {
  scenario: string;
  seed: number;
  /** Event-time seconds to play. */
  duration?: number;
  /** Event seconds per wall second (rounded to whole detector windows per event-source window). */
  speed?: number;
  forever?: boolean;
  /** Event-source window in wall seconds (must match the run's). */
  slotSeconds?: number;
  anomalies?: string[];
  /** Event time of the first record (default: the current hour, so the dashboard shows today). */
  start?: number;
  /** Records per event-time second. */
  rate?: number;
  /** The detectors file the run uses (default: DETECTORS_FILE or detectors.yml). */
  detectorsFile?: string;
  /** Field producers' latency, flushes and clock skew, in event-time units (drawn from `seed` unless they set one). */
  conditions?: ProducerConditions;
}

/** The event-time window the detectors count in; pacing keeps each of these inside one arrival window. */
export function detectorWindowMs(detectorsFile?: string): number {
  const windows = rcfDetectors(loadLocalDetectors(detectorsFile)).map((d) => d.windowSeconds);
  return (windows.length ? Math.max(...windows) : 10) * 1000;
}

function windowsPerSlot(speed: number | undefined, eventWindowMs: number, slotMs: number, conditions?: ProducerConditions): number {
  // Default 30× for 10 s windows and 1 s slots: the toll demo warms up and reaches its anomaly in ~30 s. With late
  // producers, one detector window per slot instead: the arrival window is then one detector window long, as the
  // deployed Lambda window is (10 s), so late records do what they would do there (3 windows a slot would let the
  // first two absorb their late records and understate it about threefold).
  const wanted = speed ?? ((hasConditions(conditions) ? 1 : 3) * eventWindowMs) / slotMs;
  return Math.max(1, Math.round((wanted * slotMs) / eventWindowMs));
}

const paceText = (perSlot: number, eventWindowMs: number, slotMs: number) =>
  Number.isFinite(perSlot) ? `at ${(perSlot * eventWindowMs) / slotMs}× real time` : 'as fast as whole detector windows can be put';

const conditionsText = (c: ProducerConditions | undefined) => (hasConditions(c) ? `; producers: ${describeConditions(c)}` : '');

/**
 * Records as the producers' conditions deliver them: event time (and the time in the data) as their clocks wrote it,
 * arrivalTime when they land. The records must be in event-time order; without conditions they are as they were.
 */
export function arrivingRecords(
  records: readonly ProducedRecordLike[],
  conditions: ProducerConditions | undefined,
  seed: number,
): PacedRecord[] {
  if (!hasConditions(conditions)) return records.map(toPaced);
  const timed = records.map((r) => ({ ...r, eventTime: new Date(r.eventTime) }));
  return [...withConditions(timed, { seed, ...conditions })].map((r) => ({ ...toPaced(r), arrivalTime: r.arrivalMs }));
}

interface ProducedRecordLike {
  data: string;
  partitionKey: string;
  eventTime: Date | number;
}

export function scenarioSource(options: ScenarioSourceOptions): RecordSource {
  const scenario = getScenario(options.scenario);
  const defaults = SCENARIO_DEFAULTS[options.scenario] ?? { duration: 600, anomalies: [] };
  const duration = options.duration ?? defaults.duration;
  const rate = options.rate ?? defaults.rate;
  const anomalies = (options.anomalies ?? defaults.anomalies).map((a) => parseAnomaly(a));
  const eventWindowMs = detectorWindowMs(options.detectorsFile);
  const slotMs = (options.slotSeconds ?? 1) * 1000;
  const perSlot = windowsPerSlot(options.speed, eventWindowMs, slotMs, options.conditions);
  const start = options.start ?? Math.floor(Date.now() / 3_600_000) * 3_600_000;
  let stopped = false;

  const scenarioOptions = (from: number, seed: number, withAnomalies: boolean) => ({
    seed,
    start: from,
    duration,
    ...(rate !== undefined ? { rate } : {}),
    anomalies: withAnomalies ? anomalies : [],
  });
  const first = scenarioOptions(start, options.seed, true);
  // Validates the anomalies (kind, key) before anything starts.
  const injected = injectedAnomalies(scenario.name as ScenarioName, first).map((a) => ({
    kind: a.kind,
    key: a.key,
    windowStart: new Date(Math.floor(a.startMs / eventWindowMs) * eventWindowMs).toISOString(),
  }));
  const records = arrivingRecords([...scenario.generate(first)], options.conditions, options.seed);

  return {
    description: `${options.scenario} scenario, seed ${options.seed}, ${duration} s of event time${injected.length ? ` with ${injected.map((i) => `${i.kind} on ${i.key} at ${i.windowStart.slice(11, 19)}`).join(', ')}` : ''}, ${paceText(perSlot, eventWindowMs, slotMs)}${options.forever ? ', repeating until Ctrl-C' : ''}${conditionsText(options.conditions)}`,
    ...(options.forever ? {} : { total: records.length }),
    injected,
    run: async (client: KinesisClient, streamName: string, onProgress: (put: number) => void) => {
      let total = 0;
      let batch = records;
      for (let round = 1; ; round++) {
        const result = await pacedPut(batch, {
          client,
          streamName,
          eventWindowMs,
          slotMs,
          windowsPerSlot: perSlot,
          onProgress: (n) => onProgress(total + n),
          shouldStop: () => stopped,
        });
        total += result.put;
        if (!options.forever || stopped) return total;
        // The traffic continues where it ended, with the next seed and no further anomaly.
        const next = [...scenario.generate(scenarioOptions(start + round * duration * 1000, options.seed + round, false))];
        batch = arrivingRecords(next, options.conditions, options.seed + round);
      }
    },
    stop: () => {
      stopped = true;
    },
  };
}

export interface ReplaySourceOptions {
  file: string;
  /** The detectors file the run uses: it routes each record to its key and time fields. */
  detectorsFile?: string;
  speed?: number;
  slotSeconds?: number;
  /** Latency and flushes only: a replayed record's time field is the file's, not a generator's, so it is not skewed. */
  conditions?: ProducerConditions;
  /** Seed of the conditions' draws (default 1). */
  seed?: number;
}

/** Replays a file or directory (any format the replay reader takes, gzip or not), read whole before it starts. */
export async function replaySource(options: ReplaySourceOptions): Promise<RecordSource> {
  const formats = new Set<string>();
  let notSent = 0;
  if (options.conditions?.clockSkew)
    throw new RangeError(
      'a clock skew shifts the time a generator writes: it applies to scenarios, not to --replay (use --latency or --flush)',
    );
  const read = await pacedRecordsFromFile(options.file, loadLocalDetectors(options.detectorsFile), {
    onFormat: (format) => formats.add(format),
    onSkip: () => notSent++,
  });
  // The producers' delays run from each record's event time, so they are applied in event-time order.
  const records = hasConditions(options.conditions)
    ? arrivingRecords(
        read.map((r) => ({ ...r, data: String(r.data) })).sort((a, b) => a.eventTime - b.eventTime),
        options.conditions,
        options.seed ?? 1,
      )
    : read;
  if (!records.length) throw new Error(`${options.file} has no records to replay`);
  const eventWindowMs = detectorWindowMs(options.detectorsFile);
  const slotMs = (options.slotSeconds ?? 1) * 1000;
  const perSlot = windowsPerSlot(options.speed, eventWindowMs, slotMs, options.conditions);
  let stopped = false;
  return {
    description:
      `replay of ${options.file} (${[...formats].join(', ')}, ${records.length} records` +
      `${notSent ? `, ${notSent} kept reject line(s) not sent: repeats or cut data` : ''}, event time from the detectors' time fields) ` +
      paceText(perSlot, eventWindowMs, slotMs) +
      conditionsText(options.conditions),
    total: records.length,
    injected: [],
    run: async (client, streamName, onProgress) =>
      (
        await pacedPut(records, {
          client,
          streamName,
          eventWindowMs,
          slotMs,
          windowsPerSlot: perSlot,
          onProgress,
          shouldStop: () => stopped,
        })
      ).put,
    stop: () => {
      stopped = true;
    },
  };
}

const toPaced = (r: ProducedRecordLike): PacedRecord => ({
  data: r.data,
  partitionKey: r.partitionKey,
  eventTime: typeof r.eventTime === 'number' ? r.eventTime : r.eventTime.getTime(),
});

/** Kinesis allows partition keys of up to 256 characters; the detectors' keys may be longer (up to 512). */
const MAX_PARTITION_KEY = 256;

/**
 * The records of a file (or a directory's files) to replay, each with the partition key and event time a producer
 * would have set. The bytes are read by the project's replay reader (shared/producers/replay: CSV, NDJSON,
 * concatenated JSON such as raw Firehose output, kept rejects; gzip by its magic bytes; a CSV header is not sent).
 * Each record's data is then routed through the detectors as the stream functions route it: the key is the first
 * rcf detector's `key` field, the event time the first taking detector's `time` field. A record no detector takes
 * (or whose time does not parse) is replayed too, at the previous record's event time (records before the first
 * timed one at its time: a stray first line does not open a gap of years), keyed as the reader keyed it (key
 * field, kept partition key or the file's name); the stream functions reject and count it, as in the cloud. When
 * no record has a detector time, all of them are at the time of the read. The pacer orders them by event time.
 */
export async function pacedRecordsFromFile(path: string, detectors: Detector[], read: ReplayReadOptions = {}): Promise<PacedRecord[]> {
  const records: Array<{ data: string; partitionKey: string; eventTime: number | undefined }> = [];
  let first: number | undefined;
  for await (const record of readReplayFile(path, read)) {
    const { events } = routeRecord(record.data, detectors, defaultField);
    let key: string | undefined;
    let eventTime: number | undefined;
    for (const { detector, fields } of events) {
      if (key === undefined && detector.kind === 'rcf') {
        const k = keyField(fields, detector.key);
        if (k.ok) key = k.value.slice(0, MAX_PARTITION_KEY);
      }
      if (eventTime === undefined && detector.time) {
        const t = parseEventTime(getField(fields, detector.time.field), detector.time.format);
        if (t.ok) eventTime = t.value;
      }
    }
    first ??= eventTime;
    records.push({ data: record.data, partitionKey: key ?? record.partitionKey, eventTime });
  }
  let last = first ?? Date.now();
  return records.map((r) => {
    if (r.eventTime !== undefined) last = r.eventTime;
    return { data: r.data, partitionKey: r.partitionKey, eventTime: last };
  });
}
