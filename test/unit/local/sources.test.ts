import type { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { PacedRecord } from '../../../local/pacing';
import { loadLocalDetectors } from '../../../local/pipeline';
import { pacedRecordsFromFile, replaySource } from '../../../local/sources';
import { getScenario, type ProducedRecord, type ScenarioName } from '../../../shared/producers';
import { rejectLines } from '../../../shared/rejects/sink';
import { TICKER_DIR } from '../producers/replay-fixtures';

/**
 * Local mode's replay source (`npm start -- --replay <file>`): the bytes are read by the shared replay reader
 * (gzip, raw Firehose concatenated JSON, kept rejects, CSV headers), the key and event time come from the
 * detectors in detectors.yml, as the stream functions read them.
 */

const detectors = loadLocalDetectors();
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'local-replay-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const generate = (name: ScenarioName, seconds: number, rate: number, offsetMs = 0): ProducedRecord[] => [
  ...getScenario(name).generate({ seed: 5, start: T0 + offsetMs, duration: seconds, rate }),
];
const paced = (r: ProducedRecord): PacedRecord => ({ data: r.data, partitionKey: r.partitionKey, eventTime: r.eventTime.getTime() });

/** The first `n` objects of the first ticker-firehose file: records no detector in detectors.yml takes. */
function tickerObjects(n: number): Array<{ data: string; symbol: string }> {
  const first = readdirSync(TICKER_DIR).sort()[0]!;
  return readFileSync(join(TICKER_DIR, first), 'utf8')
    .split(/(?<=\})(?=\{)/)
    .slice(0, n)
    .map((data) => ({ data, symbol: (JSON.parse(data) as { ticker_symbol: string }).ticker_symbol }));
}

/** A Kinesis stand-in that keeps what was put. */
function capture() {
  const put: Array<{ data: string; partitionKey: string }> = [];
  const client = {
    send: async (command: PutRecordsCommand) => {
      const entries = command.input.Records ?? [];
      for (const e of entries) put.push({ data: Buffer.from(e.Data as Uint8Array).toString('utf8'), partitionKey: e.PartitionKey! });
      return { Records: entries.map(() => ({ SequenceNumber: '1' })) };
    },
  } as unknown as KinesisClient;
  return { client, put };
}

