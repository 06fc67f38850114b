import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { firehoseClient, dynamoDocumentClient } from '../../shared/aws/clients';
import { FirehoseRejectsSink, RejectsNotKeptError, type RejectBatch } from '../../shared/rejects';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { startFirehose, type FirehoseEndpoint } from '../support/firehose';
import { lambdaContext, windowEvent } from '../factories/kinesis';

const STREAM = 'stream-sentinel-test-rejects';
const EVENTS = resolve(__dirname, '../../events');

const batchOf = (n: number, reason = 'not JSON'): RejectBatch => ({
  shardId: 'shardId-000000000000',
  detector: 'clicks',
  rejects: Array.from({ length: n }, (_, i) => ({
    sequenceNumber: String(1000 + i),
    arrival: '2026-11-30T10:00:00.000Z',
    index: 0,
    reason,
    data: `bad ${i}`,
  })),
});
const linesOf = (fh: FirehoseEndpoint) =>
  (fh.delivered.get(STREAM) ?? [])
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('keeping rejects in the Firehose delivery stream (real SDK client, loopback endpoint)', () => {
  let fh: FirehoseEndpoint;
  beforeEach(async () => {
    fh = await startFirehose();
  });
  afterEach(() => fh.close());

  it('delivers every reject as one JSON line, packed into few records', async () => {
    const client = firehoseClient({ endpoint: fh.endpoint });
    const where = await new FirehoseRejectsSink(client, STREAM).write(batchOf(1200));
    client.destroy();
    expect(where).toBe(`firehose:${STREAM} (1200 rejects)`);
    const lines = linesOf(fh);
    expect(lines.map((l) => l.sequenceNumber)).toEqual(Array.from({ length: 1200 }, (_, i) => String(1000 + i)));
    expect(lines[0]).toMatchObject({ shardId: 'shardId-000000000000', detector: 'clicks', reason: 'not JSON', data: 'bad 0' });
    expect(fh.calls).toEqual([{ stream: STREAM, records: 1 }]);
  });

  it('sends again only the records Firehose reported as failed', async () => {
    const client = firehoseClient({ endpoint: fh.endpoint });
    // Three records in one call (a tiny record limit), the first of which fails once.
    const sink = new FirehoseRejectsSink(client, STREAM, { sleep: async () => {} });
    const big = batchOf(3);
    for (const r of big.rejects) r.data = 'y'.repeat(600 * 1024);
    fh.failNext(1);
    await sink.write(big);
    client.destroy();
    expect(fh.calls.map((c) => c.records)).toEqual([3, 1]);
    expect(
      linesOf(fh)
        .map((l) => l.sequenceNumber)
        .sort(),
    ).toEqual(['1000', '1001', '1002']);
  });

  it('fails the write with a message naming the stream when Firehose keeps refusing, so the invoke is retried', async () => {
    const client = firehoseClient({ endpoint: fh.endpoint });
    fh.failNext(100);
    const sleeps: number[] = [];
    const sink = new FirehoseRejectsSink(client, STREAM, { attempts: 3, backoffMs: 50, random: () => 1, sleep: async (ms) => void sleeps.push(ms) });
    await expect(sink.write(batchOf(2))).rejects.toThrow(RejectsNotKeptError);
    await expect(sink.write(batchOf(2))).rejects.toThrow(
      new RegExp(`${STREAM} refused 1 reject record\\(s\\) after 3 attempts \\(ServiceUnavailableException: Slow down.\\)`),
    );
    client.destroy();
    expect(sleeps.slice(0, 2)).toEqual([50, 100]);
  });
});

describe('the windows handler configured with REJECTS_STREAM', () => {
  let db: Emulator;
  let fh: FirehoseEndpoint;
  const saved = { ...process.env };
  beforeAll(async () => {
    [db, fh] = await Promise.all([startDynalite(), startFirehose()]);
    Object.assign(process.env, {
      TABLE_NAME: await createDataTable(db.endpoint),
      AWS_ENDPOINT_URL: db.endpoint,
      AWS_ENDPOINT_URL_FIREHOSE: fh.endpoint,
      REJECTS_STREAM: STREAM,
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_LAMBDA_LOG_LEVEL: 'ERROR',
    });
    delete process.env.REJECTS_DIR;
    delete process.env.DETECTORS_FILE;
  });
  afterAll(async () => {
    process.env = saved;
    await Promise.all([db.close(), fh.close()]);
  });

  it('keeps the sample event’s malformed records in the delivery stream and still writes its good record', async () => {
    let handler!: typeof import('../../functions/windows/handler').handler;
    jest.isolateModules(() => {
      ({ handler } = jest.requireActual<typeof import('../../functions/windows/handler')>('../../functions/windows/handler'));
    });
    const event = JSON.parse(readFileSync(join(EVENTS, 'windows-rejects.json'), 'utf8')) as Record<string, unknown>;
    const response = (await handler(event as never, lambdaContext() as never)) as unknown as { batchItemFailures: unknown[] };
    expect(response.batchItemFailures).toEqual([]);
    // Its window is event time: held for the detector's lateness, written at the next Lambda window's final invoke.
    await handler(windowEvent({ windowStart: '2026-11-22T10:00:10.000Z', final: true }) as never, lambdaContext() as never);
    const lines = linesOf(fh);
    // One line per rejected record (shared/records/reject.ts): the record of a bad and an incomplete object is kept once.
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.reason)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('expected 3 CSV columns'),
        expect.stringContaining('(and 1 more problem in this record)'),
        'time field timestamp: missing',
      ]),
    );
    for (const l of lines)
      expect(l).toEqual(
        expect.objectContaining({ shardId: expect.any(String), sequenceNumber: expect.any(String), data: expect.any(String) }),
      );
    const client = dynamoDocumentClient({ endpoint: db.endpoint });
    const items = (await client.send(new ScanCommand({ TableName: process.env.TABLE_NAME! }))).Items ?? [];
    client.destroy();
    expect(items.some((i) => i.type === 'window')).toBe(true);
  });
});
