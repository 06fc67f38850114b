import { checkSum, displaySafe, MAX_KEPT_DATA_CHARS, readRecords, routeRecord, type FieldPlan } from '../../../shared/records';
import {
  ARRIVAL_MS,
  defaultField,
  inputRecord,
  PLANS,
  tollText,
  windDetector,
  windPlan,
  windText,
  type TestDetector,
} from '../../factories/records';

const read = (texts: Array<string | Uint8Array>, plans: FieldPlan<TestDetector>[] = PLANS) => {
  const records = texts.map((t) => inputRecord(t));
  const { accepted, rejects } = readRecords(records, plans, { defaultField });
  return { records, accepted, rejects: rejects.list() };
};
const reasonOf = (text: string | Uint8Array) => {
  const { rejects, accepted } = read([text]);
  expect(accepted).toEqual([]);
  expect(rejects).toHaveLength(1);
  return rejects[0]!.reason;
};

describe('the record-level contract (readRecords)', () => {
  it('accepts good CSV and JSON records with key, event time and numbers', () => {
    const t = ARRIVAL_MS - 1000;
    const { accepted, rejects } = read([tollText('183A', 'P1', t), windText('farm-1', 7.5, t)]);
    expect(rejects).toEqual([]);
    expect(accepted.map((a) => [a.detector.name, a.key, a.timeMs, a.values])).toEqual([
      ['toll', '183A', t, []],
      ['wind', 'farm-1', t, [7.5]],
    ]);
  });

  describe('records that threw before are rejected with a reason', () => {
    it('JSON nested 10,000 levels', () => {
      expect(reasonOf(`${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`)).toBe('object 0 nests deeper than 64 levels');
    });
    it('a numeric time of 8.64e15 ms', () => {
      expect(reasonOf(JSON.stringify({ location: 'x', speed: 1, timestamp: 8.64e15 }))).toBe(
        'time field timestamp: "8640000000000000" is outside 1970-01-01 … 9999-12-31',
      );
    });
    it('a number whose sums would pass 2^53 (1e16) and one too small for DynamoDB (1e-200)', () => {
      expect(reasonOf(windText('x', 1e16))).toBe('field speed is out of range (|x| > 1000000000000): "10000000000000000"');
      expect(reasonOf(windText('x', 1e-200))).toBe('field speed is too small to store (0 < |x| < 1e-100): "1e-200"');
    });
    it('a field whose own toString is not a function, under a match rule', () => {
      const clicks: TestDetector = { name: 'clicks', format: 'json', key: 'url', match: { type: 'click' } };
      const { rejects } = read([JSON.stringify({ url: '/x', type: { toString: 1 } })], [{ detector: clicks, key: 'url', numbers: [] }]);
      expect(rejects[0]!.reason).toContain('matches no detector (clicks: match rule not met)');
    });
  });

  describe('records that poisoned state are rejected', () => {
    it('an event time far ahead of arrival (year 3000)', () => {
      expect(reasonOf(windText('x', 1, Date.parse('3000-01-01T00:00:00Z')))).toBe(
        'time field timestamp: event time 3000-01-01T00:00:00.000Z is more than 5 min ahead of arrival 2026-03-01T12:00:00.000Z',
      );
    });
    it('keys that differ only in invalid UTF-8 bytes (not merged into one U+FFFD key)', () => {
      const bad = (b: number) => Buffer.concat([Buffer.from('{"location":"k'), Buffer.from([b]), Buffer.from('","speed":1}')]);
      const { rejects, accepted } = read([bad(0xff), bad(0xfe)]);
      expect(accepted).toEqual([]);
      expect(rejects.map((r) => r.reason)).toEqual([
        'data is not valid UTF-8 (first invalid byte at offset 14)',
        'data is not valid UTF-8 (first invalid byte at offset 14)',
      ]);
      expect(rejects[0]!.data).toBe('{"location":"k\uFFFD","speed":1}');
    });
    it('keys holding control, bidi or lone-surrogate characters (blanks at either end are trimmed, as always)', () => {
      expect(read([windText(' b\n', 1)]).accepted.map((a) => a.key)).toEqual(['b']);
      expect(reasonOf(windText('a\nData: x', 1))).toBe('key field location holds a control or bidi character (U+000A at 1): "a\\nData: x"');
      expect(reasonOf(windText('\u202Eevil', 1))).toBe('key field location holds a control or bidi character (U+202E at 0): "\u202Eevil"');
      expect(reasonOf(windText('bell\u0007', 1))).toContain('(U+0007 at 4)');
      expect(reasonOf('{"location":"\\ud800x","speed":1}')).toBe('key field location holds a lone surrogate (U+D800 at 0): "\\ud800x"');
    });
    it('while keys named __proto__ or constructor are ordinary keys', () => {
      const { accepted, rejects } = read([windText('__proto__', 1), windText('constructor', 2), tollText('__proto__', 'P')]);
      expect(rejects).toEqual([]);
      expect(accepted.map((a) => a.key)).toEqual(['__proto__', 'constructor', '__proto__']);
    });
    it('and a field named like an Object.prototype member is not found on the prototype', () => {
      const plan: FieldPlan<TestDetector> = { ...windPlan, numbers: ['valueOf'] };
      const { rejects } = read([windText('x', 1)], [plan]);
      expect(rejects[0]!.reason).toBe('missing field valueOf');
    });
  });

  describe('amplification: one reject per record, bounded', () => {
    it('an 8 KB record of {}{}{}… is one reject holding the record once', () => {
      const text = '{}'.repeat(4096);
      const { rejects } = read([text]);
      expect(rejects).toHaveLength(1);
      expect(rejects[0]).toMatchObject({ index: 0, data: text });
      expect(rejects[0]!.reason).toBe(
        'matches no detector (toll: JSON, not CSV; wind: no location field): "{}" (and 4095 more problems in this record)',
      );
    });
    it('a 1 MiB record of {} is one reject with at most 64 KiB of data, read without parsing half a million objects', () => {
      const text = '{}'.repeat(512 * 1024);
      const { rejects } = read([text]);
      expect(rejects).toHaveLength(1);
      expect(rejects[0]!.reason).toBe('record holds more than 10000 JSON objects');
      expect(rejects[0]!.data.length).toBe(MAX_KEPT_DATA_CHARS);
    });
    it('a record failing for several detectors and objects keeps the first reason and counts the rest', () => {
      const text = `${windText('a', 1e16)}${windText('b\u0007c', 1)}{"nope":1}`;
      const { rejects, accepted } = read([text]);
      expect(accepted).toEqual([]);
      expect(rejects).toEqual([
        expect.objectContaining({
          index: 0,
          reason: expect.stringMatching(/^field speed is out of range .* \(and 2 more problems in this record\)$/),
        }),
      ]);
      // Problems for a detector and for none: the reject names no detector (counted under "*").
      expect(rejects[0]).not.toHaveProperty('detector');
    });
    it('the good objects of a record are accepted and its bad ones make one reject', () => {
      const { rejects, accepted } = read([`${windText('a', 1)}${windText('b', 'x' as unknown as number)}`]);
      expect(accepted.map((a) => a.key)).toEqual(['a']);
      expect(rejects).toEqual([expect.objectContaining({ index: 1, detector: 'wind', reason: 'field speed is not a finite number: "x"' })]);
    });
    it('routeRecord (the old entry point) also gives at most one reject per record', () => {
      expect(routeRecord('{}'.repeat(100), [windDetector], defaultField).rejects).toHaveLength(1);
    });
  });

  it('rejects a record that is empty, or matches no detector, with the notes of each detector', () => {
    expect(reasonOf('   ')).toBe('empty record');
    expect(reasonOf('a,b')).toBe('matches no detector (toll: expected 3 CSV columns (date, station, plate), got 2: "a,b"; wind: not JSON)');
  });

  it("an aggregator folding accepted objects rejects one whose sum would pass 2^53, within the record's one reject", () => {
    const sums = new Map<string, number>();
    const records = [inputRecord(windText('a', 9e11)), inputRecord(`${windText('a', 1e12)}${windText('a', 'x' as unknown as number)}`)];
    sums.set('a', 9.006e15);
    const { rejects, accepted } = readRecords(records, [windPlan], { defaultField }, (event) => {
      const sum = sums.get(event.key!) ?? 0;
      const why = checkSum('speed', sum, event.values[0]!);
      if (!why) sums.set(event.key!, sum + event.values[0]!);
      return why;
    });
    expect(accepted).toEqual([]); // handed to the fold instead
    expect(sums.get('a')).toBe(9.006e15 + 9e11);
    expect(rejects.list()).toEqual([
      expect.objectContaining({
        sequenceNumber: records[1]!.sequenceNumber,
        index: 0,
        detector: 'wind',
        reason: "field speed would take its window's sum past 2^53 (9006900000000000 + 1000000000000) (and 1 more problem in this record)",
      }),
    ]);
    expect(checkSum('speed', 1e15, 1e12)).toBeUndefined();
  });

  it('leaves unrouted records to another function when told to (hotspots), but still rejects its own', () => {
    const records = [inputRecord('not,for,me,at,all'), inputRecord(windText('x', 1e16))];
    const { rejects } = readRecords(records, [windPlan], { defaultField, rejectUnrouted: false });
    expect(rejects.list().map((r) => r.reason)).toEqual(['field speed is out of range (|x| > 1000000000000): "10000000000000000"']);
  });

  it("a record taken by another function's detector is neither accepted nor rejected here", () => {
    const records = [inputRecord(tollText('183A', 'P'))];
    const { accepted, rejects } = readRecords(records, [windPlan], { defaultField, others: [PLANS[0]!.detector] });
    expect(accepted).toEqual([]);
    expect(rejects.size).toBe(0);
  });
});

describe('displaySafe', () => {
  it('shows control, bidi and lone-surrogate characters as escapes and leaves other text alone', () => {
    expect(displaySafe('farm-1')).toBe('farm-1');
    expect(displaySafe('ünï 風速 😀')).toBe('ünï 風速 😀');
    expect(displaySafe('a\nData: x\r\u0007\u202Eevil\ud800')).toBe('a\\u000AData: x\\u000D\\u0007\\u202Eevil\\uD800');
  });
});
