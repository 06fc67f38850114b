import { CORE_SCHEMA, YAMLException, load, type Schema } from 'js-yaml';

/**
 * js-yaml's core schema: null, booleans (true/false only), integers, floats and strings. YAML 1.1 extras such as
 * yes/on booleans, timestamps and `<<` merge keys stay plain strings, so a value means what it reads as.
 */
export { CORE_SCHEMA };

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
