import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import {
  csvHeader,
  detectFormat,
  jsonFrames,
  lineFrames,
  parseEventTime,
  readReplayFile,
  readReplayRecords,
  ReplayFormatError,
  splitCsv,
  type ReplayReadOptions,
  type ReplayRecord,
} from '../../../shared/producers';
import { chunked, collect } from './replay-fixtures';

const NAB = path('../shared/data/nab/data/realKnownCause/nyc_taxi.csv');
function path(p: string) {
  return resolve(__dirname, '../../..', p);
}

const read = (text: string | Buffer, sizes: number[], options: ReplayReadOptions = {}): Promise<ReplayRecord[]> =>
  collect(readReplayRecords(chunked(text, sizes), options));

describe('concatenated JSON framing', () => {
  const objects = [
    { ticker_symbol: 'A{B', sector: 'with "quotes" and }braces{', price: 1.5 },
    { ticker_symbol: 'ÜNÏ', sector: 'ユニコード ✓', nested: { a: [1, { b: '}' }] } },
    { ticker_symbol: 'ESC', sector: 'back\\slash \\" still string }', price: -2 },
    { ticker_symbol: 'LAST', sector: '', price: 0 },
  ];
  const texts = objects.map((o) => JSON.stringify(o));
  const file = texts.join('');

  it.each([[[1]], [[2, 3]], [[7]], [[64]], [[100000]]])('finds every object whatever the chunk sizes (%j)', async (sizes) => {
    const records = await read(file, sizes);
    expect(records.map((r) => r.data)).toEqual(texts);
    expect(records.map((r) => r.key)).toEqual(['A{B', 'ÜNÏ', 'ESC', 'LAST']);
  });

  it('gives each record the byte offset just past it, so reading from there continues with the next', async () => {
    const bytes = Buffer.from(file, 'utf8');
    const records = await read(file, [5]);
    for (let i = 0; i < records.length - 1; i++) {
      const rest = await read(bytes.subarray(records[i]!.offset), [9], { startOffset: records[i]!.offset });
      expect(rest.map((r) => r.data)).toEqual(texts.slice(i + 1));
      expect(rest[0]!.offset).toBe(records[i + 1]!.offset);
    }
    expect(records[records.length - 1]!.offset).toBe(bytes.length);
  });

  it('accepts whitespace, newlines (NDJSON) and commas between objects', async () => {
    const records = await read(`  ${texts[0]}\n${texts[1]}\r\n\n, ${texts[2]}\t${texts[3]}\n`, [3]);
    expect(records.map((r) => r.data)).toEqual(texts);
  });

  it('says where a file stops being JSON objects', async () => {
    await expect(read(`${texts[0]}x${texts[1]}`, [4])).rejects.toThrow(
      new ReplayFormatError(
        `expected a JSON object at byte ${Buffer.byteLength(texts[0]!)} but found "x": is this file CSV? (--format csv)`,
        0,
      ),
    );
    await expect(read(`${texts[0]}{"a":`, [4])).rejects.toThrow(/ends inside a JSON object that starts at byte/);
  });

  it('rejects an object that the scanner delimits but JSON does not accept', async () => {
    await expect(read('{"a":1}{"a":nope}', [100])).rejects.toThrow(/record at byte 7 is not valid JSON/);
  });

  it('frames raw bytes without decoding them', async () => {
    const frames = await collect(jsonFrames(chunked('{"a":"é"} {"b":2}', [1])));
    expect(frames.map((f) => [f.bytes.toString('utf8'), f.start, f.end])).toEqual([
      ['{"a":"é"}', 0, 10],
      ['{"b":2}', 11, 18],
    ]);
  });
});

describe('line framing', () => {
  it('splits on LF and CRLF, skips blank lines and keeps a last line without newline', async () => {
    const frames = await collect(lineFrames(chunked('a,1\r\nb,2\n\n\nc,3', [2])));
    expect(frames.map((f) => [f.bytes.toString(), f.start, f.end])).toEqual([
      ['a,1', 0, 5],
      ['b,2', 5, 9],
      ['c,3', 11, 14],
    ]);
  });
});

describe('records longer than Kinesis accepts', () => {
  const big = 1024 * 1024 + 1;
  it('stops at a line or an object over 1 MiB, at its first byte, without buffering the rest of the file', async () => {
    await expect(collect(lineFrames(chunked(`ok\n${'x'.repeat(big)}\nnext\n`, [64 * 1024])))).rejects.toThrow(
      new ReplayFormatError("the record at byte 3 is longer than 1048576 bytes, Kinesis's record limit", 3),
    );
    await expect(collect(lineFrames(chunked('y'.repeat(3 * big), [64 * 1024])))).rejects.toThrow(
      /record at byte 0 is longer than 1048576 bytes/,
    );
    await expect(collect(jsonFrames(chunked(`{"a":1} {"b":"${'z'.repeat(big)}"}`, [64 * 1024])))).rejects.toThrow(
      /record at byte 8 is longer than 1048576 bytes/,
    );
  });

  it('takes a record of exactly 1 MiB', async () => {
    const line = 'x'.repeat(1024 * 1024);
    const frames = await collect(lineFrames(chunked(`${line}\n`, [100_000])));
    expect(frames.map((f) => f.bytes.length)).toEqual([1024 * 1024]);
  });
});

