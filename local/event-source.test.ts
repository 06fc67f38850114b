import { setTimeout as delay } from 'node:timers/promises';
import { CreateStreamCommand, PutRecordsCommand, waitUntilStreamExists, type KinesisClient } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../shared/aws/clients';
import { startKinesalite, type RunningServer } from './emulators';
import {
  KinesisEventSource,
  MemoryCheckpoints,
  type EventSourceOptions,
  type HandlerResponse,
  type TumblingWindowEvent,
} from './event-source';

const region = 'us-east-1';
let kinesis: RunningServer;
let client: KinesisClient;
let streams = 0;

beforeAll(async () => {
  kinesis = await startKinesalite();
  client = kinesisClient({ endpoint: kinesis.endpoint, region });
});
afterAll(async () => {
  client.destroy();
  await kinesis.close();
});

async function newStream(shards: number): Promise<{ streamName: string; streamArn: string }> {
  const streamName = `es-${++streams}`;
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
  await waitUntilStreamExists({ client, maxWaitTime: 30 }, { StreamName: streamName });
  return { streamName, streamArn: `arn:aws:kinesis:${region}:000000000000:stream/${streamName}` };
}

async function put(streamName: string, values: Array<{ key: string; n: number }>): Promise<void> {
  for (let i = 0; i < values.length; i += 500) {
    const res = await client.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: values.slice(i, i + 500).map((v) => ({ PartitionKey: v.key, Data: Buffer.from(JSON.stringify(v)) })),
      }),
    );
    expect(res.FailedRecordCount ?? 0).toBe(0);
  }
}

const decode = (event: TumblingWindowEvent) =>
  event.Records.map((r) => JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as { key: string; n: number });

/** A handler that counts records per window in its state, as the windows function does with aggregates. */
function countingHandler(extra?: (event: TumblingWindowEvent) => HandlerResponse | undefined) {
  const invokes: TumblingWindowEvent[] = [];
  const finals: Array<{ shardId: string; window: string; count: number; seen: number[] }> = [];
  const handler = async (event: TumblingWindowEvent): Promise<HandlerResponse> => {
    invokes.push(event);
    const override = extra?.(event);
    if (override) return override;
    const state = event.state as { count?: number; seen?: number[] };
    const seen = [...(state.seen ?? []), ...decode(event).map((v) => v.n)];
    const next = { count: (state.count ?? 0) + event.Records.length, seen };
    if (event.isFinalInvokeForWindow) finals.push({ shardId: event.shardId, window: event.window.start, count: next.count, seen });
    return { state: next, batchItemFailures: [] };
  };
  return { handler, invokes, finals };
}

async function runUntilDrained(
  options: Omit<EventSourceOptions, 'client' | 'tumblingWindowSeconds'> & { tumblingWindowSeconds?: number },
  work: () => Promise<void>,
) {
  const source = new KinesisEventSource({
    client,
    region,
    tumblingWindowSeconds: 0.5,
    pollIntervalMs: 20,
    arrivalGraceMs: 100,
    retryDelayMs: 1,
    ...options,
  });
  await source.start();
  try {
    await work();
    await source.drained(Date.now(), 30_000);
  } finally {
    await source.stop();
  }
  return source;
}

const values = (from: number, count: number, keys = ['a', 'b', 'c', 'd']) =>
  Array.from({ length: count }, (_, i) => ({ key: keys[(from + i) % keys.length]!, n: from + i }));

