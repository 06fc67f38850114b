import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamTumblingWindowEvent } from 'aws-lambda';
import { keepRejects, type RejectsSink } from '../rejects';
import type { InputRecord, Reject } from '../records';
import type { Logger } from './logger';

/**
 * The step every Kinesis tumbling-window function (windows, hotspots) takes on each invoke, written once: the
 * Lambda event becomes input records, the shard and the emission id are fixed, the function folds the records into
 * its state, rejects are kept and counted, and only the window's final invoke (or an early end) emits. What to fold
 * and how to emit is the function's own (a `TumblingWindowFunction`); everything else is here.
 */

/** Lambda sends the shard and stream with tumbling-window events; @types/aws-lambda does not declare them. */
export type TumblingWindowEvent = KinesisStreamTumblingWindowEvent & { shardId?: string; eventSourceARN?: string };

export interface TumblingWindowResponse {
  state: Record<string, unknown>;
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/** What the common step reads and writes in a function's state; the rest of the state is the function's. */
export interface TumblingState {
  /** This state's emission (shard + first sequence number): a retried final invoke carries the same id. */
  id?: string;
  /** Records seen so far in this window. */
  n?: number;
  /** Rejects so far: detector name → count. */
  r?: Record<string, number>;
}

export interface EmissionContext {
  shardId: string;
  /** Lambda's tumbling window (the invoke's clock when Lambda sent none). */
  lambdaWindow: { startMs: number; endMs: number };
  emissionId: string;
}

export interface Emitted {
  /** Metric name → count, added as Count metrics. */
  metrics: Record<string, number>;
  /** Fields of the function's one summary log line per window. */
  summary: Record<string, unknown>;
}

/** A stream function's own part of the step. */
export interface TumblingWindowFunction<S extends TumblingState> {
  /** The summary line's message. */
  emittedMessage: string;
  /** The state Lambda hands back (an empty object on a window's first invoke). */
  readState(raw: unknown): S;
  /** Folds records into the state; returns the records it cannot use. */
  collect(state: S, records: readonly InputRecord[]): Reject[];
  /** The final invoke's work: write (and score) everything the state holds. */
  emit(state: S, context: EmissionContext): Promise<Emitted>;
}

/** Where counts go (Powertools' Metrics; tests pass a recorder). */
export interface MetricsSink {
  addMetric(name: string, unit: typeof MetricUnit.Count, value: number): unknown;
}

export interface TumblingWindowDeps {
  rejects: RejectsSink;
  logger?: Logger;
  now?: () => number;
}

export type TumblingWindowProcessor = (event: TumblingWindowEvent, metrics?: MetricsSink) => Promise<TumblingWindowResponse>;

export const shardOf = (event: TumblingWindowEvent): string => event.shardId ?? event.Records?.[0]?.eventID?.split(':')[0] ?? 'shard';

export function inputRecords(event: TumblingWindowEvent): InputRecord[] {
  return (event.Records ?? []).map((r) => ({
    data: r.kinesis.data,
    sequenceNumber: r.kinesis.sequenceNumber,
    partitionKey: r.kinesis.partitionKey,
    arrivalMs: Math.round(Number(r.kinesis.approximateArrivalTimestamp) * 1000),
  }));
}

/** Counts a batch into the state: its records, and its rejects by detector (`*`: no detector took the record). */
export function countBatch(state: TumblingState, records: number, rejects: readonly Reject[]): void {
  if (rejects.length) {
    const r = (state.r ??= {});
    for (const x of rejects) {
      const k = x.detector ?? '*';
      r[k] = (r[k] ?? 0) + 1;
    }
  }
  state.n = (state.n ?? 0) + records;
}

export function tumblingWindowProcessor<S extends TumblingState>(
  fn: TumblingWindowFunction<S>,
  deps: TumblingWindowDeps,
): TumblingWindowProcessor {
  const now = deps.now ?? Date.now;
  const logger = deps.logger;
  return async (event, metrics) => {
    const shardId = shardOf(event);
    logger?.appendKeys({ shardId });
    const records = inputRecords(event);
    const state = fn.readState(event.state);
    // Names this state's emission; a retried invoke carries the same state and so the same id.
    state.id ??= `${shardId}:${records[0]?.sequenceNumber ?? event.window?.start ?? now()}`;

    const rejects = fn.collect(state, records);
    countBatch(state, records.length, rejects);
    metrics?.addMetric('RecordsIn', MetricUnit.Count, records.length);
    if (rejects.length) {
      await keepRejects(rejects, shardId, event.window, deps.rejects, logger);
      metrics?.addMetric('RecordsRejected', MetricUnit.Count, rejects.length);
    }
    if (!event.isFinalInvokeForWindow && !event.isWindowTerminatedEarly) {
      return { state: state as unknown as Record<string, unknown>, batchItemFailures: [] };
    }

    const lambdaWindow = {
      startMs: event.window?.start ? Date.parse(event.window.start) : now(),
      endMs: event.window?.end ? Date.parse(event.window.end) : now(),
    };
    const emitted = await fn.emit(state, { shardId, lambdaWindow, emissionId: state.id });
    for (const [name, value] of Object.entries(emitted.metrics)) metrics?.addMetric(name, MetricUnit.Count, value);
    logger?.info(fn.emittedMessage, {
      shardId,
      window: event.window,
      terminatedEarly: Boolean(event.isWindowTerminatedEarly),
      records: state.n ?? 0,
      rejected: state.r ?? {},
      ...emitted.summary,
    });
    // The window is done; Lambda starts the next one with a fresh state.
    return { state: {}, batchItemFailures: [] };
  };
}
