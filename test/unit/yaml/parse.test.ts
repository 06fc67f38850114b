import { CLOUDFORMATION_SCHEMA } from '../../../shared/local/definitions';
import { describeYamlError, parseYaml } from '../../../shared/yaml';

const value = (scalar: string): unknown => (parseYaml(`v: ${scalar}\n`) as { v: unknown }).v;

describe('parseYaml (js-yaml with YAML 1.2 core scalars)', () => {
  it('resolves plain scalars as the YAML 1.2 core schema does', () => {
    expect([value('~'), value('null'), value(''), value('True'), value('FALSE')]).toEqual([null, null, null, true, false]);
    expect([value('12'), value('+12'), value('0o17'), value('0x1F'), value('1.5'), value('+.5'), value('-.5e-2'), value('1e3')]).toEqual([
      12, 12, 15, 31, 1.5, 0.5, -0.005, 1000,
    ]);
    expect([value('.inf'), value('-.Inf'), value('.NaN')]).toEqual([Infinity, -Infinity, NaN]);
    // YAML 1.1 forms and js-yaml's extras stay strings.
    expect([value('yes'), value('on'), value('0b101'), value('+0x1A'), value('1_000'), value('2024-01-01'), value("'12'")]).toEqual([
      'yes',
      'on',
      '0b101',
      '+0x1A',
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
