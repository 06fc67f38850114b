import fc from 'fast-check';
import {
  MAX_KEPT_DATA_CHARS,
  MAX_REASON_CHARS,
  parseCsvLine,
  parseEventTime,
  parseJsonObjects,
  readRecords,
  routeRecord,
  splitCsvLine,
  type InputRecord,
} from '../../../shared/records';
import { ARRIVAL_MS, defaultField, inputRecord, PLANS, windDetector, tollDetector } from '../../factories/records';

/**
 * Property-based tests of the record kernel: batches of generated hostile records mixed with good ones go
 * through readRecords, which must never throw, accept every good record exactly once, reject every hostile one
 * with a reason, give at most one reject per record and keep a bounded amount of data.
 */

type Case =
  | { kind: 'good'; data: string; key: string; timeMs: number; values: number[] }
  | { kind: 'bad'; data: string | Uint8Array }
  | { kind: 'any'; data: string | Uint8Array };

const keyText = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9 _.:-]{0,30}[A-Za-z0-9_-]$/);
const safeKey = fc.oneof(keyText, fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'ünïcødé', 'ключ', '風速'));
const eventTime = fc.integer({ min: ARRIVAL_MS - 3 * 86_400_000, max: ARRIVAL_MS + 5 * 60_000 });
// (+ 0 turns -0, which JSON writes as 0, into 0.)
const speed = fc
  .oneof(
    fc.double({ min: -1e12, max: 1e12, noNaN: true }).filter((x) => x === 0 || Math.abs(x) >= 1e-100),
    fc.integer(),
  )
  .map((x) => x + 0);

const goodWind = fc
  .record({ key: safeKey, t: eventTime, v: speed })
  .map(({ key, t, v }): Case => ({
    kind: 'good',
    data: JSON.stringify({ location: key, speed: v, timestamp: new Date(t).toISOString() }),
    key,
    timeMs: t,
    values: [v],
  }));
const goodToll = fc
  .record({ key: keyText, t: eventTime, plate: keyText })
  .map(({ key, t, plate }): Case => ({ kind: 'good', data: `${new Date(t).toISOString()},${key},${plate}`, key, timeMs: t, values: [] }));

const wind = (location: unknown, speedValue: unknown, timestamp: unknown) => JSON.stringify({ location, speed: speedValue, timestamp });
const okTime = new Date(ARRIVAL_MS - 1000).toISOString();
const forbidden = fc.constantFrom('\n', '\r', '\u0007', '\u0000', '\u007f', '\u0085', '\u202e', '\u2066', '\u200f', '\u2028', '\ud800');

const hostile: fc.Arbitrary<Case> = fc.oneof(
  // Deep nesting, objects or arrays.
  fc.integer({ min: 65, max: 20_000 }).map((n): Case => ({ kind: 'bad', data: `${'{"a":'.repeat(n)}1${'}'.repeat(n)}` })),
  fc.integer({ min: 65, max: 20_000 }).map((n): Case => ({ kind: 'bad', data: `${'['.repeat(n)}${']'.repeat(n)}` })),
  // Amplification: many empty objects.
  fc.integer({ min: 1, max: 12_000 }).map((n): Case => ({ kind: 'bad', data: '{}'.repeat(n) })),
  // Numbers whose sums would not be exact or storable, or are not numbers at all.
  fc
    .oneof(
      fc.double({ min: 1e12, noNaN: true, noDefaultInfinity: true }).filter((x) => x > 1e12),
      fc.constantFrom(1e16, -1e300, 1e-200, -5e-324, 'NaN', 'Infinity', '1e400', true, null, [], {}),
    )
    .map((v): Case => ({ kind: 'bad', data: wind('k', v, okTime) })),
  // Times: not representable as a window, far ahead of arrival, impossible dates.
  fc
    .oneof(
      fc.constantFrom<unknown>(
        8.64e15,
        -8.64e15,
        1e20,
        '3000-01-01T00:00:00Z',
        '2026-02-30T00:00:00Z',
        '2026-03-01T25:00:00Z',
        '1969-12-31',
        'soon',
        {},
      ),
      fc.integer({ min: ARRIVAL_MS + 5 * 60_000 + 1, max: ARRIVAL_MS + 1000 * 86_400_000 }).map((t) => new Date(t).toISOString()),
    )
    .map((t): Case => ({ kind: 'bad', data: wind('k', 1, t) })),
  // Keys with a control, bidi or lone-surrogate character inside.
  fc.record({ a: keyText, b: keyText, c: forbidden }).map(({ a, b, c }): Case => ({ kind: 'bad', data: wind(`${a}${c}${b}`, 1, okTime) })),
  // Keys made of invalid UTF-8.
  fc
    .record({ a: keyText, bad: fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf5, 0x80, 0x80, 0x80]) })
    .map(({ a, bad }): Case => ({
      kind: 'bad',
      data: Buffer.concat([Buffer.from(`{"location":"${a}`), Buffer.from(bad), Buffer.from(`","speed":1,"timestamp":"${okTime}"}`)]),
    })),
  // CSV that cannot be read.
  keyText.map((k): Case => ({ kind: 'bad', data: `${okTime},"${k},P` })),
  fc.constantFrom<Case>(
    { kind: 'bad', data: '' },
    { kind: 'bad', data: ' \n ' },
    { kind: 'bad', data: '[1,2,3]' },
    { kind: 'bad', data: '{"location":' },
  ),
  // Anything at all: only the contract's general rules apply.
  fc
    .oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
    )
    .map((data): Case => ({ kind: 'any', data })),
);

