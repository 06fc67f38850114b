import { createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { kinesisClient, s3Client } from '../../shared/aws/clients';
import { createReplayHandler, type ReplayResult } from '../../functions/replay/handler';
import { runReplay } from '../../cli/commands/replay';
import { createStream, startKinesalite, type Emulator } from '../support/emulators';
import { readAllRecords, tally } from '../unit/producers/kinesis-readback';
import { keptRejects, tickerArchive } from '../unit/producers/replay-fixtures';

const DATA = resolve(__dirname, '../../../shared/data');
const TICKER_FILE = 'ticker-firehose/skydance-telemetry-3-2019-04-02-23-45-01-a865c1b7-4626-4173-aba4-31ddc8738cc6';
const NAB_FILE = 'nab/data/realKnownCause/nyc_taxi.csv';

/** Objects made by the tests (gzip archives, kept rejects), served as bucket "tmp". */
const TMP = mkdtempSync(join(tmpdir(), 'replay-lambda-'));
const ROOTS: Record<string, string> = { data: DATA, tmp: TMP };

/**
 * Just enough of S3 for the replay's reads, serving ../shared/data read-only as bucket "data" (and the tests'
 * own objects as "tmp"): GetObject with byte ranges (streamed in small chunks, so records straddle chunks) and
 * ListObjectsV2. No emulator for S3 is installed; this speaks the real protocol to the real SDK client.
 */
function startS3(): Promise<{ endpoint: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://s3');
    const [, bucket, ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    requests.push(`${req.method} ${key} ${req.headers.range ?? ''}`);
    const root = ROOTS[bucket ?? ''];
    if (!root) return void res.writeHead(404).end();
    if (url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const dir = prefix.replace(/\/$/, '');
      const keys = readdirSync(join(root, dir))
        .sort()
        .map((f: string) => `${dir}/${f}`);
      res.writeHead(200, { 'content-type': 'application/xml' });
      return void res.end(
        `<?xml version="1.0"?><ListBucketResult><Name>${bucket}</Name><Prefix>${prefix}</Prefix><KeyCount>${keys.length}</KeyCount><IsTruncated>false</IsTruncated>${keys.map((k: string) => `<Contents><Key>${k}</Key></Contents>`).join('')}</ListBucketResult>`,
      );
    }
    const path = join(root, key);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      res.writeHead(404, { 'content-type': 'application/xml' });
      return void res.end('<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start >= size && size > 0) {
      res.writeHead(416, { 'content-type': 'application/xml' });
      return void res.end('<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message></Error>');
    }
    res.writeHead(range ? 206 : 200, {
      'content-length': end - start + 1,
      ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    createReadStream(path, { start, end, highWaterMark: 4096 }).pipe(res);
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () => ok({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests })),
  );
}

let kinesalite: Emulator;
let kinesis: KinesisClient;
let s3: S3Client;
let s3Server: Awaited<ReturnType<typeof startS3>>;
let streams = 0;

beforeAll(async () => {
  [kinesalite, s3Server] = await Promise.all([startKinesalite(), startS3()]);
  kinesis = kinesisClient({ endpoint: kinesalite.endpoint });
  s3 = s3Client({ endpoint: s3Server.endpoint });
});
afterAll(async () => {
  kinesis.destroy();
  s3.destroy();
  await new Promise((ok) => s3Server.server.close(ok));
  await kinesalite.close();
  rmSync(TMP, { recursive: true, force: true });
});

/** An invoke's time budget counted in records: each check of the remaining time costs 10 ms of it. */
const budget = (records: number, reserveMs: number): Pick<Context, 'getRemainingTimeInMillis'> => {
  let checks = 0;
  return { getRemainingTimeInMillis: () => reserveMs + (records - checks++) * 10 - 1 };
};

async function invokeUntilDone(streamName: string, event: Record<string, unknown>, perInvoke: number): Promise<ReplayResult[]> {
  const replay = createReplayHandler({ s3, kinesis, streamName, reserveMs: 1000 });
  const results: ReplayResult[] = [];
  let next: unknown = event;
  for (let i = 0; i < 100; i++) {
    const result = await replay(next, budget(perInvoke, 1000));
    results.push(result);
    if (result.done) return results;
    next = result.next;
  }
  throw new Error('the replay did not finish in 100 invokes');
}

describe('replay Lambda', () => {
  it('replays a Firehose object over several invokes, each stopping at its budget and the next continuing where it stopped', async () => {
    const streamName = await createStream(kinesalite.endpoint, `replay-lambda-${++streams}`, 2);
    const objects = readFileSync(join(DATA, TICKER_FILE), 'utf8').split(/(?<=\})(?=\{)/);
    const results = await invokeUntilDone(streamName, { source: `s3://data/${TICKER_FILE}` }, 150);
    expect(results.length).toBe(Math.ceil(objects.length / 150));
    expect(results.slice(0, -1).every((r) => r.recordsSent === 150 && !r.done && r.next?.from === r.position)).toBe(true);
    // Every position is the byte just past an object: the prefix up to it is whole objects.
    const bytes = readFileSync(join(DATA, TICKER_FILE));
    for (const r of results.slice(0, -1))
      expect(
        bytes
          .subarray(0, r.position)
          .toString('utf8')
          .split(/(?<=\})(?=\{)/),
      ).toHaveLength(results.indexOf(r) * 150 + 150);
    expect(results[results.length - 1]).toMatchObject({ done: true, position: bytes.length });
    expect(results.reduce((n, r) => n + r.recordsSent, 0)).toBe(objects.length);
    const back = await readAllRecords(kinesis, streamName);
    expect(tally(back)).toEqual(
      tally(objects.map((data) => ({ data, partitionKey: (JSON.parse(data) as { ticker_symbol: string }).ticker_symbol }))),
    );
  });

  it('resumes a CSV past its header: the header is read again with a small ranged GET and never sent', async () => {
    const streamName = await createStream(kinesalite.endpoint, `replay-lambda-${++streams}`, 1);
    const lines = readFileSync(join(DATA, NAB_FILE), 'utf8')
      .split('\n')
      .slice(1)
      .filter((l) => l !== '');
    const results = await invokeUntilDone(streamName, { source: `s3://data/${NAB_FILE}`, format: 'auto' }, 4000);
    expect(results.map((r) => r.recordsSent)).toEqual([4000, 4000, lines.length - 8000]);
    expect(s3Server.requests.filter((r) => r.includes(NAB_FILE) && r.endsWith('bytes=0-65535'))).toHaveLength(2);
    expect(tally(await readAllRecords(kinesis, streamName))).toEqual(tally(lines.map((data) => ({ data, partitionKey: 'nyc_taxi' }))));
  });

  it('an invoke from the end of the object sends nothing and is done', async () => {
    const streamName = await createStream(kinesalite.endpoint, `replay-lambda-${++streams}`, 1);
    const size = statSync(join(DATA, TICKER_FILE)).size;
    const replay = createReplayHandler({ s3, kinesis, streamName });
    await expect(replay({ source: `s3://data/${TICKER_FILE}`, from: size }, budget(1000, 20_000))).resolves.toEqual({
      source: `s3://data/${TICKER_FILE}`,
      position: size,
      recordsSent: 0,
      done: true,
    });
  });

  it('the deployed handler (middy, Powertools) reads STREAM_NAME and the SDK endpoints from the environment', async () => {
    const streamName = await createStream(kinesalite.endpoint, `replay-lambda-${++streams}`, 1);
    const saved = { ...process.env };
    Object.assign(process.env, {
      STREAM_NAME: streamName,
      AWS_ENDPOINT_URL_S3: s3Server.endpoint,
      AWS_ENDPOINT_URL_KINESIS: kinesalite.endpoint,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      LOG_LEVEL: 'SILENT',
    });
    // The handler logs (JSON, Powertools) to stdout; the test has no use for it.
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const { handler } = await import('../../functions/replay/handler');
      const context = {
        functionName: 'replay',
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:replay',
        memoryLimitInMB: '1024',
        awsRequestId: 'test',
        getRemainingTimeInMillis: () => 900_000,
      } as unknown as Context;
      const result = (await handler({ source: `s3://data/${TICKER_FILE}` }, context)) as ReplayResult;
      const objects = readFileSync(join(DATA, TICKER_FILE), 'utf8').split(/(?<=\})(?=\{)/);
      expect(result).toEqual({
        source: `s3://data/${TICKER_FILE}`,
        position: statSync(join(DATA, TICKER_FILE)).size,
        recordsSent: objects.length,
        done: true,
      });
      expect(await readAllRecords(kinesis, streamName)).toHaveLength(objects.length);
    } finally {
      stdout.mockRestore();
      for (const k of ['STREAM_NAME', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_KINESIS']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it('says what is wrong with an event', async () => {
    const replay = createReplayHandler({ s3, kinesis, streamName: 'unused' });
    await expect(replay({ source: '/tmp/file.csv' }, budget(1, 0))).rejects.toThrow(
      /source must be an S3 object URI: s3:\/\/<bucket>\/<key>/,
    );
    await expect(replay({ source: 's3://data/x', from: -1 }, budget(1, 0))).rejects.toThrow(/from must be a byte offset/);
    await expect(replay({ source: 's3://data/x', speed: 'fast' }, budget(1, 0))).rejects.toThrow(/speed/);
    await expect(replay({ source: 's3://data/x', format: 'xml' }, budget(1, 0))).rejects.toThrow(
      'format: Invalid option: expected one of "auto"|"csv"|"ndjson"|"json-concat"|"rejects"',
    );
  });

  it('the replay command reads an S3 prefix, every object in key order, each CSV without its header', async () => {
    const streamName = await createStream(kinesalite.endpoint, `replay-lambda-${++streams}`, 2);
    const dir = 'nab/data/realAdExchange';
    const previous = process.env.AWS_ENDPOINT_URL_S3;
    process.env.AWS_ENDPOINT_URL_S3 = s3Server.endpoint;
    try {
      const quiet = { log: () => undefined, stream: { write: () => true } };
      const summary = await runReplay(
        `s3://data/${dir}/`,
        { speed: 'max', format: 'auto', endpoint: kinesalite.endpoint, stream: streamName, concurrency: '4' },
        quiet,
      );
      const expected = readdirSync(join(DATA, dir)).flatMap((f) =>
        readFileSync(join(DATA, dir, f), 'utf8')
          .split(/\r?\n/) // these files end their lines with CRLF; a record is the line without its end
          .slice(1)
          .filter((l) => l !== '')
          .map((data) => ({ data, partitionKey: f.replace(/\.csv$/, '') })),
      );
      expect(summary.sent).toBe(expected.length);
      expect(tally(await readAllRecords(kinesis, streamName))).toEqual(tally(expected));
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_S3;
      else process.env.AWS_ENDPOINT_URL_S3 = previous;
    }
  });
});

/** Writes an object into bucket "tmp". */
function putTmp(key: string, body: Buffer | string): string {
  mkdirSync(join(TMP, key, '..'), { recursive: true });
  writeFileSync(join(TMP, key), body);
  return `s3://tmp/${key}`;
}

describe('replay Lambda: gzip objects and kept rejects', () => {
  // Ten real Firehose objects in one archive object, as Firehose writes it with CompressionFormat GZIP.
  const archive = tickerArchive(10);
  const perInvoke = 1000;

  it('a gzip archive object lands the same records as the plain one, and resumes across invokes at the same (uncompressed) positions', async () => {
    expect(archive.records.length % perInvoke).not.toBe(0);
    const plainUri = putTmp('replay/ticker-10', archive.plain);
    const gzipUri = putTmp('raw/year=2019/month=04/day=02/hour=23/ticker-10.gz', gzipSync(archive.plain));
    const [plainStream, gzipStream] = await Promise.all([
      createStream(kinesalite.endpoint, `replay-lambda-${++streams}`, 2),
      createStream(kinesalite.endpoint, `replay-lambda-${++streams}`, 2),
    ]);
    const plain = await invokeUntilDone(plainStream, { source: plainUri }, perInvoke);
    const before = s3Server.requests.length;
    const gzip = await invokeUntilDone(gzipStream, { source: gzipUri }, perInvoke);
    const invokes = Math.ceil(archive.records.length / perInvoke);
    expect(gzip).toHaveLength(invokes);
    expect(gzip.map((r) => r.position)).toEqual(plain.map((r) => r.position));
    expect(gzip.map((r) => r.recordsSent)).toEqual(plain.map((r) => r.recordsSent));
    expect(gzip.every((r) => r.gzip === true)).toBe(true);
    expect(gzip.slice(0, -1).every((r) => r.next?.from === r.position && r.next.format === 'json-concat')).toBe(true);
    expect(gzip[gzip.length - 1]).toMatchObject({ done: true, position: archive.plain.length });
    // Each resumed invoke reads the first 64 KiB (magic bytes) and then the whole object from its start.
    const gets = s3Server.requests.slice(before).filter((r) => r.includes('ticker-10.gz'));
    expect(gets.filter((r) => r.endsWith('bytes=0-65535'))).toHaveLength(invokes - 1);
    expect(gets.filter((r) => r.endsWith(' '))).toHaveLength(invokes);
    const [plainBack, gzipBack] = await Promise.all([readAllRecords(kinesis, plainStream), readAllRecords(kinesis, gzipStream)]);
    expect(tally(gzipBack)).toEqual(tally(plainBack));
    expect(tally(gzipBack)).toEqual(tally(archive.records));
  });

  it('a gzip object stopped right after its last record is done on the next invoke, which sends nothing', async () => {
    const uri = putTmp('raw/exact/ticker-1.gz', gzipSync(tickerArchive(1).plain));
    const records = tickerArchive(1).records;
    const streamName = await createStream(kinesalite.endpoint, `replay-lambda-${++streams}`, 1);
    const results = await invokeUntilDone(streamName, { source: uri }, records.length);
    // Unlike a plain object, whose stored size says where it ends, the uncompressed length is known only at the end.
    expect(results.map((r) => [r.recordsSent, r.done])).toEqual([
      [records.length, false],
      [0, true],
    ]);
    expect(results[1]!.position).toBe(results[0]!.position);
    expect(tally(await readAllRecords(kinesis, streamName))).toEqual(tally(records));
  });

  it('a gzip CSV resumed past its header takes the header from the decompressed first line and never sends it', async () => {
    const bytes = readFileSync(join(DATA, NAB_FILE));
    const uri = putTmp('replay/nyc_taxi.csv.gz', gzipSync(bytes));
    const lines = bytes
      .toString('utf8')
      .split('\n')
      .slice(1)
      .filter((l) => l !== '');
    const streamName = await createStream(kinesalite.endpoint, `replay-lambda-${++streams}`, 1);
    const results = await invokeUntilDone(streamName, { source: uri, timeField: 'timestamp' }, 4000);
    expect(results.map((r) => r.recordsSent)).toEqual([4000, 4000, lines.length - 8000]);
    expect(results[results.length - 1]).toMatchObject({ done: true, gzip: true, position: bytes.length });
    expect(tally(await readAllRecords(kinesis, streamName))).toEqual(tally(lines.map((data) => ({ data, partitionKey: 'nyc_taxi' }))));
  });

  it.each([
    ['gzip, format detected', 'rejects/year=2026/month=11/day=22/stream-sentinel-dev-rejects-1-2026-11-22-10-00-00-abc.gz', true, {}],
    ['plain, --format rejects', 'rejects/local/tickers/2026-11-22/shardId-000000000000-4959.jsonl', false, { format: 'rejects' }],
  ])('kept rejects (%s) replay the original records with their partition keys, each once, across invokes', async (_, key, gzip, extra) => {
    const { lines, expected } = keptRejects('unused');
    const text = lines.join('');
    const uri = putTmp(key, gzip ? gzipSync(text) : text);
    const streamName = await createStream(kinesalite.endpoint, `replay-lambda-${++streams}`, 2);
    // 60 a run: the repeats (the same records kept for a second detector) come after the runs that sent them.
    const results = await invokeUntilDone(streamName, { source: uri, ...extra }, 60);
    expect(results.length).toBeGreaterThan(3);
    expect(results.slice(0, -1).every((r) => r.next?.format === 'rejects')).toBe(true);
    expect(results.reduce((n, r) => n + r.recordsSent, 0)).toBe(expected.length);
    expect(results.some((r) => (r.skipped?.repeat ?? 0) > 0)).toBe(true);
    const back = await readAllRecords(kinesis, streamName);
    expect(tally(back)).toEqual(tally(expected.map((e) => (e.partitionKey === 'unused' ? { ...e, partitionKey: keyOf(key) } : e))));
  });

  it('the replay command reads an S3 prefix of gzip rejects objects, each kept record once across the objects', async () => {
    const { lines, expected } = keptRejects('unused');
    const half = Math.floor(lines.length / 2);
    putTmp('rejects/year=2026/month=11/day=23/part-1.gz', gzipSync(lines.slice(0, half).join('')));
    putTmp('rejects/year=2026/month=11/day=23/part-2.gz', gzipSync(lines.slice(half).join('')));
    const streamName = await createStream(kinesalite.endpoint, `replay-lambda-${++streams}`, 2);
    const previous = process.env.AWS_ENDPOINT_URL_S3;
    process.env.AWS_ENDPOINT_URL_S3 = s3Server.endpoint;
    const logs: string[] = [];
    try {
      const summary = await runReplay(
        's3://tmp/rejects/year=2026/month=11/day=23/',
        { speed: 'max', format: 'rejects', endpoint: kinesalite.endpoint, stream: streamName, concurrency: '2' },
        { log: (line: string) => void logs.push(line), stream: { write: () => true } },
      );
      expect(summary.sent).toBe(expected.length);
      // The NAB lines were kept without a partition key and have no key column: the object's name is the key.
      const want = expected.map((e) => (e.partitionKey === 'unused' ? { ...e, partitionKey: 'part-2' } : e));
      expect(tally(await readAllRecords(kinesis, streamName))).toEqual(tally(want));
      expect(logs.join('\n')).toMatch(/kept rejects not sent: 101 repeating a record already sent, 0 with data cut/);
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_S3;
      else process.env.AWS_ENDPOINT_URL_S3 = previous;
    }
  });
});

/** The partition key of records without one: the object's name without its extensions. */
const keyOf = (key: string) =>
  key
    .split('/')
    .pop()!
    .replace(/\.gz$/, '')
    .replace(/\.[^.]*$/, '');
