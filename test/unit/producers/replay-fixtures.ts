import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { rejectLines, type RejectBatch } from '../../../shared/rejects/sink';

/** Test support (not a test): real records for the gzip and kept-rejects replays. */

export const DATA = resolve(__dirname, '../../../../shared/data');
export const TICKER_DIR = join(DATA, 'ticker-firehose');
export const NAB_TAXI = join(DATA, 'nab/data/realKnownCause/nyc_taxi.csv');

export interface Sent {
  data: string;
  partitionKey: string;
}

/** The first `files` Firehose objects of ticker-firehose, concatenated as Firehose writes them, and their records. */
export function tickerArchive(files: number): { plain: Buffer; records: Sent[] } {
  const names = readdirSync(TICKER_DIR).sort().slice(0, files);
  const plain = Buffer.concat(names.map((f) => readFileSync(join(TICKER_DIR, f))));
  const records = plain
    .toString('utf8')
    .split(/(?<=\})(?=\{)/)
    .map((data) => ({ data, partitionKey: (JSON.parse(data) as { ticker_symbol: string }).ticker_symbol }));
  return { plain, records };
}

export const KEPT_AT = Date.parse('2026-11-22T10:00:00.000Z');

/**
 * Kept rejects as the stream functions write them (shared/rejects/sink.ts `rejectLines`), from real records:
 * ticker objects rejected by detector "tickers" (kept with partition keys `pk-<symbol>`, which are not in the
 * data, so the key sent is provably the kept one), the first `repeats` of them kept again by detector "sectors",
 * one record of two concatenated objects kept twice (both objects bad), and NAB CSV lines no detector took,
 * kept without a partition key (sent under `defaultKey`, the file's name). `expected` is what a replay sends:
 * each record once.
 */
export function keptRejects(
  defaultKey: string,
  { tickers = 200, repeats = 100, csv = 20 }: { tickers?: number; repeats?: number; csv?: number } = {},
): { batches: RejectBatch[]; lines: string[]; expected: Sent[]; repeatLines: number } {
  const objects = tickerArchive(1).records.slice(0, tickers);
  const nab = readFileSync(NAB_TAXI, 'utf8')
    .split('\n')
    .slice(1, 1 + csv);
  const arrival = new Date(KEPT_AT - 5000).toISOString();
  const seq = (i: number) => `4959033827149025660855969253836157${String(i).padStart(6, '0')}`;
  const batches: RejectBatch[] = [
    {
      shardId: 'shardId-000000000000',
      detector: 'tickers',
      window: { start: '2026-11-22T09:59:50.000Z', end: '2026-11-22T10:00:00.000Z' },
      rejects: objects.map((o, i) => ({
        sequenceNumber: seq(i),
        partitionKey: `pk-${o.partitionKey}`,
        arrival,
        detector: 'tickers',
        index: 0,
        reason: 'price: not a number',
        data: o.data,
      })),
    },
    {
      shardId: 'shardId-000000000001',
      detector: 'tickers',
      rejects: [0, 1].map((index) => ({
        sequenceNumber: seq(900_000),
        partitionKey: 'multi',
        arrival,
        index,
        reason: `object ${index}: no price`,
        data: objects[0]!.data + objects[1]!.data,
      })),
    },
    {
      shardId: 'shardId-000000000000',
      detector: 'sectors',
      rejects: objects.slice(0, repeats).map((o, i) => ({
        sequenceNumber: seq(i),
        partitionKey: 'not-sent',
        arrival,
        detector: 'sectors',
        index: 0,
        reason: 'sector: unknown',
        data: o.data,
      })),
    },
    {
      shardId: 'shardId-000000000001',
      rejects: nab.map((data, i) => ({ sequenceNumber: seq(800_000 + i), arrival, index: 0, reason: 'no detector matched', data })),
    },
  ];
  return {
    batches,
    lines: batches.flatMap((b) => rejectLines(b, KEPT_AT)),
    expected: [
      ...objects.map((o) => ({ data: o.data, partitionKey: `pk-${o.partitionKey}` })),
      { data: objects[0]!.data + objects[1]!.data, partitionKey: 'multi' },
      ...nab.map((data) => ({ data, partitionKey: defaultKey })),
    ],
    repeatLines: repeats + 1,
  };
}

/** The bytes as chunks of the given sizes, cycling: splits records, strings and UTF-8 characters anywhere. */
export async function* chunked(text: string | Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const n = sizes[k % sizes.length]!;
    yield bytes.subarray(i, i + n);
    i += n;
  }
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
