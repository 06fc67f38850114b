import { Readable } from 'node:stream';
import { numericRows, splitCsv as cliSplit } from '../../../cli/numeric-csv';
import { splitCsv as replaySplit } from '../../../shared/producers/replay/records';
import { parseCsvLine, splitCsvLine } from '../../../shared/records';

// The line issue 12 found split three different ways (stream decoder, replay reader, score/hotspots CLIs).
const DISPUTED = ' "a,b" , 2,"x""y"';

describe('one CSV line parser', () => {
  it('reads the disputed line as a,b · 2 · x"y in the stream decoder, the replay reader and the CLIs', () => {
    expect(splitCsvLine(DISPUTED)).toEqual({ ok: true, value: ['a,b', '2', 'x"y'] });
    expect(parseCsvLine(DISPUTED, ['p', 'q', 'r'])).toEqual({ ok: true, value: { p: 'a,b', q: '2', r: 'x"y' } });
    expect(replaySplit(DISPUTED)).toEqual(['a,b', '2', 'x"y']);
    expect(cliSplit(DISPUTED)).toEqual({ ok: true, value: ['a,b', '2', 'x"y'] });
  });

  it('trims blanks around unquoted and quoted fields but keeps those inside quotes', () => {
    expect(splitCsvLine('  a  ,\tb\t, " c " ')).toEqual({ ok: true, value: ['a', 'b', ' c '] });
  });

  it('keeps newlines and delimiters inside quotes, and drops line ends after the last field', () => {
    expect(splitCsvLine('"line 1\nline 2",x\r\n')).toEqual({ ok: true, value: ['line 1\nline 2', 'x'] });
  });

  it('reads a quote inside an unquoted field as an ordinary character', () => {
    expect(splitCsvLine('5",a"b')).toEqual({ ok: true, value: ['5"', 'a"b'] });
  });

  it('gives a trailing delimiter one more, empty, field', () => {
    expect(splitCsvLine('a,"b",')).toEqual({ ok: true, value: ['a', 'b', ''] });
    expect(splitCsvLine('')).toEqual({ ok: true, value: [''] });
  });

  it('refuses an unterminated quote and text after a closing quote, naming the field', () => {
    expect(splitCsvLine('a,"b')).toEqual({ ok: false, reason: 'unterminated quoted CSV field 2: "a,\\"b"' });
    expect(splitCsvLine('"a"b,c')).toEqual({ ok: false, reason: 'unexpected text after quoted CSV field 1: "\\"a\\"b,c"' });
  });

  it('treats a tab delimiter as a delimiter, not as a blank to trim', () => {
    expect(splitCsvLine('a\t\tc', '\t')).toEqual({ ok: true, value: ['a', '', 'c'] });
  });

  it('stores a column named __proto__ as a field, not as the prototype', () => {
    const parsed = parseCsvLine('x,y', ['__proto__', 'constructor']);
    expect(parsed.ok && parsed.value['__proto__']).toBe('x');
    expect(parsed.ok && Object.keys(parsed.value)).toEqual(['__proto__', 'constructor']);
  });

  it('the CLIs read a quoted number and report an unterminated quote with its line', async () => {
    const rows = [];
    const fail = (m: string) => new Error(m);
    for await (const row of numericRows(Readable.from(['x,y\n', '"1", 2\n']), { unnamed: String, label: String, fail }))
      rows.push(row.values);
    expect(rows).toEqual([[1, 2]]);
    const broken = numericRows(Readable.from(['1,2\n', '"3,4\n']), { unnamed: String, label: String, fail });
    await expect(
      (async () => {
        for await (const _ of broken) void _;
      })(),
    ).rejects.toThrow('line 2: unterminated quoted CSV field 1');
  });
});
