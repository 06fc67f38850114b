import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeBase64, numberField, parseCsvLine, parseEventTime, parseJsonObjects, routeRecord, keyField } from '../../../shared/records';

const FIREHOSE = resolve(__dirname, '../../../../shared/data/ticker-firehose');

describe('parseJsonObjects', () => {
  it('splits the objects of a raw Firehose object written without separators', () => {
    const file = readdirSync(FIREHOSE).sort()[0]!;
    const text = readFileSync(join(FIREHOSE, file), 'utf8');
    const pieces = parseJsonObjects(text);
    expect(pieces.every((p) => p.ok)).toBe(true);
    expect(pieces.length).toBe(text.split('}{').length);
    expect(pieces[0]).toEqual({ ok: true, value: { ticker_symbol: 'HJV', sector: 'ENERGY', change: -10.59, price: 194.41 } });
  });

  it('keeps braces inside strings and escaped quotes out of the object boundaries', () => {
    const pieces = parseJsonObjects('{"a":"}{\\"x"}{"b":[1,{"c":2}]}\n{"d":null}');
    expect(pieces).toEqual([
      { ok: true, value: { a: '}{"x' } },
      { ok: true, value: { b: [1, { c: 2 }] } },
      { ok: true, value: { d: null } },
    ]);
  });

  it('reports a broken piece by position while the others still decode', () => {
    const pieces = parseJsonObjects('{"a":1}{"b":}{"c":3}{"d"');
    expect(pieces.map((p) => p.ok)).toEqual([true, false, true, false]);
    expect(pieces[3]).toMatchObject({ ok: false, reason: expect.stringContaining('incomplete') });
  });

  it('takes the objects of a JSON array and refuses scalars', () => {
    expect(parseJsonObjects('[{"a":1},{"a":2}]').map((p) => p.ok)).toEqual([true, true]);
    expect(parseJsonObjects('42')).toEqual([{ ok: false, reason: 'JSON value is a number, not an object' }]);
  });
});

describe('parseCsvLine', () => {
  const columns = ['date', 'station', 'plate'];
  it('reads the KDG toll template whether written on one line or several', () => {
    expect(parseCsvLine('2014-09-08T08:02:17-05:00,183A,6LD7N', columns)).toEqual({
      ok: true,
      value: { date: '2014-09-08T08:02:17-05:00', station: '183A', plate: '6LD7N' },
    });
    expect(parseCsvLine('2014-09-08T08:02:17-05:00,\n    183A,\n    6LD7N\n', columns)).toEqual({
      ok: true,
      value: { date: '2014-09-08T08:02:17-05:00', station: '183A', plate: '6LD7N' },
    });
  });
  it('handles quoted fields with delimiters and doubled quotes', () => {
    expect(parseCsvLine('"a,b","say ""hi""",c', ['x', 'y', 'z'])).toEqual({ ok: true, value: { x: 'a,b', y: 'say "hi"', z: 'c' } });
  });
  it('names the expected columns when the count is wrong', () => {
    expect(parseCsvLine('a,b', columns)).toEqual({ ok: false, reason: 'expected 3 CSV columns (date, station, plate), got 2: "a,b"' });
  });
});

describe('fields', () => {
  it('accepts numbers and numeric text, refuses non-finite values and magnitudes beyond 1e12', () => {
    expect(numberField({ v: '12.5' }, 'v')).toEqual({ ok: true, value: 12.5 });
    expect(numberField({ v: 3 }, 'v')).toEqual({ ok: true, value: 3 });
    expect(numberField({ v: 'NaN' }, 'v')).toMatchObject({ ok: false });
    expect(numberField({ v: 'Infinity' }, 'v')).toMatchObject({ ok: false });
    expect(numberField({ v: 1e39 }, 'v')).toMatchObject({ ok: false, reason: expect.stringContaining('out of range') });
    expect(numberField({ v: '' }, 'v')).toMatchObject({ ok: false });
    expect(numberField({}, 'v')).toEqual({ ok: false, reason: 'missing field v' });
    expect(numberField({ a: { b: 2 } }, 'a.b')).toEqual({ ok: true, value: 2 });
  });
  it('turns numeric keys into text and refuses empty ones', () => {
    expect(keyField({ k: 7 }, 'k')).toEqual({ ok: true, value: '7' });
    expect(keyField({ k: ' ' }, 'k')).toMatchObject({ ok: false });
  });
});

describe('parseEventTime', () => {
  it('reads ISO-8601 with an offset, without one as UTC, and epoch seconds or milliseconds', () => {
    expect(parseEventTime('2014-09-08T08:02:17-05:00')).toEqual({ ok: true, value: Date.parse('2014-09-08T13:02:17Z') });
    expect(parseEventTime('2014-07-01 00:30:00')).toEqual({ ok: true, value: Date.parse('2014-07-01T00:30:00Z') });
    expect(parseEventTime('2014-07-01T00:30:00+0200')).toEqual({ ok: true, value: Date.parse('2014-06-30T22:30:00Z') });
    expect(parseEventTime(1_700_000_000)).toEqual({ ok: true, value: 1_700_000_000_000 });
    expect(parseEventTime('1700000000123')).toEqual({ ok: true, value: 1_700_000_000_123 });
    expect(parseEventTime(1_700_000_000, 'epochMillis')).toEqual({ ok: true, value: 1_700_000_000 });
  });
  it('refuses text that is not a time, and numbers when ISO is required', () => {
    expect(parseEventTime('yesterday')).toMatchObject({ ok: false });
    expect(parseEventTime(5, 'iso')).toMatchObject({ ok: false });
    expect(parseEventTime('2014-13-45T00:00:00Z')).toMatchObject({ ok: false });
  });
});

describe('routeRecord', () => {
  const detectors = [
    { name: 'toll', format: 'csv' as const, csv: { columns: ['date', 'station', 'plate'], delimiter: ',' }, key: 'station' },
    { name: 'wind', format: 'json' as const, key: 'location' },
    { name: 'clicks', format: 'json' as const, key: 'url', match: { type: ['click', 'view'] } },
  ];
  const route = (text: string) => routeRecord(text, detectors, (d) => d.key);

  it('sends each object to the detectors that take it, so detectors share a stream', () => {
    const r = route('{"location":"a","speed":1}{"url":"/x","type":"click"}{"url":"/y","type":"other"}');
    expect(r.events.map((e) => [e.detector.name, e.index])).toEqual([
      ['wind', 0],
      ['clicks', 1],
    ]);
    expect(r.rejects).toEqual([
      {
        index: 2,
        reason: expect.stringContaining('matches no detector (toll: JSON, not CSV; wind: no location field; clicks: match rule not met)'),
      },
    ]);
  });

  it('reads text that is not JSON as CSV for CSV detectors', () => {
    const r = route(decodeBase64(Buffer.from('2026-01-01T00:00:00Z,Exit66,XSUEJA').toString('base64')));
    expect(r.events).toEqual([
      { detector: detectors[0], fields: { date: '2026-01-01T00:00:00Z', station: 'Exit66', plate: 'XSUEJA' }, index: 0 },
    ]);
    expect(route('x,y').rejects[0]!.reason).toContain('toll: expected 3 CSV columns');
  });
});
