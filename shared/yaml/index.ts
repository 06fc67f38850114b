import { FAILSAFE_SCHEMA, Type, YAMLException, load, type Schema } from 'js-yaml';

/**
 * YAML 1.2's core schema, exactly: js-yaml's own CORE_SCHEMA is looser (it also reads 0b101, +0x1A and +0o7 as
 * numbers and not +.5 or -.5e-2), so plain scalars resolve here with the spec's patterns. Timestamps, merge keys
 * (`<<`) and the other YAML 1.1 types of js-yaml's DEFAULT_SCHEMA stay plain strings, as the spec says.
 */
const nullType = new Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: string | null) => data === null || /^(?:~|[Nn]ull|NULL)?$/.test(data),
  construct: () => null,
});

const boolType = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(data),
  construct: (data: string) => data[0] === 't' || data[0] === 'T',
});

const OCTAL = /^0o[0-7]+$/;
const DECIMAL = /^[-+]?[0-9]+$/;
const HEX = /^0x[0-9a-fA-F]+$/;
const intType = new Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && (OCTAL.test(data) || DECIMAL.test(data) || HEX.test(data)),
  construct: (data: string) =>
    OCTAL.test(data) ? parseInt(data.slice(2), 8) : HEX.test(data) ? parseInt(data.slice(2), 16) : parseInt(data, 10),
});

const INF_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const EXPONENT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FIXED = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
const floatType = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && (INF_NAN.test(data) || EXPONENT.test(data) || FIXED.test(data)),
  construct: (data: string) =>
    INF_NAN.test(data)
      ? data.slice(-3).toLowerCase() === 'nan'
        ? NaN
        : data[0] === '-'
          ? Number.NEGATIVE_INFINITY
          : Number.POSITIVE_INFINITY
      : parseFloat(data),
});

export const CORE_SCHEMA: Schema = FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType, intType, floatType] });

/**
 * Parses one YAML document (js-yaml: a small parser, for the Lambda bundles). An empty document is null.
 * Throws js-yaml's YAMLException on a syntax error, a duplicate key or an unknown tag; its `mark` (0-based
 * line and column) says where.
 */
export function parseYaml(text: string, schema: Schema = CORE_SCHEMA): unknown {
  return load(text, { schema }) ?? null;
}

/**
 * A YAML error from parseYaml on one line, where it is 1-based: `duplicated mapping key at line 3, column 5`
 * (js-yaml's own message adds a multi-line snippet). Undefined when the error is not a YAML error.
 */
export function describeYamlError(error: unknown): string | undefined {
  if (!(error instanceof YAMLException)) return undefined;
  const { reason, mark } = error as { reason: string; mark?: YAMLException['mark'] };
  return mark ? `${reason} at line ${mark.line + 1}, column ${mark.column + 1}` : reason;
}