describe('the local Kinesis event source', () => {
  it('delivers every record once, in shard order, as Lambda-shaped records grouped in tumbling windows', async () => {
    const stream = await newStream(2);
    const { handler, invokes, finals } = countingHandler();
    const source = await runUntilDrained({ ...stream, handler, batchSize: 25 }, async () => {
      await put(stream.streamName, values(0, 120));
      await delay(700);
      await put(stream.streamName, values(120, 80));
    });

    const seen = finals.flatMap((f) => f.seen).sort((x, y) => x - y);
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(source.stats.recordsDelivered).toBe(200);
    // Per key (one key → one shard) the values arrive in the order they were put.
    for (const key of ['a', 'b', 'c', 'd']) {
      const order = invokes
        .flatMap(decode)
        .filter((v) => v.key === key)
        .map((v) => v.n);
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
    // Two bursts 700 ms apart with 500 ms windows: at least two windows, each closed by exactly one final invoke.
    expect(new Set(finals.map((f) => `${f.shardId}/${f.window}`)).size).toBe(finals.length);
    expect(finals.length).toBeGreaterThanOrEqual(2);

    const record = invokes.find((e) => e.Records.length > 0)!.Records[0]!;
    expect(record).toMatchObject({
      eventSource: 'aws:kinesis',
      eventName: 'aws:kinesis:record',
      eventVersion: '1.0',
      awsRegion: region,
      eventSourceARN: stream.streamArn,
    });
    expect(record.eventID).toBe(`${invokes[0]!.shardId}:${record.kinesis.sequenceNumber}`);
    expect(record.kinesis.approximateArrivalTimestamp).toBeGreaterThan(1e9);
    expect(record.kinesis.approximateArrivalTimestamp).toBeLessThan(1e10);
    for (const event of invokes) {
      const start = Date.parse(event.window.start);
      expect(Date.parse(event.window.end) - start).toBe(500);
      expect(start % 500).toBe(0);
      for (const r of event.Records) {
        expect(r.kinesis.approximateArrivalTimestamp * 1000).toBeGreaterThanOrEqual(start);
        expect(r.kinesis.approximateArrivalTimestamp * 1000).toBeLessThan(start + 500);
      }
      expect(event.Records.length).toBeLessThanOrEqual(25);
    }
  });

  it('carries state within a window, starts each window with an empty state and sends a final invoke even without records', async () => {
    const stream = await newStream(1);
    const { handler, invokes } = countingHandler();
    await runUntilDrained({ ...stream, handler, batchSize: 10 }, () => put(stream.streamName, values(0, 35, ['k'])));

    const byWindow = new Map<string, TumblingWindowEvent[]>();
    for (const e of invokes) byWindow.set(e.window.start, [...(byWindow.get(e.window.start) ?? []), e]);
    for (const events of byWindow.values()) {
      expect(events[0]!.state).toEqual({});
      expect(events.filter((e) => e.isFinalInvokeForWindow)).toEqual([events[events.length - 1]]);
      let count = 0;
      for (const e of events) {
        expect((e.state as { count?: number }).count ?? 0).toBe(count);
        count += e.Records.length;
      }
    }
    // Everything was put at once and read before the window ended, so the final invoke came with no records.
    expect(invokes.some((e) => e.isFinalInvokeForWindow && e.Records.length === 0)).toBe(true);
  });

  it('resumes from the first failed sequence number when the function reports batch item failures', async () => {
    const stream = await newStream(1);
    const failedOnce = new Set<number>();
    const accepted: number[] = [];
    const handler = async (event: TumblingWindowEvent): Promise<HandlerResponse> => {
      const vals = decode(event);
      const bad = vals.findIndex((v) => v.n % 7 === 3 && !failedOnce.has(v.n));
      const ok = bad < 0 ? vals : vals.slice(0, bad);
      accepted.push(...ok.map((v) => v.n));
      if (bad < 0) return { state: {}, batchItemFailures: [] };
      failedOnce.add(vals[bad]!.n);
      // Report the failed record and one after it: Lambda resumes from the lowest of them.
      const ids = [event.Records[bad]!, event.Records[Math.min(bad + 1, vals.length - 1)]!].map((r) => ({
        itemIdentifier: r.kinesis.sequenceNumber,
      }));
      return { state: {}, batchItemFailures: ids.reverse() };
    };
    const source = await runUntilDrained({ ...stream, handler, batchSize: 20 }, () => put(stream.streamName, values(0, 50, ['k'])));
    expect(accepted).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(source.stats.partialFailures).toBe(failedOnce.size);
    expect(source.failures).toEqual([]);
  });

  it('bisects a failing batch, retries it a bounded number of times and keeps the poison record as an on-failure record', async () => {
    const stream = await newStream(1);
    const accepted: number[] = [];
    const handler = async (event: TumblingWindowEvent): Promise<HandlerResponse> => {
      const vals = decode(event);
      if (vals.some((v) => v.n === 13)) throw new Error('poison record 13');
      accepted.push(...vals.map((v) => v.n));
      return { state: {} };
    };
    const source = await runUntilDrained({ ...stream, handler, batchSize: 16, maximumRetryAttempts: 6 }, () =>
      put(stream.streamName, values(0, 40, ['k'])),
    );
    expect(accepted.sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((n) => n !== 13));
    expect(source.failures).toHaveLength(1);
    const failure = source.failures[0]!;
    expect(failure.KinesisBatchInfo).toMatchObject({ batchSize: 1, shardId: 'shardId-000000000000', streamArn: stream.streamArn });
    expect(failure.KinesisBatchInfo.startSequenceNumber).toBe(failure.KinesisBatchInfo.endSequenceNumber);
    expect(failure.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(failure.error).toContain('poison record 13');
    // The shard moved on: its checkpoint is the last record.
    expect(source.stats.recordsDelivered).toBe(39);
  });

  it('sends a batch to the on-failure destination after the retry limit when the function keeps failing', async () => {
    const stream = await newStream(1);
    let calls = 0;
    const handler = async (event: TumblingWindowEvent): Promise<HandlerResponse> => {
      if (event.Records.length > 0) {
        calls++;
        throw new Error('always down');
      }
      return { state: {} };
    };
    const source = await runUntilDrained(
      { ...stream, handler, batchSize: 100, maximumRetryAttempts: 2, bisectBatchOnFunctionError: false },
      () => put(stream.streamName, values(0, 5, ['k'])),
    );
    expect(calls).toBe(3);
    expect(source.failures.map((f) => f.KinesisBatchInfo.batchSize)).toEqual([5]);
    expect(source.stats.recordsSentToOnFailure).toBe(5);
  });

  it('treats a response without state as a function error, as Lambda does for tumbling windows', async () => {
    const stream = await newStream(1);
    let withoutState = 0;
    const { handler, finals } = countingHandler((event) => {
      if (event.Records.length > 0 && withoutState === 0) {
        withoutState++;
        return {} as HandlerResponse;
      }
      return undefined;
    });
    const source = await runUntilDrained({ ...stream, handler }, () => put(stream.streamName, values(0, 10, ['k'])));
    expect(source.stats.functionErrors).toBe(1);
    expect(finals.flatMap((f) => f.seen).sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('terminates a window early when the state grows past the limit and continues it with a fresh state', async () => {
    const stream = await newStream(1);
    const { handler, invokes, finals } = countingHandler();
    await runUntilDrained({ ...stream, handler, batchSize: 5, maxStateBytes: 40, tumblingWindowSeconds: 2 }, () =>
      put(stream.streamName, values(0, 30, ['k'])),
    );
    const early = invokes.filter((e) => e.isWindowTerminatedEarly);
    expect(early.length).toBeGreaterThan(0);
    for (const e of early) {
      expect(e.isFinalInvokeForWindow).toBe(true);
      expect(e.Records).toEqual([]);
      const next = invokes[invokes.indexOf(e) + 1];
      if (next) expect(next.state).toEqual({});
    }
    expect(finals.flatMap((f) => f.seen).sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('checkpoints each shard so a restarted event source resumes after what it already handled', async () => {
    const stream = await newStream(2);
    const checkpoints = new MemoryCheckpoints();
    const first = countingHandler();
    await runUntilDrained({ ...stream, handler: first.handler, checkpoints }, () => put(stream.streamName, values(0, 40)));
    expect(checkpoints.values.size).toBe(2);

    const second = countingHandler();
    await runUntilDrained({ ...stream, handler: second.handler, checkpoints }, () => put(stream.streamName, values(40, 20)));
    expect(second.finals.flatMap((f) => f.seen).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => 40 + i));
  });
});
