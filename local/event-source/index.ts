import { setTimeout as sleep } from 'node:timers/promises';
import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import { MemoryCheckpoints, type CheckpointStore } from './checkpoints';
import type { OnFailureRecord } from './lambda-shapes';
import { ShardConsumer, type EventSourceOptions, type EventSourceStats, type ResolvedOptions } from './shard-consumer';

/**
 * A local stand-in for Lambda's Kinesis event source mapping: it polls every shard of a stream and invokes
 * a handler in-process with the events Lambda would send, following the documented semantics
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html):
 *
 * - one invoke at a time per shard (parallelization factor 1), records in shard order, at most `batchSize`;
 * - tumbling windows by arrival time: every invoke holds records of one window only, `state` is carried
 *   from invoke to invoke within a window and starts empty in the next; when the window has ended the last
 *   invoke has `isFinalInvokeForWindow` (with the remaining records of the window, or none); a state above
 *   1 MB ends the window early (`isWindowTerminatedEarly`) and the window continues with a fresh state;
 * - a tumbling-window response without `state` counts as a function error, as in Lambda;
 * - `ReportBatchItemFailures`: the batch resumes from the lowest failed sequence number;
 * - function errors: the batch is bisected (`bisectBatchOnFunctionError`) and retried up to
 *   `maximumRetryAttempts`; then it goes to the on-failure destination (kept here, with Lambda's
 *   on-failure record shape) and the shard moves on;
 * - a checkpoint per shard (the last sequence number done with), optionally persisted so a restart resumes.
 *
 * Window length is configurable below Lambda's one-second granularity: local demos compress event time,
 * and what matters for them is the detector's event-time windows, so short arrival-time windows just make
 * final invokes (and therefore DynamoDB writes) happen promptly.
 *
 * Split in three: the Lambda shapes (lambda-shapes.ts), the checkpoints (checkpoints.ts) and one consumer
 * per shard (shard-consumer.ts); this module lists the shards, runs their consumers and aggregates.
 */

export * from './checkpoints';
export * from './lambda-shapes';
export type { EventSourceOptions, EventSourceStats, InvokeReport } from './shard-consumer';

export class KinesisEventSource {
  readonly failures: OnFailureRecord[] = [];
  readonly stats: EventSourceStats = {
    recordsRead: 0,
    recordsDelivered: 0,
    invokes: 0,
    finalInvokes: 0,
    windowsTerminatedEarly: 0,
    functionErrors: 0,
    partialFailures: 0,
    retries: 0,
    recordsSentToOnFailure: 0,
  };
  readonly checkpoints: CheckpointStore;
  private readonly consumers: ShardConsumer[] = [];
  private loops: Promise<void>[] = [];
  private running = false;
  readonly options: ResolvedOptions;

  constructor(options: EventSourceOptions) {
    if (!(options.tumblingWindowSeconds > 0)) throw new Error(`tumblingWindowSeconds must be > 0, got ${options.tumblingWindowSeconds}`);
    const batchSize = options.batchSize ?? 100;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
      throw new Error(`batchSize must be an integer in 1..10000, got ${batchSize}`);
    this.checkpoints = options.checkpoints ?? new MemoryCheckpoints();
    this.options = {
      batchSize,
      startingPosition: 'TRIM_HORIZON',
      reportBatchItemFailures: true,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 3,
      pollIntervalMs: 100,
      arrivalGraceMs: 250,
      maxStateBytes: 1024 * 1024,
      retryDelayMs: 20,
      region: 'us-east-1',
      functionName: 'local-function',
      ...options,
    } as ResolvedOptions;
  }

  /** Lists the shards and starts one polling loop per shard. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const shards: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.options.client.send(
        new ListShardsCommand(token ? { NextToken: token } : { StreamName: this.options.streamName }),
      );
      for (const s of page.Shards ?? []) if (s.ShardId) shards.push(s.ShardId);
      token = page.NextToken;
    } while (token);
    for (const shardId of shards) this.consumers.push(new ShardConsumer(this, shardId));
    this.loops = this.consumers.map((c) => c.run());
  }

  /** Stops polling after the invoke in progress; open windows are left unfinished (as a disabled mapping would). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Resolves once every shard has read everything put before `since` (ms epoch, default now), has no
   * buffered records and no open window: every record handled and every window's final invoke done.
   */
  async drained(since = Date.now(), timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.consumers.every((c) => c.idleSince(since))) {
      if (!this.running) throw new Error('event source stopped before it drained');
      if (Date.now() > deadline) throw new Error(`event source did not drain within ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  /** Shards and their state, for progress displays. */
  shards(): Array<{ shardId: string; checkpoint?: string; buffered: number; window?: { start: string; end: string } }> {
    return this.consumers.map((c) => c.describe());
  }

  /** @internal */
  recordFailure(failure: OnFailureRecord): void {
    this.failures.push(failure);
    this.stats.recordsSentToOnFailure += failure.KinesisBatchInfo.batchSize;
    this.options.onFailure?.(failure);
  }
}