describe('CSV records', () => {
  it('uses a header line for names, does not send it, and finds the time column by name', async () => {
    const records = await read('timestamp,value\n2014-07-01 00:00:00,10844\n2014-07-01 00:30:00,8127\n', [6], { defaultKey: 'nyc_taxi' });
    expect(records).toEqual([
      {
        data: '2014-07-01 00:00:00,10844',
        partitionKey: 'nyc_taxi',
        key: 'nyc_taxi',
        eventTime: new Date('2014-07-01T00:00:00Z'),
        offset: 42,
        index: 0,
      },
      {
        data: '2014-07-01 00:30:00,8127',
        partitionKey: 'nyc_taxi',
        key: 'nyc_taxi',
        eventTime: new Date('2014-07-01T00:30:00Z'),
        offset: 67,
        index: 1,
      },
    ]);
  });

  it('reads the toll CSV (no header): the date is the event time and the station the key', async () => {
    const [r] = await read('2026-01-01T12:00:00.250Z,Exit29,EDMTT\n', [100]);
    expect(r).toMatchObject({
      data: '2026-01-01T12:00:00.250Z,Exit29,EDMTT',
      key: 'Exit29',
      partitionKey: 'Exit29',
      eventTime: new Date('2026-01-01T12:00:00.250Z'),
    });
  });

  it('takes --time-field and --key-field by header name or column number', async () => {
    const text = 'when,who,value\n1767268800,alice,1\n1767268801,bob,2\n';
    const byName = await read(text, [100], { timeField: 'when', keyField: 'who' });
    expect(byName.map((r) => [r.key, r.eventTime?.toISOString()])).toEqual([
      ['alice', '2026-01-01T12:00:00.000Z'],
      ['bob', '2026-01-01T12:00:01.000Z'],
    ]);
    const byIndex = await read('1767268800000,x,1\n', [100], { timeField: '0', keyField: '1', header: 'none' });
    expect(byIndex[0]).toMatchObject({ key: 'x', eventTime: new Date('2026-01-01T12:00:00Z') });
    await expect(read(text, [100], { timeField: 'nope' })).rejects.toThrow(/"nope" is not a column of the header \(when, who, value\)/);
  });

  it('uses a given header when a resumed read starts past it', async () => {
    const records = await read('2014-07-01 00:30:00,8127\n', [100], { header: ['timestamp', 'value'], startOffset: 42 });
    expect(records[0]).toMatchObject({ eventTime: new Date('2014-07-01T00:30:00Z'), offset: 67 });
  });

  it('splits quoted fields', () => {
    expect(splitCsv('a,"b,c","say ""hi""",')).toEqual(['a', 'b,c', 'say "hi"', '']);
    expect(csvHeader('timestamp,value')).toEqual(['timestamp', 'value']);
    expect(csvHeader('2014-07-01 00:00:00,1')).toBeUndefined();
  });
});

describe('event time and format detection', () => {
  it.each([
    ['2014-07-01 00:00:00', Date.UTC(2014, 6, 1)],
    ['2026-01-01T12:00:00.250Z', Date.UTC(2026, 0, 1, 12, 0, 0, 250)],
    ['2026-01-01T12:00:00+02:00', Date.UTC(2026, 0, 1, 10)],
    [1767268800, Date.UTC(2026, 0, 1, 12)],
    [1767268800123, Date.UTC(2026, 0, 1, 12, 0, 0, 123)],
    ['1767268800', Date.UTC(2026, 0, 1, 12)],
    ['Exit29', undefined],
    ['35North', undefined],
    [null, undefined],
  ])('parses %j', (value, expected) => {
    expect(parseEventTime(value)).toBe(expected);
  });

  it('detects JSON by its first "{" and anything else as CSV', () => {
    expect(detectFormat(Buffer.from('\n  {"a":1}'))).toBe('json-concat');
    expect(detectFormat(Buffer.from('timestamp,value'))).toBe('csv');
  });
});

describe('readReplayFile', () => {
  it('reads a NAB CSV whole, one record per data line, keyed by the file name', async () => {
    const lines = readFileSync(NAB, 'utf8').trim().split('\n').slice(1);
    const records = await collect(readReplayFile(NAB));
    expect(records.map((r) => r.data)).toEqual(lines);
    expect(new Set(records.map((r) => r.partitionKey))).toEqual(new Set(['nyc_taxi']));
    expect(records.every((r) => r.eventTime instanceof Date)).toBe(true);
  });

  it('reads every file of a directory in name order', async () => {
    const dir = path('../shared/data/ticker-firehose');
    const records = await collect(readReplayFile(dir));
    const files = [...new Set(records.map((r) => r.file))];
    expect(files).toEqual([...files].sort());
    expect(files.length).toBeGreaterThan(1);
    expect(records.map((r) => r.index)).toEqual(records.map((_, i) => i));
  });

  it('reads a Node stream the same as chunks', async () => {
    const records = await collect(readReplayRecords(Readable.from([Buffer.from('{"id":1}{"id'), Buffer.from('":2}')])));
    expect(records.map((r) => r.key)).toEqual(['1', '2']);
  });
});
