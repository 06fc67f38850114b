import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { isRetryable, produce, ProduceError, type PutRecord } from '../../../shared/producers/put';

const kinesis = mockClient(KinesisClient);
afterEach(() => kinesis.reset());

const records = (n: number, size = 10): PutRecord[] =>
  Array.from({ length: n }, (_, i) => ({ data: `${String(i).padStart(size, '0')}`, partitionKey: `k${i % 7}` }));
const ok = (input: PutRecordsCommandInput): PutRecordsCommandOutput => ({
  $metadata: {},
  FailedRecordCount: 0,
  Records: input.Records!.map((_, i) => ({ SequenceNumber: String(i), ShardId: 'shardId-000000000000' })),
});
const dataOf = (input: PutRecordsCommandInput) => input.Records!.map((r) => Buffer.from(r.Data!).toString());
const calls = () => kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input);
const noSleep = { sleep: async () => undefined, random: () => 0.5 };
const throttled = (name = 'ProvisionedThroughputExceededException') =>
  Object.assign(new Error('Rate exceeded for shard'), { name, $metadata: { httpStatusCode: 400 } });

describe('produce: batching', () => {
  it('sends at most 500 records per PutRecords call', async () => {
    kinesis.on(PutRecordsCommand).callsFake(ok);
    const summary = await produce({ client: new KinesisClient({}), streamName: 's', records: records(1234), ...noSleep });
    expect(calls().map((c) => c.Records!.length)).toEqual([500, 500, 234]);
    expect(calls().every((c) => c.StreamName === 's')).toBe(true);
    expect(summary).toMatchObject({ sent: 1234, batches: 3, requests: 3, failed: 0 });
  });

  it('keeps each call under 5 MiB of data and partition keys', async () => {
    kinesis.on(PutRecordsCommand).callsFake(ok);
    const big = records(20, 600 * 1024);
    await produce({ client: new KinesisClient({}), streamName: 's', records: big, ...noSleep });
    const sizes = calls().map((c) => c.Records!.reduce((n, r) => n + r.Data!.byteLength + Buffer.byteLength(r.PartitionKey!), 0));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(5 * 1024 * 1024);
    expect(calls().map((c) => c.Records!.length)).toEqual([8, 8, 4]);
  });

  it('refuses a record over the 1 MiB limit and a partition key over 256 characters', async () => {
    kinesis.on(PutRecordsCommand).callsFake(ok);
    await expect(produce({ client: new KinesisClient({}), streamName: 's', records: records(1, 1024 * 1024) })).rejects.toThrow(
      /over Kinesis's 1 MiB limit/,
    );
    await expect(
      produce({ client: new KinesisClient({}), streamName: 's', records: [{ data: 'x', partitionKey: 'k'.repeat(257) }] }),
    ).rejects.toThrow(/1 to 256 characters/);
  });

  it('sends every record in source order within and across batches (one call in flight)', async () => {
    kinesis.on(PutRecordsCommand).callsFake(ok);
    const input = records(1100);
    await produce({ client: new KinesisClient({}), streamName: 's', records: input, concurrency: 1, ...noSleep });
    expect(calls().flatMap(dataOf)).toEqual(input.map((r) => r.data));
  });
});

