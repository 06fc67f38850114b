import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MAX_KEPT_DATA_CHARS } from '../../../shared/records';
import {
  decodeChunks,
  detectFormatFromHead,
  isGzip,
  readReplayFile,
  readReplayRecords,
  ReplayFormatError,
  resumeReadOptions,
  seenRejectsIn,
  skipBytes,
  type ReplayFormat,
  type ReplayReadOptions,
  type ReplayRecord,
  type ReplaySkip,
} from '../../../shared/producers';
import { chunked, collect, KEPT_AT, keptRejects, NAB_TAXI as NAB, tickerArchive, TICKER_DIR } from './replay-fixtures';

const TICKER_FILES = readdirSync(TICKER_DIR).sort();

const bytesOf = async (it: AsyncIterable<Uint8Array>) => Buffer.concat(await collect(it));
const slim = (records: ReplayRecord[]) =>
  records.map(({ data, partitionKey, offset, eventTime }) => ({ data, partitionKey, offset, eventTime }));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'replay-gzip-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Several real Firehose objects (raw concatenated JSON) in one file, as Firehose writes them, and gzipped. */
function tickerFixture(files = 8): { plain: Buffer; gzip: Buffer } {
  const { plain } = tickerArchive(files);
  return { plain, gzip: gzipSync(plain) };
}

describe('gzip sources', () => {
  const { plain, gzip } = tickerFixture();

  it('recognises gzip by its two magic bytes, not by anything else', () => {
    expect(isGzip(gzip)).toBe(true);
    expect(isGzip(plain)).toBe(false);
    expect(isGzip(Buffer.from([0x1f]))).toBe(false);
    expect(isGzip(Buffer.from([0x1f, 0x8c, 0x08]))).toBe(false);
  });

  it.each([[[1]], [[1, 2, 3]], [[4096]], [[1 << 20]]])('decompresses as a stream whatever the chunk sizes (%j)', async (sizes) => {
    const decoded = await decodeChunks(chunked(gzip, sizes));
    expect(decoded.gzip).toBe(true);
    expect((await bytesOf(decoded.chunks)).equals(plain)).toBe(true);
  });

  it('passes plain bytes through as they are, including a source of one byte and an empty one', async () => {
    for (const bytes of [plain, Buffer.from('{'), Buffer.alloc(0)]) {
      const decoded = await decodeChunks(chunked(bytes, [1, 5]));
      expect(decoded.gzip).toBe(false);
      expect((await bytesOf(decoded.chunks)).equals(bytes)).toBe(true);
    }
  });

  it('reads concatenated gzip members (gzip files appended to each other) as one stream', async () => {
    const half = plain.length >> 1;
    const members = Buffer.concat([gzipSync(plain.subarray(0, half)), gzipSync(plain.subarray(half))]);
    expect((await bytesOf((await decodeChunks(chunked(members, [777]))).chunks)).equals(plain)).toBe(true);
  });

  it('says so when gzip data is cut short or corrupt, with a ReplayFormatError', async () => {
    const cut = (await decodeChunks(chunked(gzip.subarray(0, gzip.length - 100), [512]))).chunks;
    await expect(bytesOf(cut)).rejects.toThrow(ReplayFormatError);
    const corrupt = Buffer.from(gzip);
    corrupt.fill(0x55, 100, 200);
    await expect(bytesOf((await decodeChunks(chunked(corrupt, [512]))).chunks)).rejects.toThrow(/gzip data is corrupt or cut short/);
  });

  it('releases the source when the reader stops early', async () => {
    let released = false;
    async function* source() {
      try {
        yield* chunked(gzip, [256]);
      } finally {
        released = true;
      }
    }
    const records = readReplayRecords((await decodeChunks(source())).chunks);
    for await (const record of records) if (record.index === 3) break;
    await new Promise((ok) => setImmediate(ok));
    expect(released).toBe(true);
  });

  it('skips to an offset of the uncompressed bytes and keeps the first line for the resumed read', async () => {
    const csv = readFileSync(NAB);
    for (const n of [0, 1, 17, 4095, 4096, 100_000, csv.length, csv.length + 5]) {
      const skipped = await skipBytes(chunked(csv, [4096]), n);
      expect(skipped.skipped).toBe(Math.min(n, csv.length));
      expect((await bytesOf(skipped.rest)).equals(csv.subarray(n))).toBe(true);
      expect(skipped.head.toString('utf8').split('\n')[0]).toBe('timestamp,value');
    }
  });

  it('a gzip file reads to the same records, offsets and keys as the plain file, whatever its name', async () => {
    writeFileSync(join(dir, 'ticker'), plain);
    writeFileSync(join(dir, 'ticker.json.gz'), gzip);
    writeFileSync(join(dir, 'ticker-no-suffix'), gzip);
    writeFileSync(join(dir, 'plain-named.gz'), plain);
    const expected = slim(await collect(readReplayFile(join(dir, 'ticker'))));
    expect(expected.length).toBeGreaterThan(1000);
    for (const name of ['ticker.json.gz', 'ticker-no-suffix', 'plain-named.gz'])
      expect(slim(await collect(readReplayFile(join(dir, name))))).toEqual(expected);
    expect(expected[expected.length - 1]!.offset).toBe(plain.length);
  });

  it('a gzip file read from a record offset (uncompressed bytes) continues with the next record, as the plain file does', async () => {
    writeFileSync(join(dir, 'resume'), plain);
    writeFileSync(join(dir, 'resume.gz'), gzip);
    const all = await collect(readReplayFile(join(dir, 'resume')));
    for (const i of [0, 1, 499, Math.floor(all.length / 2), all.length - 2, all.length - 1]) {
      const from = all[i]!.offset;
      const rest = slim(await collect(readReplayFile(join(dir, 'resume.gz'), { startOffset: from })));
      expect(rest).toEqual(slim(all.slice(i + 1)));
    }
  });

  it('a gzip CSV resumed past its header gets the header from the decompressed first line and never sends it', async () => {
    const csv = readFileSync(NAB);
    writeFileSync(join(dir, 'nyc_taxi.csv.gz'), gzipSync(csv));
    const all = await collect(readReplayFile(NAB));
    const from = all[999]!.offset;
    const rest = await collect(readReplayFile(join(dir, 'nyc_taxi.csv.gz'), { startOffset: from }));
    expect(rest.map((r) => r.data)).toEqual(all.slice(1000).map((r) => r.data));
    expect(rest[0]).toMatchObject({ partitionKey: 'nyc_taxi', eventTime: all[1000]!.eventTime, offset: all[1000]!.offset });
  });
});

