import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Reject } from '../windows/aggregate';

/** One invoke's rejects of one detector (or of no detector), written as one object. */
export interface RejectBatch {
  shardId: string;
  /** The detector the records failed for; undefined when no detector took them. */
  detector?: string;
  window?: { start: string; end: string };
  rejects: Reject[];
}

/** Where rejected records are kept. Writing the same batch twice (a retried invoke) overwrites, never duplicates. */
export interface RejectsSink {
  /** Returns the location written (s3://…, a file path, or memory:…). */
  write(batch: RejectBatch): Promise<string>;
}

/**
 * `rejects/<detector>/<date>/<shard>-<first sequence number>.json` (no detector segment for records no detector
 * took): the first sequence number makes the name unique per batch and stable across retries.
 */
export function rejectObjectKey(batch: RejectBatch, nowMs: number): string {
  const date = new Date(nowMs).toISOString().slice(0, 10);
  const first = batch.rejects[0]?.sequenceNumber ?? 'none';
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return ['rejects', ...(batch.detector ? [safe(batch.detector)] : []), date, `${safe(batch.shardId)}-${safe(first)}.json`].join('/');
}

export const rejectBody = (batch: RejectBatch): string => JSON.stringify({ shardId: batch.shardId, detector: batch.detector ?? null, window: batch.window ?? null, rejects: batch.rejects });

/** Local mode: the same layout as the bucket, under a directory. */
export class FileRejectsSink implements RejectsSink {
  constructor(
    private readonly dir: string,
    private readonly now: () => number = Date.now,
  ) {}
  async write(batch: RejectBatch): Promise<string> {
    const file = join(this.dir, rejectObjectKey(batch, this.now()));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, rejectBody(batch));
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
