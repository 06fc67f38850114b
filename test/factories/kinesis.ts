import type { KinesisStreamRecord } from 'aws-lambda';
import type { TumblingWindowEvent as WindowsEvent } from '../../shared/lambda/tumbling-window';

/**
 * Lambda-shaped Kinesis tumbling-window events for tests: records with base64 data, increasing sequence
 * numbers and arrival timestamps, plus the window, state and final/early-end flags Lambda adds.
 */
export interface RecordInput {
  /** Text (or an object, sent as JSON) as the producer put it. */
  data: string | object;
  partitionKey?: string;
  /** Arrival time (ms since epoch); defaults to the window start plus the record's position in ms. */
  arrivalMs?: number;
  sequenceNumber?: string;
}

export interface WindowEventInput {
  records?: Array<RecordInput | string | object>;
  /** Lambda's window (ISO start); its length defaults to 10 s. */
  windowStart: string | number;
  windowSeconds?: number;
  state?: Record<string, unknown>;
  final?: boolean;
  terminatedEarly?: boolean;
  shardId?: string;
  streamArn?: string;
}

let globalSequence = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

/** A fresh sequence number, larger than every earlier one (Kinesis numbers grow within a shard). */
export const nextSequenceNumber = (): string => String((globalSequence += 1n));

const isRecordInput = (x: unknown): x is RecordInput => typeof x === 'object' && x !== null && 'data' in x;

export function kinesisRecord(
  input: RecordInput,
  defaults: { shardId: string; streamArn: string; arrivalMs: number },
): KinesisStreamRecord {
  const text = typeof input.data === 'string' ? input.data : JSON.stringify(input.data);
  const sequenceNumber = input.sequenceNumber ?? nextSequenceNumber();
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: input.partitionKey ?? 'pk',
      sequenceNumber,
      data: Buffer.from(text, 'utf8').toString('base64'),
      approximateArrivalTimestamp: (input.arrivalMs ?? defaults.arrivalMs) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${defaults.shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/windows',
    awsRegion: 'us-east-1',
    eventSourceARN: defaults.streamArn,
  };
}

export function windowEvent(input: WindowEventInput): WindowsEvent {
  const startMs = typeof input.windowStart === 'number' ? input.windowStart : Date.parse(input.windowStart);
  const endMs = startMs + (input.windowSeconds ?? 10) * 1000;
  const shardId = input.shardId ?? 'shardId-000000000000';
  const streamArn = input.streamArn ?? 'arn:aws:kinesis:us-east-1:000000000000:stream/stream-sentinel-test-input';
  const records = (input.records ?? []).map((r, i) =>
    kinesisRecord(isRecordInput(r) ? r : { data: r as string | object }, {
      shardId,
      streamArn,
      arrivalMs: startMs + Math.min(i, endMs - startMs - 1),
    }),
  );
  return {
    Records: records,
    window: { start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString() },
    state: input.state ?? {},
    shardId,
    eventSourceARN: streamArn,
    isFinalInvokeForWindow: input.final ?? false,
    isWindowTerminatedEarly: input.terminatedEarly ?? false,
  };
}

/** A minimal Lambda context for in-process invokes. */
export const lambdaContext = (functionName = 'stream-sentinel-test-windows') => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
  memoryLimitInMB: '1024',
  awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});
