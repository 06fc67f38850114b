import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../../shared/aws/clients';
import { readReplayFile } from '../../shared/producers';
import { produce } from '../../shared/producers/put';
import { runReplay } from '../../cli/commands/replay';
import { createStream, startKinesalite, type Emulator } from '../support/emulators';
import { FileRejectsSink } from '../../shared/rejects/sink';
import { readAllRecords, tally } from '../unit/producers/kinesis-readback';
import { KEPT_AT, keptRejects, tickerArchive } from '../unit/producers/replay-fixtures';

const TICKER = resolve(__dirname, '../../../shared/data/ticker-firehose');
const NAB = resolve(__dirname, '../../../shared/data/nab/data');

let kinesalite: Emulator;
let client: KinesisClient;
let streams = 0;
const newStream = (shards = 4) => createStream(kinesalite.endpoint, `replay-${++streams}`, shards);
const quiet = { log: () => undefined, stream: { write: () => true } };

beforeAll(async () => {
  kinesalite = await startKinesalite();
  client = kinesisClient({ endpoint: kinesalite.endpoint });
});
afterAll(async () => {
  client.destroy();
  await kinesalite.close();
});

/** The Firehose objects, cut apart without the replay reader: each object ends where "}" meets the next "{". */
function tickerObjects(): Array<{ data: string; partitionKey: string }> {
  return readdirSync(TICKER)
    .sort()
    .flatMap((f) => readFileSync(join(TICKER, f), 'utf8').split(/(?<=\})(?=\{)/))
    .map((data) => ({ data, partitionKey: (JSON.parse(data) as { ticker_symbol: string }).ticker_symbol }));
}

describe('replay into kinesalite', () => {
  it('delivers every object of all of ticker-firehose (concatenated JSON, 60 files) exactly once, as it was written', async () => {
    const streamName = await newStream();
    const expected = tickerObjects();
    expect(expected.length).toBeGreaterThan(50_000);
    const summary = await runReplay(
      TICKER,
      { speed: 'max', format: 'auto', endpoint: kinesalite.endpoint, stream: streamName, concurrency: '4' },
      quiet,
    );
    expect(summary.sent).toBe(expected.length);
    const back = await readAllRecords(client, streamName);
    expect(back).toHaveLength(expected.length);
    expect(tally(back)).toEqual(tally(expected));
  });

  it('delivers every line of a NAB CSV (header not sent), keyed by the series name, with event time from the file', async () => {
    const file = join(NAB, 'realKnownCause/nyc_taxi.csv');
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '');
    const streamName = await newStream(2);
    const summary = await runReplay(
      file,
      { speed: 'max', format: 'csv', endpoint: kinesalite.endpoint, stream: streamName, concurrency: '2' },
      quiet,
    );
    expect(summary.sent).toBe(lines.length);
    expect(summary.firstEventTime?.toISOString()).toBe('2014-07-01T00:00:00.000Z');
    expect(summary.lastEventTime?.toISOString()).toBe('2015-01-31T23:30:00.000Z');
    const back = await readAllRecords(client, streamName);
    expect(tally(back)).toEqual(tally(lines.map((data) => ({ data, partitionKey: 'nyc_taxi' }))));
  });

  it('continues an interrupted replay from the offset it reported, with nothing lost or repeated', async () => {
    const file = join(NAB, 'realTweets/Twitter_volume_AAPL.csv');
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '');
    const streamName = await newStream(1);
    let taken = 0;
    const first = await produce({ client, streamName, records: readReplayFile(file), shouldStop: () => taken++ >= 1234 });
    expect(first).toMatchObject({ sent: 1234, stopped: true });
    const header = readFileSync(file, 'utf8').split('\n')[0]!.split(',');
    const rest = await produce({ client, streamName, records: readReplayFile(file, { startOffset: first.lastRecord!.offset, header }) });
    expect(first.sent + rest.sent).toBe(lines.length);
    expect(tally(await readAllRecords(client, streamName))).toEqual(
      tally(lines.map((data) => ({ data, partitionKey: 'Twitter_volume_AAPL' }))),
    );
  });

  it('the replay command says what is wrong with its options', async () => {
    const target = { endpoint: kinesalite.endpoint, stream: 'x', concurrency: '1' };
    await expect(runReplay(TICKER, { ...target, speed: 'fast', format: 'auto' }, quiet)).rejects.toThrow(/--speed "fast" is invalid: a speed is a factor/);
    await expect(runReplay(TICKER, { ...target, speed: 'max', format: 'xml' }, quiet)).rejects.toThrow(/--format is one of/);
    await expect(runReplay(join(TICKER, 'missing'), { ...target, speed: 'max', format: 'auto' }, quiet)).rejects.toThrow(/does not exist/);
  });
});

describe('replay of gzip files and kept rejects into kinesalite', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'replay-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the replay command decompresses a gzip file (a downloaded archive object) and sends what the plain file holds', async () => {
    const archive = tickerArchive(10);
    const file = join(dir, 'stream-sentinel-dev-archive-1-2019-04-02-23-45-01-a865c1b7.gz');
    writeFileSync(file, gzipSync(archive.plain));
    const streamName = await newStream(2);
    const summary = await runReplay(
      file,
      { speed: 'max', format: 'auto', endpoint: kinesalite.endpoint, stream: streamName, concurrency: '2' },
      quiet,
    );
    expect(summary.sent).toBe(archive.records.length);
    expect(summary.lastRecord?.offset).toBe(archive.plain.length);
    expect(tally(await readAllRecords(client, streamName))).toEqual(tally(archive.records));
  });

  it('the replay command continues a gzip file with --from, an offset in its uncompressed bytes', async () => {
    const archive = tickerArchive(4);
    const file = join(dir, 'resume.gz');
    writeFileSync(file, gzipSync(archive.plain));
    const streamName = await newStream(1);
    let taken = 0;
    const first = await produce({ client, streamName, records: readReplayFile(file), shouldStop: () => taken++ >= 777 });
    expect(first).toMatchObject({ sent: 777, stopped: true });
    const rest = await runReplay(
      file,
      {
        speed: 'max',
        format: 'auto',
        from: String(first.lastRecord!.offset),
        endpoint: kinesalite.endpoint,
        stream: streamName,
        concurrency: '1',
      },
      quiet,
    );
    expect(first.sent + rest.sent).toBe(archive.records.length);
    expect(tally(await readAllRecords(client, streamName))).toEqual(tally(archive.records));
  });

  it('replays what a local run kept (REJECTS_DIR: <detector>/<date>/*.jsonl): the records as they arrived, with their keys, once', async () => {
    const { batches, expected } = keptRejects('unused');
    const sink = new FileRejectsSink(dir, () => KEPT_AT);
    for (const batch of batches) await sink.write(batch);
    const tickers = join(dir, 'tickers', '2026-11-22');
    // Two files: the ticker objects' batch and the two-object record's (kept twice, one line per bad object).
    expect(readdirSync(tickers)).toHaveLength(2);
    const streamName = await newStream(2);
    const summary = await runReplay(
      tickers,
      { speed: 'max', format: 'auto', endpoint: kinesalite.endpoint, stream: streamName, concurrency: '2' },
      quiet,
    );
    const want = expected.filter((e) => e.partitionKey !== 'unused');
    expect(summary.sent).toBe(want.length);
    expect(tally(await readAllRecords(client, streamName))).toEqual(tally(want));
  });
});