describe('kept rejects', () => {
  const { lines, expected, repeatLines } = keptRejects('rejects-file', { tickers: 40, repeats: 5, csv: 10 });
  const text = Buffer.from(lines.join(''));

  const read = async (bytes: Buffer, options: ReplayReadOptions = {}) => {
    const skips: ReplaySkip[] = [];
    let format: ReplayFormat | undefined;
    const records = await collect(
      readReplayRecords(chunked(bytes, [333]), {
        defaultKey: 'rejects-file',
        onSkip: (s) => skips.push(s),
        onFormat: (f) => (format = f),
        ...options,
      }),
    );
    return { records, skips, format };
  };

  it("--format rejects sends each line's data, keyed by the partition key it arrived with, each record once", async () => {
    const { records, skips } = await read(text, { format: 'rejects' });
    expect(records.map(({ data, partitionKey }) => ({ data, partitionKey }))).toEqual(expected);
    expect(skips.map((s) => s.reason)).toEqual(Array(repeatLines).fill('repeat'));
  });

  it('auto detects kept rejects from the first line; other JSON stays JSON', async () => {
    expect((await read(text)).format).toBe('rejects');
    expect((await read(text)).records).toHaveLength(expected.length);
    const ticker = await read(readFileSync(join(TICKER_DIR, TICKER_FILES[0]!)));
    expect(ticker.format).toBe('json-concat');
    expect(ticker.records[0]!.data).toMatch(/^\{"ticker_symbol"/);
  });

  it('takes the event time from the data, else from the arrival', async () => {
    const { records } = await read(text, { format: 'rejects' });
    expect(records[0]!.eventTime).toEqual(new Date(KEPT_AT - 5000)); // ticker objects carry no time: the arrival
    expect(records[41]!.eventTime).toEqual(new Date('2014-07-01T00:00:00Z')); // the NAB line's own
  });

  it("finds the key in the data when none was kept: JSON fields, or a CSV line's first non-number non-date column", async () => {
    const keep = (data: string, partitionKey: string | null) =>
      `${JSON.stringify({ keptAt: 'x', shardId: 's', detector: null, windowStart: null, windowEnd: null, sequenceNumber: data.slice(0, 8), partitionKey, arrival: 'x', objectIndex: 0, reason: 'r', data })}\n`;
    const bytes = Buffer.from(
      [keep('{"station":"Exit29","timestamp":1}', null), keep('2026-01-01T12:00:00.250Z,35South,EDMTT', null), keep('not json {', '')].join(
        '',
      ),
    );
    const { records } = await read(bytes, { format: 'rejects' });
    expect(records.map((r) => [r.partitionKey, r.eventTime?.toISOString()])).toEqual([
      ['Exit29', '1970-01-01T00:00:01.000Z'],
      ['35South', '2026-01-01T12:00:00.250Z'],
      ['not json {', undefined],
    ]);
  });

  it('does not send data that was cut when it was kept', async () => {
    const line = (data: string, seq: string) =>
      `${JSON.stringify({ shardId: 's', sequenceNumber: seq, partitionKey: 'k', arrival: '2026-01-01T00:00:00Z', reason: 'r', data })}\n`;
    const { records, skips } = await read(Buffer.from(line('x'.repeat(MAX_KEPT_DATA_CHARS), '1') + line('ok', '2')));
    expect(records.map((r) => r.data)).toEqual(['ok']);
    expect(skips).toEqual([{ reason: 'cut', sequenceNumber: '1', offset: expect.any(Number) }]);
  });

  it('--format rejects on other JSON says what the line is not', async () => {
    await expect(read(readFileSync(join(TICKER_DIR, TICKER_FILES[0]!)), { format: 'rejects' })).rejects.toThrow(
      /the line at byte 0 is not a kept reject \(a JSON object with "data", "reason" and "sequenceNumber"\)/,
    );
  });

  it('a resumed read detects kept rejects from the first line and does not send again what the lines before the offset kept', async () => {
    expect(detectFormatFromHead(text.subarray(0, 64 * 1024))).toBe('rejects');
    expect(detectFormatFromHead(readFileSync(join(TICKER_DIR, TICKER_FILES[0]!)).subarray(0, 1000))).toBe('json-concat');
    expect(resumeReadOptions({ format: 'auto' }, readFileSync(NAB).subarray(0, 100))).toMatchObject({
      format: 'csv',
      header: ['timestamp', 'value'],
    });
    writeFileSync(join(dir, 'resume-rejects.jsonl'), text);
    writeFileSync(join(dir, 'resume-rejects.jsonl.gz'), gzipSync(text));
    const all = await collect(readReplayFile(join(dir, 'resume-rejects.jsonl')));
    // Stopped after the third record: the repeats of the first five (kept again for a second detector) come later.
    for (const name of ['resume-rejects.jsonl', 'resume-rejects.jsonl.gz']) {
      const rest = await collect(readReplayFile(join(dir, name), { startOffset: all[2]!.offset }));
      expect(rest.map((r) => r.data)).toEqual(all.slice(3).map((r) => r.data));
    }
    // The seeding alone: the ids kept before the offset.
    const seen = await seenRejectsIn(chunked(text.subarray(0, all[2]!.offset), [100]));
    expect(seen.size).toBe(3);
  });

  it('a gzip rejects file in a directory of them replays the same, each record once across the files', async () => {
    const rejectsDir = join(dir, 'rejects', 'tickers', '2026-11-22');
    mkdirSync(rejectsDir, { recursive: true });
    const half = lines.length >> 1;
    writeFileSync(join(rejectsDir, 'a.jsonl.gz'), gzipSync(lines.slice(0, half).join('')));
    writeFileSync(join(rejectsDir, 'b.jsonl'), lines.slice(half).join(''));
    const records = await collect(readReplayFile(rejectsDir, { format: 'rejects', defaultKey: 'rejects-file' }));
    expect(records.map(({ data, partitionKey }) => ({ data, partitionKey }))).toEqual(expected);
  });
});
