import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import type { CheckpointStore } from './checkpoints';
import {
  arrivalMs,
  iso,
  lambdaContext,
  onFailureRecord,
  toLambdaRecord,
  type OnFailureRecord,
  type StreamHandler,
  type TumblingWindowEvent,
} from './lambda-shapes';
import { StreamSentinelError } from '../../shared/errors';

/**
 * One shard's consumer: reads the shard in order, cuts arrival-time tumbling windows, invokes the handler
 * one batch at a time and applies Lambda's failure semantics (partial batch responses, bisection, retries,
 * the on-failure destination), moving the shard's checkpoint as records are done with. The event source
 * (index.ts) only lists shards, runs one consumer each and aggregates their stats.
 */

export interface EventSourceOptions {
  client: KinesisClient;
  streamName: string;
  streamArn: string;
  region?: string;
  handler: StreamHandler;
  functionName?: string;
  /** Records per invoke at most (Lambda's BatchSize; default 100). */
  batchSize?: number;
  /** Tumbling window length in seconds of arrival time (fractions allowed locally). */
  tumblingWindowSeconds: number;
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  reportBatchItemFailures?: boolean;
  bisectBatchOnFunctionError?: boolean;
  /** Retries of a failing batch before it goes to the on-failure destination (default 3). */
  maximumRetryAttempts?: number;
  /** Wait between polls of a shard that is caught up (Lambda polls about once a second; default 100 ms). */
  pollIntervalMs?: number;
  /**
   * A window is closed once a read that began this long after its end found nothing more of it: a put
   * stamped just before the end may still be in flight inside the emulator when the window ends.
   */
  arrivalGraceMs?: number;
  /** State size (JSON bytes) beyond which the window terminates early (Lambda: 1 MB). */
  maxStateBytes?: number;
  retryDelayMs?: number;
  checkpoints?: CheckpointStore;
  onInvoke?: (report: InvokeReport) => void;
  onFailure?: (failure: OnFailureRecord) => void;
}

export type ResolvedOptions = Required<Omit<EventSourceOptions, 'onInvoke' | 'onFailure' | 'checkpoints' | 'region' | 'functionName'>> &
  Pick<EventSourceOptions, 'onInvoke' | 'onFailure'> & { region: string; functionName: string };

export interface InvokeReport {
  shardId: string;
  window?: { start: string; end: string };
  records: number;
  final: boolean;
  terminatedEarly: boolean;
  outcome: 'ok' | 'partial' | 'error';
  error?: string;
  millis: number;
}

export interface EventSourceStats {
  recordsRead: number;
  /** Records the handler accepted (retried records count once per successful delivery). */
  recordsDelivered: number;
  invokes: number;
  finalInvokes: number;
  windowsTerminatedEarly: number;
  functionErrors: number;
  partialFailures: number;
  retries: number;
  recordsSentToOnFailure: number;
}

/** What a consumer needs from the event source that runs it. */
export interface ConsumerHost {
  readonly options: ResolvedOptions;
  readonly stats: EventSourceStats;
  readonly checkpoints: CheckpointStore;
  readonly isRunning: boolean;
  recordFailure(failure: OnFailureRecord): void;
}

interface Piece {
  records: KinesisRecord[];
  attempts: number;
}

type InvokeResult =
  | { kind: 'ok'; state: Record<string, unknown> }
  | { kind: 'partial'; state: Record<string, unknown>; firstFailed: number; error: string }
  | { kind: 'error'; error: string };

class HandlerResponseError extends StreamSentinelError {}

const errorText = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

export class ShardConsumer {
  private iterator: string | undefined;
  private shardEnded = false;
  private readonly pending: KinesisRecord[] = [];
  private lastReadSequence: string | undefined;
  /** Wall time at which the latest read that reached the end of the shard began. */
  private caughtUpAt = 0;
  private window: { start: number; end: number } | undefined;
  private state: Record<string, unknown> = {};

  constructor(
    private readonly source: ConsumerHost,
    readonly shardId: string,
  ) {}

  describe(): { shardId: string; checkpoint?: string; buffered: number; window?: { start: string; end: string } } {
    const checkpoint = this.source.checkpoints.get(this.shardId);
    return {
      shardId: this.shardId,
      ...(checkpoint !== undefined ? { checkpoint } : {}),
      buffered: this.pending.length,
      ...(this.window ? { window: { start: iso(this.window.start), end: iso(this.window.end) } } : {}),
    };
  }

