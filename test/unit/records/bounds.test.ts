import {
  checkNumericField,
  keyField,
  MAX_ABS_NUMBER,
  MAX_JSON_DEPTH,
  MAX_KEPT_DATA_CHARS,
  MAX_KEY_CHARS,
  MIN_ABS_NUMBER,
  parseConcatenatedJson,
  readRecords,
} from '../../../shared/records';
import { ARRIVAL_MS, defaultField, inputRecord, PLANS, windText } from '../../factories/records';

const nest = (depth: number) => `${'{"a":'.repeat(depth - 1)}{"location":"x","speed":1}${'}'.repeat(depth - 1)}`;

describe('each bound, at the bound and one past it', () => {
  it('nesting depth', () => {
    expect(parseConcatenatedJson(nest(MAX_JSON_DEPTH))).toMatchObject({ ok: true, value: [{ ok: true }] });
    expect(parseConcatenatedJson(nest(MAX_JSON_DEPTH + 1))).toMatchObject({
      ok: true,
      value: [{ ok: false, reason: 'object 0 nests deeper than 64 levels' }],
    });
  });

  it('key length', () => {
    expect(keyField({ k: 'k'.repeat(MAX_KEY_CHARS) }, 'k')).toMatchObject({ ok: true });
    expect(keyField({ k: 'k'.repeat(MAX_KEY_CHARS + 1) }, 'k')).toEqual({ ok: false, reason: 'key field k is longer than 512 characters' });
  });

  it('number magnitude, large and small', () => {
    expect(checkNumericField('v', MAX_ABS_NUMBER)).toEqual({ ok: true, value: 1e12 });
    expect(checkNumericField('v', -MAX_ABS_NUMBER)).toEqual({ ok: true, value: -1e12 });
    expect(checkNumericField('v', 1000000000000.0002)).toMatchObject({ ok: false, reason: expect.stringContaining('out of range') });
    expect(checkNumericField('v', MIN_ABS_NUMBER)).toEqual({ ok: true, value: 1e-100 });
    expect(checkNumericField('v', 0)).toEqual({ ok: true, value: 0 });
    expect(checkNumericField('v', 9.99e-101)).toMatchObject({ ok: false, reason: expect.stringContaining('too small to store') });
  });

  it('event time ahead of arrival', () => {
    const at = (t: number) => readRecords([inputRecord(windText('x', 1, t))], PLANS, { defaultField });
    expect(at(ARRIVAL_MS + 300_000).rejects.size).toBe(0);
    expect(at(ARRIVAL_MS + 300_001).rejects.list()[0]!.reason).toContain('is more than 5 min ahead of arrival');
    const configured = readRecords([inputRecord(windText('x', 1, ARRIVAL_MS + 1000))], PLANS, { defaultField, time: { maxAheadMs: 0 } });
    expect(configured.rejects.list()[0]!.reason).toContain('is more than 0 s ahead of arrival');
  });

  it('kept data', () => {
    const text = `${'x'.repeat(MAX_KEPT_DATA_CHARS - 1)}😀`;
    const { rejects } = readRecords([inputRecord(text)], PLANS, { defaultField });
    // Cut before a surrogate pair rather than through it.
    expect(rejects.list()[0]!.data).toBe('x'.repeat(MAX_KEPT_DATA_CHARS - 1));
    const exact = 'y'.repeat(MAX_KEPT_DATA_CHARS);
    expect(readRecords([inputRecord(exact)], PLANS, { defaultField }).rejects.list()[0]!.data).toBe(exact);
  });
});