describe('produce: failures', () => {
  it('retries only the failed entries of a partial failure until all land', async () => {
    let call = 0;
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
      call++;
      // First call: every third entry throttled; second: the first of the retried ones fails again.
      const fails = (i: number) => (call === 1 ? i % 3 === 0 : call === 2 ? i === 0 : false);
      return {
        $metadata: {},
        FailedRecordCount: input.Records!.filter((_, i) => fails(i)).length,
        Records: input.Records!.map((_, i) =>
          fails(i)
            ? { ErrorCode: i % 2 ? 'InternalFailure' : 'ProvisionedThroughputExceededException', ErrorMessage: 'try again' }
            : { SequenceNumber: `${call}-${i}`, ShardId: 's0' },
        ),
      };
    });
    const input = records(30);
    const landed: string[] = [];
    const summary = await produce({
      client: new KinesisClient({}),
      streamName: 's',
      records: input,
      ...noSleep,
      onLanded: (r) => landed.push(String(r.data)),
    });
    const [first, second, third] = calls().map(dataOf);
    expect(first).toHaveLength(30);
    expect(second).toEqual(input.filter((_, i) => i % 3 === 0).map((r) => r.data));
    expect(third).toEqual([second![0]]);
    expect(calls()).toHaveLength(3);
    expect([...landed].sort()).toEqual(input.map((r) => String(r.data)).sort());
    expect(summary).toMatchObject({ sent: 30, failed: 11, retriedRecords: 10, requests: 3, batches: 1 });
    expect(summary.errors).toEqual({ ProvisionedThroughputExceededException: 6, InternalFailure: 5 });
  });

  it('backs off exponentially with jitter between attempts', async () => {
    kinesis
      .on(PutRecordsCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .rejectsOnce(throttled('ThrottlingException'))
      .callsFake(ok);
    const slept: number[] = [];
    const summary = await produce({
      client: new KinesisClient({}),
      streamName: 's',
      records: records(3),
      baseDelayMs: 100,
      sleep: async (ms) => {
        slept.push(ms);
      },
      random: () => 1,
    });
    expect(slept).toEqual([100, 200, 400]);
    expect(summary).toMatchObject({ sent: 3, throttled: 3, requests: 4 });
    const jittered: number[] = [];
    kinesis.reset();
    kinesis.on(PutRecordsCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).callsFake(ok);
    await produce({
      client: new KinesisClient({}),
      streamName: 's',
      records: records(3),
      baseDelayMs: 100,
      sleep: async (ms) => void jittered.push(ms),
      random: () => 0,
    });
    expect(jittered).toEqual([50, 100]);
  });

  it('caps the backoff', async () => {
    kinesis.on(PutRecordsCommand).rejects(throttled());
    const slept: number[] = [];
    await expect(
      produce({
        client: new KinesisClient({}),
        streamName: 's',
        records: records(2),
        maxAttempts: 8,
        baseDelayMs: 100,
        maxDelayMs: 1000,
        random: () => 1,
        sleep: async (ms) => void slept.push(ms),
      }),
    ).rejects.toThrow(ProduceError);
    expect(slept).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('gives up after the attempts run out, saying what did not land', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
      $metadata: {},
      FailedRecordCount: 1,
      Records: input.Records!.map((_, i) =>
        i === 0 ? { ErrorCode: 'ProvisionedThroughputExceededException' } : { SequenceNumber: '1', ShardId: 's0' },
      ),
    }));
    const error = await produce({ client: new KinesisClient({}), streamName: 's', records: records(5), maxAttempts: 4, ...noSleep }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProduceError);
    expect((error as ProduceError).message).toMatch(
      /1 of 5 records still failing after 4 attempts \(ProvisionedThroughputExceededException\) \(4 records landed before the failure\)/,
    );
    expect((error as ProduceError).summary).toMatchObject({ sent: 4 });
  });

  it('counts the SDK client’s own retries against maxAttempts instead of multiplying them', async () => {
    // Each send: the SDK already made 3 HTTP attempts (its standard mode) before it threw.
    kinesis.on(PutRecordsCommand).rejects(Object.assign(throttled(), { $metadata: { httpStatusCode: 400, attempts: 3 } }));
    const error = await produce({ client: new KinesisClient({}), streamName: 's', records: records(2), maxAttempts: 6, ...noSleep }).catch(
      (e: unknown) => e,
    );
    expect(calls()).toHaveLength(2);
    expect((error as ProduceError).message).toMatch(/still failing after 6 attempts \(ProvisionedThroughputExceededException\)/);
  });

  it('does not retry an error that cannot pass (a missing stream)', async () => {
    kinesis
      .on(PutRecordsCommand)
      .rejects(Object.assign(new Error('Stream s not found'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } }));
    await expect(produce({ client: new KinesisClient({}), streamName: 's', records: records(3), ...noSleep })).rejects.toThrow(
      /ResourceNotFoundException: Stream s not found/,
    );
    expect(calls()).toHaveLength(1);
  });

  it('treats an entry without a sequence number as not landed', async () => {
    kinesis.on(PutRecordsCommand).resolvesOnce({ $metadata: {}, Records: [] }).callsFake(ok);
    const summary = await produce({ client: new KinesisClient({}), streamName: 's', records: records(2), ...noSleep });
    expect(calls()).toHaveLength(2);
    expect(summary.sent).toBe(2);
  });

  it('knows which errors are worth retrying', () => {
    expect(isRetryable(throttled())).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { name: 'Whatever', $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }))).toBe(false);
  });
});

