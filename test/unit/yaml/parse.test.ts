import { CLOUDFORMATION_SCHEMA } from '../../../local/definitions';
import { describeYamlError, parseYaml } from '../../../shared/yaml';

const value = (scalar: string): unknown => (parseYaml(`v: ${scalar}\n`) as { v: unknown }).v;

describe('parseYaml (js-yaml, core schema)', () => {
  it('reads nulls, booleans and numbers, and leaves YAML 1.1 extras as strings', () => {
    expect([value('~'), value('null'), value(''), value('true'), value('False')]).toEqual([null, null, null, true, false]);
    expect([value('12'), value('+12'), value('0o17'), value('0x1F'), value('1.5'), value('1e3'), value('.inf'), value('-.Inf')]).toEqual([
      12,
      12,
      15,
      31,
      1.5,
      1000,
      Infinity,
      -Infinity,
    ]);
    expect(value('.NaN')).toBeNaN();
    expect([value('yes'), value('on'), value('1_000'), value('2024-01-01'), value("'12'")]).toEqual([
      'yes',
      'on',
      '1_000',
      '2024-01-01',
      '12',
    ]);
    expect(parseYaml('<<: {a: 1}\nb: 2\n')).toEqual({ '<<': { a: 1 }, b: 2 });
    expect(parseYaml('')).toBeNull();
  });

  it('reads CloudFormation short-form intrinsics as scalars, sequences and mappings', () => {
    const doc = parseYaml(
      "a: !Ref Table\nb: !GetAtt Bucket.Arn\nc: !Not [!Equals ['${param:x}', '']]\nd: !Sub [ '${x}', { x: !Ref B } ]\ne: !Ref\nf: !Condition HasX\n",
      CLOUDFORMATION_SCHEMA,
    );
    expect(doc).toEqual({
      a: { Ref: 'Table' },
      b: { 'Fn::GetAtt': ['Bucket', 'Arn'] },
      c: { 'Fn::Not': [{ 'Fn::Equals': ['${param:x}', ''] }] },
      d: { 'Fn::Sub': ['${x}', { x: { Ref: 'B' } }] },
      e: { Ref: '' },
      f: { Condition: 'HasX' },
    });
  });

  it('refuses duplicate keys and unknown tags, and says where on one line', () => {
    const message = (text: string) => {
      try {
        parseYaml(text, CLOUDFORMATION_SCHEMA);
      } catch (error) {
        return describeYamlError(error);
      }
      throw new Error('expected a YAML error');
    };
    expect(message('a: 1\nb:\n  c: 2\n  c: 3\n')).toBe('duplicated mapping key at line 4, column 3');
    expect(message('a: !Nope x\n')).toMatch(/^unknown tag !<!Nope> at line 1, column \d+$/);
    expect(describeYamlError(new Error('not YAML'))).toBeUndefined();
  });
});
