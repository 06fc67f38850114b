import { MODEL_SK, modelPartSk, parseModelPartSk, parsePk, modelPk } from '../../../shared/store/keys';

/** The sort keys of a model's part items (shared/store/models.ts): made and read back in keys.ts only. */
describe('model part sort keys', () => {
  it('round-trips version, save id and index, and sits in the model partition', () => {
    const sk = modelPartSk(42, '0123456789abcdef', 7);
    expect(sk).toBe('PART#42#0123456789abcdef#7');
    expect(parseModelPartSk(sk)).toEqual({ version: 42, saveId: '0123456789abcdef', index: 7 });
    expect(parsePk(modelPk('toll', 'a#b'))).toMatchObject({ family: 'model', detector: 'toll', key: 'a#b' });
  });

  it('reads no other sort key as a part', () => {
    for (const sk of [MODEL_SK, 'PART#', 'PART#1#x', 'PART#x#y#1', 'PART#1#a#b#1', '2026-01-01T00:00:00.000Z'])
      expect([sk, parseModelPartSk(sk)]).toEqual([sk, undefined]);
  });
});