describe('produce: stopping and pacing', () => {
  it('stops before taking another record when asked, with everything taken landed', async () => {
    kinesis.on(PutRecordsCommand).callsFake(ok);
    let taken = 0;
    const source = (function* () {
      for (const r of records(2000)) {
        taken++;
        yield r;
      }
    })();
    const summary = await produce({
      client: new KinesisClient({}),
      streamName: 's',
      records: source,
      shouldStop: () => taken >= 700,
      ...noSleep,
    });
    expect(summary).toMatchObject({ sent: 700, stopped: true });
    expect(summary.lastRecord?.data).toBe('0000000699');
    expect(taken).toBe(700);
  });

  it('holds a steady rate with a token bucket (simulated clock)', async () => {
    kinesis.on(PutRecordsCommand).callsFake(ok);
    let now = 0;
    const sentAt: number[] = [];
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
      for (let i = 0; i < input.Records!.length; i++) sentAt.push(now);
      return ok(input);
    });
    await produce({
      client: new KinesisClient({}),
      streamName: 's',
      records: records(1000),
      rate: 100,
      clock: { now: () => now },
      sleep: async (ms) => {
        now += ms;
      },
    });
    // 1000 records at 100/s: the last goes out at ~10 s (minus the bucket's initial 0.1 s of tokens).
    expect(Math.max(...sentAt)).toBeGreaterThanOrEqual(9800);
    expect(Math.max(...sentAt)).toBeLessThanOrEqual(10000);
    // Never more than ~a second's worth in any second.
    for (let s = 0; s < 10; s++) expect(sentAt.filter((t) => t >= s * 1000 && t < (s + 1) * 1000).length).toBeLessThanOrEqual(111);
    // Batches are not one record each: the linger time lets them fill.
    expect(calls().length).toBeLessThan(150);
  });

  it('keeps a replay at N× the event-time pace', async () => {
    let now = 0;
    const sentAt: number[] = [];
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
      for (let i = 0; i < input.Records!.length; i++) sentAt.push(now);
      return ok(input);
    });
    const timed = Array.from({ length: 61 }, (_, i) => ({
      data: String(i),
      partitionKey: 'k',
      eventTime: new Date(Date.UTC(2026, 0, 1) + i * 60_000),
    }));
    await produce({
      client: new KinesisClient({}),
      streamName: 's',
      records: timed,
      speed: 60,
      concurrency: 1,
      clock: { now: () => now },
      sleep: async (ms) => void (now += ms),
    });
    // An hour of event time at 60×: one minute of wall time, one record a second.
    expect(sentAt[sentAt.length - 1]).toBe(60_000);
    expect(sentAt[30]).toBe(30_000);
  });

  it('notices a stop request during a long event-time wait, without sending the waiting record', async () => {
    kinesis.on(PutRecordsCommand).callsFake(ok);
    let now = 0;
    const halfHourly = Array.from({ length: 5 }, (_, i) => ({
      data: String(i),
      partitionKey: 'k',
      eventTime: new Date(Date.UTC(2014, 6, 1) + i * 1_800_000),
    }));
    // At the file's own pace the second record is due in 30 minutes; the budget runs out after 10 seconds.
    const summary = await produce({
      client: new KinesisClient({}),
      streamName: 's',
      records: halfHourly,
      speed: 1,
      clock: { now: () => now },
      sleep: async (ms) => void (now += ms),
      shouldStop: () => now >= 10_000,
    });
    expect(summary).toMatchObject({ sent: 1, stopped: true });
    expect(summary.lastRecord?.data).toBe('0');
    expect(now).toBe(10_000);
  });

  it('with both a speed and a rate, the rate is a ceiling on the event-time pace', async () => {
    let now = 0;
    const sentAt: number[] = [];
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
      for (let i = 0; i < input.Records!.length; i++) sentAt.push(now);
      return ok(input);
    });
    // 100 records all in the same event-time millisecond: the event-time pace alone would send them at once.
    const burst = Array.from({ length: 100 }, (_, i) => ({
      data: String(i),
      partitionKey: 'k',
      eventTime: new Date(Date.UTC(2026, 0, 1)),
    }));
    await produce({
      client: new KinesisClient({}),
      streamName: 's',
      records: burst,
      speed: 1,
      rate: 50,
      clock: { now: () => now },
      sleep: async (ms) => void (now += ms),
    });
    expect(Math.max(...sentAt)).toBeGreaterThanOrEqual(1900);
  });
});
