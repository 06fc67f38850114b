import { setTimeout as delay } from 'node:timers/promises';
import { produce, type PutRecordsClient } from '../shared/producers/put';
import { KINESIS_MAX_BATCH_RECORDS } from '../shared/records/limits';

/**
 * Puts records in compressed event time, in step with the local event source's tumbling windows.
 *
 * Lambda's tumbling window is by arrival time; the detectors' windows are by event time. In real time the
 * two coincide, but a demo that compresses event time would split a detector window across two arrival
 * windows whenever their edges fall differently, and the second part would be merged as late instead of
 * scored with the first. So the pacer gives each arrival-time slot (the event source's window, aligned to
 * the same epoch grid) whole detector windows, puts each only when it can finish inside the slot, and waits
 * for the next one: every detector window is then read, counted and scored in one Lambda window.
 */

export interface PacedRecord {
  data: Uint8Array | string;
  partitionKey: string;
  /** Event time, ms since the epoch. */
  eventTime: number;
  /**
   * When a simulated producer's record arrives (shared/producers/realism.ts), on the event-time line: it is put with
   * the detector window its arrival falls in, not its event time's. eventTime when absent.
   */
  arrivalTime?: number;
}

export interface PacingOptions {
  client: PutRecordsClient;
  streamName: string;
  /** The detectors' window in event time (ms). */
  eventWindowMs: number;
  /** The event source's tumbling window in wall-clock time (ms). */
  slotMs: number;
  /** Detector windows put per slot (speed = windowsPerSlot · eventWindowMs / slotMs). */
  windowsPerSlot: number;
  onProgress?: (put: number) => void;
  shouldStop?: () => boolean;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface PacingResult {
  put: number;
  /** Arrival-time slots used. */
  slots: number;
  /** Detector windows whose puts ended after their slot: their last records count as late. */
  overruns: number;
  /** Detector windows moved to the next slot because too little of theirs was left to put them whole. */
  deferred: number;
}

const MAX_BATCH = KINESIS_MAX_BATCH_RECORDS;
/** Past a slot's edge before putting, so arrival stamps (ms resolution) land clearly inside it. */
const EDGE_MARGIN_MS = 15;
/** A window is started only if its estimated put time, times this, fits in what is left of the slot. */
const SAFETY_FACTOR = 2;

/**
 * Records grouped by window of their arrival (their event time unless a producer delayed them) from the first
 * record's window, oldest first; quiet windows stay, empty. A delayed record thus goes out with a later window's
 * records, in a later slot when it crosses one, and is merged as late there, as it would be in the cloud.
 */
export function planWindows(records: readonly PacedRecord[], eventWindowMs: number): PacedRecord[][] {
  if (!records.length) return [];
  const at = (r: PacedRecord) => r.arrivalTime ?? r.eventTime;
  const sorted = [...records].sort((a, b) => at(a) - at(b));
  const first = Math.floor(at(sorted[0]!) / eventWindowMs);
  const windows: PacedRecord[][] = [];
  for (const r of sorted) (windows[Math.floor(at(r) / eventWindowMs) - first] ??= []).push(r);
  for (let i = 0; i < windows.length; i++) windows[i] ??= [];
  return windows;
}

/**
 * How long putting n records takes here, learnt from the puts so far (exponential average per record, plus a
 * fixed cost per PutRecords call). Starts pessimistic, so the first slots are not overfilled before it knows.
 */
export class PutTimeEstimator {
  private msPerRecord = 0.2;
  private readonly msPerCall = 5;
  estimate(records: number): number {
    return records === 0 ? 0 : Math.ceil(records / MAX_BATCH) * this.msPerCall + records * this.msPerRecord;
  }
  observe(records: number, elapsedMs: number): void {
    if (records < 50) return;
    const perRecord = Math.max(0, elapsedMs - Math.ceil(records / MAX_BATCH) * this.msPerCall) / records;
    this.msPerRecord = 0.7 * this.msPerRecord + 0.3 * perRecord;
  }
}

/**
 * Puts every record, detector window by detector window, at most `windowsPerSlot` windows per arrival-time slot.
 * A window is only started in a slot if it can be put whole before the slot ends (by the estimate); otherwise it
 * waits for the next slot, so a busy machine slows the demo down instead of splitting windows. A window that
 * overruns anyway (a stall in the middle of its puts) is counted, and the next one starts in a fresh slot.
 */
export async function pacedPut(records: readonly PacedRecord[], options: PacingOptions): Promise<PacingResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const { slotMs } = options;
  const windows = planWindows(records, options.eventWindowMs);
  const estimator = new PutTimeEstimator();
  const result: PacingResult = { put: 0, slots: 0, overruns: 0, deferred: 0 };
  if (!windows.length) return result;

  let slotStart = 0;
  let inSlot = 0;
  let fresh = false;
  /** The next slot on the epoch grid the event source's windows use that has not begun yet; waits for it. */
  const nextSlot = async () => {
    slotStart = Math.max(slotStart + slotMs, (Math.floor((now() - EDGE_MARGIN_MS) / slotMs) + 1) * slotMs);
    const wait = slotStart + EDGE_MARGIN_MS - now();
    if (wait > 0) await sleep(wait);
    result.slots++;
    inSlot = 0;
    fresh = true;
  };
  const fits = (n: number) => now() + SAFETY_FACTOR * estimator.estimate(n) <= slotStart + slotMs - EDGE_MARGIN_MS;

  await nextSlot();
  for (const window of windows) {
    if (options.shouldStop?.()) break;
    // At the start of a slot a window goes whatever its size: waiting longer would not make it fit better.
    while (inSlot >= options.windowsPerSlot || !(fresh || fits(window.length))) {
      if (inSlot < options.windowsPerSlot) result.deferred++;
      await nextSlot();
    }
    const began = now();
    // The one PutRecords batcher (batching limits, retries of failed entries); one call in flight keeps each
    // window's records in order on the shard, as before.
    await produce({
      client: options.client,
      streamName: options.streamName,
      records: window.map((r) => ({ data: r.data, partitionKey: r.partitionKey })),
      concurrency: 1,
      onLanded: () => {
        result.put++;
      },
      onProgress: () => options.onProgress?.(result.put),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
    estimator.observe(window.length, now() - began);
    if (now() > slotStart + slotMs) result.overruns++;
    inSlot++;
    fresh = false;
  }
  return result;
}