const batch = fc.array(fc.oneof({ weight: 2, arbitrary: fc.oneof(goodWind, goodToll) }, { weight: 3, arbitrary: hostile }), {
  minLength: 1,
  maxLength: 25,
});

describe('record kernel properties', () => {
  it('accepts every good record exactly once and rejects every hostile one with one bounded reject, never throwing', () => {
    fc.assert(
      fc.property(batch, (cases) => {
        const records: InputRecord[] = cases.map((c) => inputRecord(c.data));
        const { accepted, rejects } = readRecords(records, PLANS, { defaultField });
        const list = rejects.list();
        const rejectsOf = new Map<string, number>();
        for (const r of list) rejectsOf.set(r.sequenceNumber, (rejectsOf.get(r.sequenceNumber) ?? 0) + 1);
        let kept = 0;
        for (const r of list) {
          expect(r.reason.length).toBeGreaterThan(0);
          expect(r.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
          expect(r.data.length).toBeLessThanOrEqual(MAX_KEPT_DATA_CHARS);
          kept += r.data.length;
        }
        expect(kept).toBeLessThanOrEqual(records.length * MAX_KEPT_DATA_CHARS);
        cases.forEach((c, i) => {
          const rec = records[i]!;
          const mine = accepted.filter((a) => a.record === rec);
          const rejected = rejectsOf.get(rec.sequenceNumber) ?? 0;
          expect(rejected).toBeLessThanOrEqual(1);
          if (c.kind === 'good') {
            expect(rejected).toBe(0);
            expect(mine).toHaveLength(1);
            expect(mine[0]).toMatchObject({ key: c.key.trim(), timeMs: c.timeMs, values: c.values });
          } else if (c.kind === 'bad') {
            expect(mine).toHaveLength(0);
            expect(rejected).toBe(1);
          } else expect(mine.length + rejected).toBeGreaterThan(0);
        });
      }),
      { numRuns: 150 },
    );
  });

  it('the decoders return a result for any text and never throw', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
      fc.stringMatching(/^[{}[\]",:\\ a1]{0,200}$/),
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(parseJsonObjects(t).length).toBeGreaterThan(0);
        expect(splitCsvLine(t)).toHaveProperty('ok');
        expect(parseCsvLine(t, ['a', 'b'])).toHaveProperty('ok');
        expect(parseEventTime(t)).toHaveProperty('ok');
        expect(routeRecord(t, [tollDetector, windDetector], defaultField).rejects.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });

  it('a CSV line written from fields (quoting the ones that need it) reads back as those fields', () => {
    const field = fc.string({ maxLength: 12 }).map((s) => s.trim());
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 6 }), (fields) => {
        const line = fields.map((f) => (/[",\n\r]/.test(f) || f === '' ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
        expect(splitCsvLine(line)).toEqual({ ok: true, value: fields });
      }),
      { numRuns: 300 },
    );
  });
});