  idleSince(since: number): boolean {
    return this.pending.length === 0 && this.window === undefined && (this.shardEnded || this.caughtUpAt >= since);
  }

  async run(): Promise<void> {
    const { options } = this.source;
    while (this.source.isRunning) {
      try {
        if (!this.shardEnded && this.pending.length < options.batchSize) await this.read();
        const progressed = await this.step();
        if (!progressed) {
          if (this.shardEnded && this.pending.length === 0 && !this.window) return;
          await sleep(options.pollIntervalMs);
        }
      } catch (error) {
        // Kinesis read errors (throttling, an expired iterator) are retried from where reading stopped.
        if ((error as { name?: string }).name === 'ExpiredIteratorException') this.iterator = undefined;
        else if (this.source.isRunning) console.error(`event source ${this.shardId}: ${errorText(error)}`);
        await sleep(options.pollIntervalMs);
      }
    }
  }

  private async read(): Promise<void> {
    const { client, streamName, startingPosition, batchSize } = this.source.options;
    if (!this.iterator) {
      const after = this.lastReadSequence ?? this.source.checkpoints.get(this.shardId);
      const type: ShardIteratorType = after ? 'AFTER_SEQUENCE_NUMBER' : startingPosition;
      const res = await client.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: this.shardId,
          ShardIteratorType: type,
          ...(after ? { StartingSequenceNumber: after } : {}),
        }),
      );
      this.iterator = res.ShardIterator;
    }
    const limit = Math.max(batchSize, 1000);
    const began = Date.now();
    const res = await client.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: limit }));
    const records = res.Records ?? [];
    this.pending.push(...records);
    this.source.stats.recordsRead += records.length;
    if (records.length) this.lastReadSequence = records[records.length - 1]!.SequenceNumber;
    this.iterator = res.NextShardIterator;
    if (!this.iterator) this.shardEnded = true;
    if (records.length < limit) this.caughtUpAt = began;
  }

  /** Does one invoke's worth of work; false when there is nothing to do until more records or time arrive. */
  private async step(): Promise<boolean> {
    const { batchSize, tumblingWindowSeconds, arrivalGraceMs } = this.source.options;
    if (!this.window) {
      const first = this.pending[0];
      if (!first) return false;
      const length = tumblingWindowSeconds * 1000;
      const start = Math.floor(arrivalMs(first) / length) * length;
      this.window = { start, end: start + length };
      this.state = {};
    }
    const window = this.window;
    // Arrival stamps within a shard follow sequence order; a rare out-of-order stamp stays with the open window.
    let inWindow = 0;
    while (inWindow < this.pending.length && arrivalMs(this.pending[inWindow]!) < window.end) inWindow++;
    const ended =
      inWindow < this.pending.length || // a record of a later window has been read
      (this.caughtUpAt >= window.end + arrivalGraceMs && inWindow === this.pending.length) ||
      (this.shardEnded && inWindow === this.pending.length);
    if (ended && inWindow <= batchSize) {
      await this.deliver(this.pending.splice(0, inWindow), true);
      this.window = undefined;
      this.state = {};
      return true;
    }
    if (inWindow === 0) return false;
    // Lambda's batching window is 0 by default: whatever has been read is delivered at once.
    await this.deliver(this.pending.splice(0, Math.min(inWindow, batchSize)), false);
    return true;
  }

  /** Invokes with the records (in pieces when bisected or partly failed) until done or given up. */
  private async deliver(records: KinesisRecord[], final: boolean): Promise<void> {
    const queue: Piece[] = [{ records, attempts: 0 }];
    let finalDone = false;
    while (queue.length) {
      const piece = queue[0]!;
      const isFinal = final && queue.length === 1;
      const result = await this.invoke(piece.records, isFinal, false);
      if (result.kind === 'ok') {
        queue.shift();
        this.state = result.state;
        this.checkpointAfter(piece.records);
        this.source.stats.recordsDelivered += piece.records.length;
        if (isFinal) finalDone = true;
        else if (Buffer.byteLength(JSON.stringify(this.state)) > this.source.options.maxStateBytes) await this.terminateEarly();
        continue;
      }
      if (result.kind === 'partial') {
        // The records before the first failure are done; the function's state already reflects them.
        this.state = result.state;
        const done = piece.records.slice(0, result.firstFailed);
        this.checkpointAfter(done);
        this.source.stats.recordsDelivered += done.length;
        piece.records = piece.records.slice(result.firstFailed);
      }
      piece.attempts++;
      if (piece.attempts > this.source.options.maximumRetryAttempts) {
        queue.shift();
        this.giveUp(piece, isFinal, result.error);
        this.checkpointAfter(piece.records);
        continue;
      }
      this.source.stats.retries++;
      if (result.kind === 'error' && this.source.options.bisectBatchOnFunctionError && piece.records.length > 1) {
        const half = Math.ceil(piece.records.length / 2);
        queue.splice(
          0,
          1,
          { records: piece.records.slice(0, half), attempts: piece.attempts },
          { records: piece.records.slice(half), attempts: piece.attempts },
        );
      }
      await sleep(this.source.options.retryDelayMs * piece.attempts);
    }
    // The last piece was given up: the window still gets its final invoke, without records.
    if (final && !finalDone) await this.invokeEmptyFinal(false);
  }

  private async terminateEarly(): Promise<void> {
    this.source.stats.windowsTerminatedEarly++;
    await this.invokeEmptyFinal(true);
    this.state = {};
  }

  private async invokeEmptyFinal(terminatedEarly: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.invoke([], true, terminatedEarly);
      if (result.kind !== 'error') return;
      if (attempt >= this.source.options.maximumRetryAttempts) {
        this.giveUp({ records: [], attempts: attempt + 1 }, true, result.error);
        return;
      }
      this.source.stats.retries++;
      await sleep(this.source.options.retryDelayMs * (attempt + 1));
    }
  }

  private checkpointAfter(records: KinesisRecord[]): void {
    const last = records[records.length - 1]?.SequenceNumber;
    if (last) this.source.checkpoints.set(this.shardId, last);
  }

  private giveUp(piece: Piece, isFinal: boolean, error: string): void {
    this.source.recordFailure(
      onFailureRecord(
        { shardId: this.shardId, records: piece.records, attempts: piece.attempts, window: this.window, isFinal, error },
        this.source.options,
      ),
    );
  }

  private async invoke(records: KinesisRecord[], final: boolean, terminatedEarly: boolean): Promise<InvokeResult> {
    const { handler, streamArn, region, functionName, reportBatchItemFailures, onInvoke } = this.source.options;
    const window = this.window!;
    const event: TumblingWindowEvent = {
      Records: records.map((r) => toLambdaRecord(r, this.shardId, this.source.options)),
      window: { start: iso(window.start), end: iso(window.end) },
      // A copy: a handler that mutates its input must not change what a retry sees.
      state: structuredClone(this.state),
      shardId: this.shardId,
      eventSourceARN: streamArn,
      isFinalInvokeForWindow: final,
      isWindowTerminatedEarly: terminatedEarly,
    };
    const stats = this.source.stats;
    stats.invokes++;
    const began = Date.now();
    const report = (outcome: InvokeReport['outcome'], error?: string) =>
      onInvoke?.({
        shardId: this.shardId,
        window: event.window,
        records: records.length,
        final,
        terminatedEarly,
        outcome,
        ...(error !== undefined ? { error } : {}),
        millis: Date.now() - began,
      });
    try {
      const response = await handler(event, lambdaContext(functionName, region));
      if (!response || typeof response !== 'object' || typeof response.state !== 'object' || response.state === null) {
        throw new HandlerResponseError(
          'a tumbling-window function must return { state } (Lambda treats a response without state as a failure)',
        );
      }
      const state = JSON.parse(JSON.stringify(response.state)) as Record<string, unknown>;
      const failures = reportBatchItemFailures ? (response.batchItemFailures ?? []) : [];
      if (failures.length === 0) {
        if (final) stats.finalInvokes++;
        report('ok');
        return { kind: 'ok', state };
      }
      const positions = failures.map((f) => records.findIndex((r) => r.SequenceNumber === f.itemIdentifier));
      // Lambda treats an identifier that is empty or not in the batch as a failure of the whole batch.
      if (positions.some((p) => p < 0))
        throw new HandlerResponseError(`batchItemFailures names a record not in the batch: ${JSON.stringify(failures)}`);
      stats.partialFailures++;
      const error = `batchItemFailures: ${failures.length} of ${records.length}`;
      report('partial', error);
      return { kind: 'partial', state, firstFailed: Math.min(...positions), error };
    } catch (e) {
      stats.functionErrors++;
      const error = errorText(e);
      report('error', error);
      return { kind: 'error', error };
    }
  }
}
