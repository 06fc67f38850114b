import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Reject } from '../records/reject';

/** One invoke's rejects of one detector (or of no detector), kept together. */
export interface RejectBatch {
  shardId: string;
  /** The detector the records failed for; undefined when no detector took them. */
  detector?: string;
  window?: { start: string; end: string };
  rejects: Reject[];
}

/** Where rejected records are kept. */
export interface RejectsSink {
  /** Returns where the batch went (firehose:…, a file path, or memory:…). */
  write(batch: RejectBatch): Promise<string>;
}

/**
 * `<detector>/<date>/<shard>-<first sequence number>.jsonl` (no detector segment for records no detector
 * took): the first sequence number makes the name unique per batch and stable across retries, so a retried
 * invoke overwrites its file instead of adding one.
 */
export function rejectObjectKey(batch: RejectBatch, nowMs: number): string {
  const date = new Date(nowMs).toISOString().slice(0, 10);
  const first = batch.rejects[0]?.sequenceNumber ?? 'none';
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return [...(batch.detector ? [safe(batch.detector)] : []), date, `${safe(batch.shardId)}-${safe(first)}.jsonl`].join('/');
}

/**
 * One reject as one JSON line: flat, so that the Glue table `rejects` (resources/analytics.yml) reads it with
 * the JSON SerDe. The same lines go to Firehose (deployed) and to files (local runs).
 */
export interface RejectLine {
  keptAt: string;
  shardId: string;
  detector: string | null;
  windowStart: string | null;
  windowEnd: string | null;
  sequenceNumber: string;
  partitionKey: string | null;
  arrival: string;
  /** Position of the object within the record (concatenated JSON). */
  objectIndex: number;
  reason: string;
  data: string;
}

export function rejectLines(batch: RejectBatch, nowMs: number): string[] {
  const keptAt = new Date(nowMs).toISOString();
  return batch.rejects.map((r) => {
    const line: RejectLine = {
      keptAt,
      shardId: batch.shardId,
      detector: r.detector ?? batch.detector ?? null,
      windowStart: batch.window?.start ?? null,
      windowEnd: batch.window?.end ?? null,
      sequenceNumber: r.sequenceNumber,
      partitionKey: r.partitionKey ?? null,
      arrival: r.arrival,
      objectIndex: r.index,
      reason: r.reason,
      data: r.data,
    };
    return `${JSON.stringify(line)}\n`;
  });
}

/** Local runs: JSON lines under a directory, one file per batch (`<dir>/<detector>/<date>/<shard>-<seq>.jsonl`). */
export class FileRejectsSink implements RejectsSink {
  constructor(
    private readonly dir: string,
    private readonly now: () => number = Date.now,
  ) {}
  async write(batch: RejectBatch): Promise<string> {
    const nowMs = this.now();
    const file = join(this.dir, rejectObjectKey(batch, nowMs));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, rejectLines(batch, nowMs).join(''));
    return file;
  }
}

/** Tests and in-process runs: keeps batches by object key. */
export class MemoryRejectsSink implements RejectsSink {
  readonly objects = new Map<string, RejectBatch>();
  constructor(private readonly now: () => number = Date.now) {}
  async write(batch: RejectBatch): Promise<string> {
    const key = rejectObjectKey(batch, this.now());
    this.objects.set(key, structuredClone(batch));
    return `memory:${key}`;
  }
  get all(): Reject[] {
    return [...this.objects.values()].flatMap((b) => b.rejects);
  }
}
