import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamRecord, KinesisStreamTumblingWindowEvent } from 'aws-lambda';

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
 */

export interface TumblingWindowEvent extends KinesisStreamTumblingWindowEvent {
  shardId: string;
  eventSourceARN: string;
}

export interface HandlerResponse {
  state?: Record<string, unknown>;
  batchItemFailures?: Array<{ itemIdentifier?: string | null }>;
}

export type StreamHandler = (event: TumblingWindowEvent, context: Context) => Promise<HandlerResponse | void | undefined | null>;

/** Lambda's on-failure destination record for a Kinesis event source. */
export interface OnFailureRecord {
  requestContext: { requestId: string; functionArn: string; condition: 'RetryAttemptsExhausted'; approximateInvokeCount: number };
  responseContext: { statusCode: number; executedVersion: string; functionError: string };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber?: string;
    endSequenceNumber?: string;
    approximateArrivalOfFirstRecord?: string;
    approximateArrivalOfLastRecord?: string;
    batchSize: number;
    streamArn: string;
  };
  /** Local extras: the window and the error, so the failure can be understood without CloudWatch. */
  window?: { start: string; end: string };
  isFinalInvokeForWindow: boolean;
  error: string;
}

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

export interface CheckpointStore {
  get(shardId: string): string | undefined;
  set(shardId: string, sequenceNumber: string): void;
}

export class MemoryCheckpoints implements CheckpointStore {
  readonly values = new Map<string, string>();
  get(shardId: string): string | undefined {
    return this.values.get(shardId);
  }
  set(shardId: string, sequenceNumber: string): void {
    this.values.set(shardId, sequenceNumber);
  }
}

/** Checkpoints in a JSON file, so a restarted event source resumes after what it already handled. */
export class FileCheckpoints implements CheckpointStore {
  private readonly values: Record<string, string>;
  constructor(private readonly file: string) {
    try {
      this.values = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      this.values = {};
    }
  }
  get(shardId: string): string | undefined {
    return this.values[shardId];
  }
  set(shardId: string, sequenceNumber: string): void {
    this.values[shardId] = sequenceNumber;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, JSON.stringify(this.values, null, 2));
  }
}

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

interface Piece {
  records: KinesisRecord[];
  attempts: number;
}

class HandlerResponseError extends Error {
  override readonly name = 'HandlerResponseError';
}

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));
const arrivalMs = (r: KinesisRecord): number => r.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const errorText = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

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
  readonly options: Required<Omit<EventSourceOptions, 'onInvoke' | 'onFailure' | 'checkpoints' | 'region' | 'functionName'>> &
    Pick<EventSourceOptions, 'onInvoke' | 'onFailure'> & { region: string; functionName: string };

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
    } as KinesisEventSource['options'];
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

class ShardConsumer {
  private iterator: string | undefined;
  private shardEnded = false;
  private readonly pending: KinesisRecord[] = [];
  private lastReadSequence: string | undefined;
  /** Wall time at which the latest read that reached the end of the shard began. */
  private caughtUpAt = 0;
  private window: { start: number; end: number } | undefined;
  private state: Record<string, unknown> = {};

  constructor(
    private readonly source: KinesisEventSource,
    readonly shardId: string,
  ) {}

  describe() {
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
    const { streamArn, region, functionName } = this.source.options;
    const first = piece.records[0];
    const last = piece.records[piece.records.length - 1];
    this.source.recordFailure({
      requestContext: {
        requestId: randomUUID(),
        functionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: piece.attempts,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId: this.shardId,
        ...(first?.SequenceNumber ? { startSequenceNumber: first.SequenceNumber } : {}),
        ...(last?.SequenceNumber ? { endSequenceNumber: last.SequenceNumber } : {}),
        ...(first ? { approximateArrivalOfFirstRecord: iso(arrivalMs(first)) } : {}),
        ...(last ? { approximateArrivalOfLastRecord: iso(arrivalMs(last)) } : {}),
        batchSize: piece.records.length,
        streamArn,
      },
      ...(this.window ? { window: { start: iso(this.window.start), end: iso(this.window.end) } } : {}),
      isFinalInvokeForWindow: isFinal,
      error,
    });
  }

  private async invoke(
    records: KinesisRecord[],
    final: boolean,
    terminatedEarly: boolean,
  ): Promise<
    | { kind: 'ok'; state: Record<string, unknown> }
    | { kind: 'partial'; state: Record<string, unknown>; firstFailed: number; error: string }
    | { kind: 'error'; error: string }
  > {
    const { handler, streamArn, region, functionName, reportBatchItemFailures, onInvoke } = this.source.options;
    const window = this.window!;
    const event: TumblingWindowEvent = {
      Records: records.map((r) => this.toLambdaRecord(r)),
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

  private toLambdaRecord(r: KinesisRecord): KinesisStreamRecord {
    const { streamArn, region, functionName } = this.source.options;
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.PartitionKey ?? '',
        sequenceNumber: r.SequenceNumber ?? '',
        data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
        approximateArrivalTimestamp: arrivalMs(r) / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${this.shardId}:${r.SequenceNumber ?? ''}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::000000000000:role/${functionName}-role`,
      awsRegion: region,
      eventSourceARN: streamArn,
    };
  }
}

/** The Lambda context a handler (and Powertools) reads; the deadline is Lambda's default 30 s timeout. */
export function lambdaContext(functionName: string, region: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
