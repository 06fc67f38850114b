import type { Logger } from '@aws-lambda-powertools/logger';
import { firehoseClient } from '../aws/firehose';
import type { Reject } from '../records/reject';
import { FirehoseRejectsSink } from './firehose';
import { FileRejectsSink, type RejectBatch, type RejectsSink } from './sink';

/** The logging the rejects path needs (Powertools' Logger; a type import only). */
type RejectsLogger = Pick<Logger, 'warn' | 'info'>;

const MAX_LOGGED_REJECTS = 100;

/**
 * Keeps one invoke's rejects, one batch per detector, and logs the first of them with their sequence numbers.
 * A sink failure rejects the promise and so fails the invoke: Lambda retries the batch, and rejects are never
 * dropped silently. Shared by the stream functions (windows, hotspots).
 */
export async function keepRejects(
  rejects: readonly Reject[],
  shardId: string,
  window: { start: string; end: string } | undefined,
  sink: RejectsSink,
  logger?: RejectsLogger,
): Promise<void> {
  const byDetector = new Map<string, Reject[]>();
  for (const r of rejects) {
    const k = r.detector ?? '';
    let list = byDetector.get(k);
    if (!list) byDetector.set(k, (list = []));
    list.push(r);
  }
  const locations = await Promise.all(
    [...byDetector].map(([detector, list]) => {
      const batch: RejectBatch = { shardId, rejects: list, ...(detector ? { detector } : {}), ...(window ? { window } : {}) };
      return sink.write(batch);
    }),
  );
  for (const r of rejects.slice(0, MAX_LOGGED_REJECTS)) {
    logger?.warn('record rejected', { sequenceNumber: r.sequenceNumber, index: r.index, detector: r.detector, reason: r.reason });
  }
  if (rejects.length > MAX_LOGGED_REJECTS) logger?.warn('more records rejected', { count: rejects.length - MAX_LOGGED_REJECTS });
  logger?.info('rejects kept', { count: rejects.length, locations });
}

/**
 * The rejects destination a stream function's configuration names: a directory (local runs), else the rejects
 * delivery stream (deployed stages), else — with neither set, e.g. `sls invoke local` — the log, in full.
 */
export function rejectsSinkFor(config: { rejectsDir?: string; rejectsStream?: string }, logger: RejectsLogger): RejectsSink {
  if (config.rejectsDir) return new FileRejectsSink(config.rejectsDir);
  if (config.rejectsStream) return new FirehoseRejectsSink(firehoseClient(), config.rejectsStream);
  return {
    write: async (batch) => {
      logger.warn('rejects (no REJECTS_STREAM or REJECTS_DIR set)', { batch });
      return 'log';
    },
  };
}
