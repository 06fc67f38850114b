import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';

/**
 * Puts records in compressed event time, in step with the local event source's tumbling windows.
 *
 * Lambda's tumbling window is by arrival time; the detectors' windows are by event time. In real time the
 * two coincide, but a demo that compresses event time would split a detector window across two arrival
 * windows whenever their edges fall differently, and the second part would be merged as late instead of
 * scored with the first. So the pacer gives each arrival-time slot (the event source's window, aligned to
 * the same epoch grid) a whole number of detector windows, puts them early in the slot, and waits for the
 * next one: every detector window is then read, counted and scored in one Lambda window.
 */

export interface PacedRecord {
  data: Uint8Array | string;
  partitionKey: string;
  /** Event time, ms since the epoch. */
  eventTime: number;
}

export interface PacingOptions {
  client: KinesisClient;
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
  slots: number;
  /** Slots whose puts were still running when the next slot began (their last records may count as late). */
  overruns: number;
}

const MAX_BATCH = 500;
const MAX_BATCH_BYTES = 5 * 1024 * 1024;
/** Past a slot's edge before putting, so arrival stamps (ms resolution) land clearly inside it. */
const EDGE_MARGIN_MS = 15;

/** The event-time window index of each record and the slot it goes to, from the first record's window. */
export function planSlots(records: readonly PacedRecord[], eventWindowMs: number, windowsPerSlot: number): PacedRecord[][] {
  if (!records.length) return [];
  const sorted = [...records].sort((a, b) => a.eventTime - b.eventTime);
  const first = Math.floor(sorted[0]!.eventTime / eventWindowMs);
  const slots: PacedRecord[][] = [];
  for (const r of sorted) {
    const slot = Math.floor((Math.floor(r.eventTime / eventWindowMs) - first) / windowsPerSlot);
    (slots[slot] ??= []).push(r);
  }
  // Gaps in event time keep their (empty) slots: quiet periods stay quiet in wall time too.
  for (let i = 0; i < slots.length; i++) slots[i] ??= [];
  return slots;
}

async function putAll(
  client: KinesisClient,
  streamName: string,
  records: readonly PacedRecord[],
  onPut: (n: number) => void,
): Promise<void> {
  let batch: PutRecordsRequestEntry[] = [];
  let bytes = 0;
  const flush = async () => {
    let pending = batch;
    batch = [];
    bytes = 0;
    for (let attempt = 0; pending.length; attempt++) {
      const res = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }));
      const failed = (res.Records ?? [])
        .map((r, i) => (r.ErrorCode ? pending[i]! : undefined))
        .filter((r): r is PutRecordsRequestEntry => r !== undefined);
      onPut(pending.length - failed.length);
      if (failed.length && attempt >= 8)
        throw new Error(`PutRecords kept failing for ${failed.length} record(s): ${res.Records?.find((r) => r.ErrorCode)?.ErrorMessage}`);
      // Only the failed entries are retried, so nothing is put twice.
      pending = failed;
      if (failed.length) await new Promise((ok) => setTimeout(ok, 50 * 2 ** attempt));
    }
  };
  for (const r of records) {
    const data = typeof r.data === 'string' ? Buffer.from(r.data) : r.data;
    const size = data.length + Buffer.byteLength(r.partitionKey);
    if (batch.length === MAX_BATCH || bytes + size > MAX_BATCH_BYTES) await flush();
    batch.push({ Data: data, PartitionKey: r.partitionKey });
    bytes += size;
  }
  if (batch.length) await flush();
}

/** Puts every record, slot by slot; resolves with what was put. */
export async function pacedPut(records: readonly PacedRecord[], options: PacingOptions): Promise<PacingResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((ok) => setTimeout(ok, ms)));
  const slots = planSlots(records, options.eventWindowMs, options.windowsPerSlot);
  // The first slot is the next whole one on the epoch grid the event source's windows use.
  const t0 = (Math.floor(now() / options.slotMs) + 1) * options.slotMs;
  let put = 0;
  let overruns = 0;
  let done = 0;
  for (let i = 0; i < slots.length; i++) {
    if (options.shouldStop?.()) break;
    const start = t0 + i * options.slotMs;
    const wait = start + EDGE_MARGIN_MS - now();
    if (wait > 0) await sleep(wait);
    else if (i > 0) overruns++;
    await putAll(options.client, options.streamName, slots[i]!, (n) => {
      put += n;
      options.onProgress?.(put);
    });
    done++;
  }
  return { put, slots: done, overruns };
}
