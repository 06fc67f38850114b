import { randomUUID } from 'node:crypto';
import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamRecord, KinesisStreamTumblingWindowEvent } from 'aws-lambda';

/**
 * The shapes Lambda exchanges with a Kinesis-triggered function, as the local event source builds them:
 * the tumbling-window event and its records, the handler's response, the invoke context and the
 * on-failure destination record. Pure data building (no polling, no retries) so the shapes can be read
 * and checked against the Lambda documentation in one place.
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

/** Where the invoked function "lives", for the ARNs and names in events, contexts and failure records. */
export interface FunctionIdentity {
  streamArn: string;
  region: string;
  functionName: string;
}

// Emulated records without an arrival stamp are treated as arriving now.
export const arrivalMs = (r: KinesisRecord): number => r.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
export const iso = (ms: number): string => new Date(ms).toISOString();

const functionArn = ({ region, functionName }: FunctionIdentity) => `arn:aws:lambda:${region}:000000000000:function:${functionName}`;

export function toLambdaRecord(r: KinesisRecord, shardId: string, fn: FunctionIdentity): KinesisStreamRecord {
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
    eventID: `${shardId}:${r.SequenceNumber ?? ''}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: `arn:aws:iam::000000000000:role/${fn.functionName}-role`,
    awsRegion: fn.region,
    eventSourceARN: fn.streamArn,
  };
}

export interface FailedBatch {
  shardId: string;
  records: KinesisRecord[];
  attempts: number;
  window: { start: number; end: number } | undefined;
  isFinal: boolean;
  error: string;
}

export function onFailureRecord(batch: FailedBatch, fn: FunctionIdentity): OnFailureRecord {
  const first = batch.records[0];
  const last = batch.records[batch.records.length - 1];
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: functionArn(fn),
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: batch.attempts,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: new Date().toISOString(),
    KinesisBatchInfo: {
      shardId: batch.shardId,
      ...(first?.SequenceNumber ? { startSequenceNumber: first.SequenceNumber } : {}),
      ...(last?.SequenceNumber ? { endSequenceNumber: last.SequenceNumber } : {}),
      ...(first ? { approximateArrivalOfFirstRecord: iso(arrivalMs(first)) } : {}),
      ...(last ? { approximateArrivalOfLastRecord: iso(arrivalMs(last)) } : {}),
      batchSize: batch.records.length,
      streamArn: fn.streamArn,
    },
    ...(batch.window ? { window: { start: iso(batch.window.start), end: iso(batch.window.end) } } : {}),
    isFinalInvokeForWindow: batch.isFinal,
    error: batch.error,
  };
}

/** The Lambda context a handler (and Powertools) reads; the deadline is Lambda's default 30 s timeout. */
export function lambdaContext(functionName: string, region: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn({ functionName, region, streamArn: '' }),
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