describe('pacedRecordsFromFile', () => {
  it('reads a gzip CSV file (by its magic bytes) with a header: keys and event times from the toll detector', async () => {
    const toll = generate('toll', 60, 20);
    const file = join(dir, 'toll-archive'); // no .gz: gzip is recognised by its first bytes
    writeFileSync(file, gzipSync(`date,station,plate\n${toll.map((r) => r.data).join('\n')}\n`));
    expect(readFileSync(file).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));

    const records = await pacedRecordsFromFile(file, detectors);
    // The header is not sent; every line keeps its station as key and its date as event time.
    expect(records).toEqual(toll.map(paced));
  });

  it('reads raw Firehose output (JSON objects concatenated with nothing between them), routed per object', async () => {
    const wind = generate('wind', 30, 4);
    // Offset so that no player report shares its time with the wind record before it.
    const players = generate('players', 30, 4, 123);
    const timed = [...wind, ...players].sort((a, b) => a.eventTime.getTime() - b.eventTime.getTime());
    const tickers = tickerObjects(1 + Math.ceil(timed.length / 10));
    // A ticker object first (before any timed record), then one after every 10th timed record.
    const expected: PacedRecord[] = [];
    const parts: string[] = [];
    const addTicker = (t: { data: string; symbol: string }, at: number) => {
      parts.push(t.data);
      expected.push({ data: t.data, partitionKey: t.symbol, eventTime: at });
    };
    addTicker(tickers[0]!, timed[0]!.eventTime.getTime());
    timed.forEach((r, i) => {
      parts.push(r.data);
      expected.push(paced(r));
      if (i % 10 === 9) addTicker(tickers[1 + (i - 9) / 10]!, r.eventTime.getTime());
    });
    const file = join(dir, 'stream-sentinel-raw-1-2026-01-05-09-00-00-abc');
    writeFileSync(file, parts.join(''));
    expect(readFileSync(file, 'utf8')).toContain('}{');

    const records = await pacedRecordsFromFile(file, detectors);
    // Wind: the wind-speed detector's key (location) and time. Players: the hotspots detector's time and the
    // reader's key (player_id; hotspots detectors have no key). Tickers, which no detector takes: the reader's
    // key (ticker_symbol) at the previous record's time, the first one at the first timed record's.
    expect(records).toEqual(expected);
    expect(new Set(records.map((r) => r.partitionKey))).toEqual(
      new Set(timed.map((r) => r.partitionKey).concat(tickers.map((t) => t.symbol))),
    );
  });

  it('reads a ticker-firehose file no detector takes: keyed by ticker_symbol, all at one event time', async () => {
    const first = join(TICKER_DIR, readdirSync(TICKER_DIR).sort()[0]!);
    const objects = readFileSync(first, 'utf8').split(/(?<=\})(?=\{)/);
    const before = Date.now();
    const records = await pacedRecordsFromFile(first, detectors);
    expect(records.map((r) => r.data)).toEqual(objects);
    expect(records.map((r) => r.partitionKey)).toEqual(objects.map((o) => (JSON.parse(o) as { ticker_symbol: string }).ticker_symbol));
    expect(new Set(records.map((r) => r.eventTime)).size).toBe(1);
    expect(records[0]!.eventTime).toBeGreaterThanOrEqual(before);
  });

  it('reads kept rejects (.jsonl): each record once, keyed and timed by the detectors, not by the kept partition key', async () => {
    const toll = generate('toll', 40, 10);
    const tickers = tickerObjects(3);
    const arrival = new Date(T0 + 3_600_000).toISOString();
    const seq = (i: number) => `4959033827149025660855969253836157${String(i).padStart(6, '0')}`;
    const lines = [
      // As kept before a fix of the toll detector: kept under partition keys the data does not have.
      ...rejectLines(
        {
          shardId: 'shardId-000000000000',
          detector: 'toll-stations',
          rejects: toll.map((r, i) => ({
            sequenceNumber: seq(i),
            partitionKey: `pk-${i}`,
            arrival,
            index: 0,
            reason: 'bad',
            data: r.data,
          })),
        },
        T0 + 3_700_000,
      ),
      // The first ten kept again (by a retried invoke): not sent twice.
      ...rejectLines(
        {
          shardId: 'shardId-000000000000',
          detector: 'toll-stations',
          rejects: toll
            .slice(0, 10)
            .map((r, i) => ({ sequenceNumber: seq(i), partitionKey: `pk-${i}`, arrival, index: 0, reason: 'bad', data: r.data })),
        },
        T0 + 3_700_000,
      ),
      // Records no detector takes, kept with and without a partition key.
      ...rejectLines(
        {
          shardId: 'shardId-000000000001',
          rejects: tickers.map((t, i) => ({
            sequenceNumber: seq(500 + i),
            ...(i === 0 ? { partitionKey: 'kept-key' } : {}),
            arrival,
            index: 0,
            reason: 'matches no detector',
            data: t.data,
          })),
        },
        T0 + 3_700_000,
      ),
    ];
    const file = join(dir, 'rejects.jsonl');
    writeFileSync(file, lines.join(''));
    const skipped: string[] = [];

    const records = await pacedRecordsFromFile(file, detectors, { onSkip: (s) => skipped.push(s.reason) });
    const last = toll.at(-1)!.eventTime.getTime();
    expect(records).toEqual([
      ...toll.map(paced),
      { data: tickers[0]!.data, partitionKey: 'kept-key', eventTime: last },
      { data: tickers[1]!.data, partitionKey: tickers[1]!.symbol, eventTime: last },
      { data: tickers[2]!.data, partitionKey: tickers[2]!.symbol, eventTime: last },
    ]);
    expect(skipped).toEqual(Array(10).fill('repeat'));
  });
});

describe('replaySource', () => {
  it('puts a shuffled gzip file in event-time order with the detectors keys', async () => {
    const toll = generate('toll', 25, 8);
    const shuffled = [...toll].reverse();
    const file = join(dir, 'shuffled.csv.gz');
    writeFileSync(file, gzipSync(shuffled.map((r) => r.data).join('\r\n')));

    const source = await replaySource({ file, slotSeconds: 0.1 });
    expect(source.total).toBe(toll.length);
    expect(source.description).toContain(`(csv, ${toll.length} records`);
    const { client, put } = capture();
    expect(await source.run(client, 'stream', () => undefined)).toBe(toll.length);
    // Sorted by event time (stable: records of the same millisecond keep their file order).
    const expected = [...shuffled].sort((a, b) => a.eventTime.getTime() - b.eventTime.getTime());
    expect(put).toEqual(expected.map((r) => ({ data: r.data, partitionKey: r.partitionKey })));
  });

  it('refuses a file with no records', async () => {
    const file = join(dir, 'empty.csv');
    writeFileSync(file, '\n\n');
    await expect(replaySource({ file })).rejects.toThrow('has no records to replay');
  });
});
