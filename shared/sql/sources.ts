import { DEFAULT_SCHEMA, Type, load, type Schema } from 'js-yaml';
import type { InputColumn, InputSchema, OutputTarget } from './translate';

/**
 * Finds a KDA SQL application where teams keep it: a .sql file, a CloudFormation/SAM template (YAML with the
 * short tags !Sub, !GetAtt …, or JSON) with AWS::KinesisAnalytics(V2)::Application and ApplicationOutput
 * resources, a Terraform file with aws_kinesis_analytics_application (`code`/`sql_code` heredoc, `schema {
 * record_columns {…} }`, `outputs {…}`), or the JSON of `aws kinesisanalytics(v2) describe-application` (for
 * applications made in the console). Returns the SQL with the input schema and destinations when present. Pure.
 */

export interface SqlApplication {
  /** Where it came from, e.g. `template.yaml: FindAnomaliesApplication`. */
  source: string;
  sql: string;
  input?: InputSchema;
  outputs: OutputTarget[];
  /** Things found but not used (a second application, an unresolvable ARN). */
  notes: string[];
}

export class SqlSourceError extends Error {
  override readonly name = 'SqlSourceError';
}

const FUNCTIONS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'If',
  'Equals',
  'And',
  'Or',
  'Not',
  'Transform',
];

/** CloudFormation's short tags as the long form (`!Sub x` → `{ "Fn::Sub": x }`), so templates load as data. */
export const CFN_SCHEMA: Schema = DEFAULT_SCHEMA.extend([
  ...(['scalar', 'sequence', 'mapping'] as const).flatMap((kind) => [
    new Type('!Ref', { kind, construct: (data: unknown) => ({ Ref: data }) }),
    new Type('!Condition', { kind, construct: (data: unknown) => ({ Condition: data }) }),
    new Type('!GetAtt', {
      kind,
      construct: (data: unknown) => ({ 'Fn::GetAtt': typeof data === 'string' ? data.split('.') : data }),
    }),
    ...FUNCTIONS.map((fn) => new Type(`!${fn}`, { kind, construct: (data: unknown) => ({ [`Fn::${fn}`]: data }) })),
  ]),
]);

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A template string value: plain, Fn::Sub (placeholders kept), or Fn::Join of strings. */
function stringValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (!isObj(v)) return undefined;
  const sub = v['Fn::Sub'];
  if (typeof sub === 'string') return sub;
  if (Array.isArray(sub) && typeof sub[0] === 'string') return sub[0];
  const join = v['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    const parts = join[1].map(stringValue);
    if (parts.every((p) => p !== undefined)) return parts.join(join[0]);
  }
  return undefined;
}

const RECORD_FORMAT = (fmt: unknown): 'json' | 'csv' => (String(fmt).toUpperCase() === 'CSV' ? 'csv' : 'json');

function cfnInput(inputs: unknown): InputSchema | undefined {
  const first = Array.isArray(inputs) ? inputs[0] : undefined;
  const schema = isObj(first) && isObj(first.InputSchema) ? first.InputSchema : undefined;
  if (!schema) return undefined;
  const columns: InputColumn[] = (Array.isArray(schema.RecordColumns) ? schema.RecordColumns : []).filter(isObj).map((c) => ({
    name: String(c.Name),
    ...(c.SqlType !== undefined ? { sqlType: String(c.SqlType) } : {}),
    ...(c.Mapping !== undefined ? { mapping: String(c.Mapping) } : {}),
  }));
  const format = isObj(schema.RecordFormat) ? schema.RecordFormat : {};
  const csv =
    isObj(format.MappingParameters) && isObj(format.MappingParameters.CSVMappingParameters)
      ? format.MappingParameters.CSVMappingParameters
      : undefined;
  const delimiter = typeof csv?.RecordColumnDelimiter === 'string' ? csv.RecordColumnDelimiter : undefined;
  return { format: RECORD_FORMAT(format.RecordFormatType), columns, ...(delimiter ? { delimiter } : {}) };
}

/** An ARN as written, or the name of the template's stream that GetAtt/Ref points at (its Name, else its logical id). */
function cfnTarget(arn: unknown, resources: Obj, notes: string[]): string | undefined {
  if (typeof arn === 'string') return arn;
  if (!isObj(arn)) return undefined;
  const ref = Array.isArray(arn['Fn::GetAtt']) ? String(arn['Fn::GetAtt'][0]) : typeof arn.Ref === 'string' ? arn.Ref : undefined;
  if (ref === undefined) {
    const sub = stringValue(arn);
    if (sub && !sub.includes('${')) return sub;
    notes.push(`an output ARN (${JSON.stringify(arn)}) could not be resolved; write its stream name in outputs`);
    return undefined;
  }
  const res = resources[ref];
  const props = isObj(res) && isObj(res.Properties) ? res.Properties : {};
  const name = props.Name ?? props.DeliveryStreamName;
  return typeof name === 'string' ? name : ref;
}

function fromCloudFormation(doc: Obj, file: string): SqlApplication {
  const resources = isObj(doc.Resources) ? doc.Resources : {};
  const apps = Object.entries(resources).filter(
    ([, r]) => isObj(r) && (r.Type === 'AWS::KinesisAnalytics::Application' || r.Type === 'AWS::KinesisAnalyticsV2::Application'),
  );
  if (!apps.length) throw new SqlSourceError(`${file}: no AWS::KinesisAnalytics::Application (or V2) resource in the template`);
  const notes: string[] = [];
  const [logicalId, app] = apps[0]!;
  if (apps.length > 1) notes.push(`${apps.length} applications in the template; translated ${logicalId} only`);
  const props = (isObj(app) && isObj(app.Properties) ? app.Properties : {}) as Obj;
  let code: unknown = props.ApplicationCode;
  let inputs: unknown = props.Inputs;
  const config = isObj(props.ApplicationConfiguration) ? props.ApplicationConfiguration : undefined;
  if (config) {
    const content =
      isObj(config.ApplicationCodeConfiguration) && isObj(config.ApplicationCodeConfiguration.CodeContent)
        ? config.ApplicationCodeConfiguration.CodeContent
        : {};
    code = content.TextContent;
    inputs = isObj(config.SqlApplicationConfiguration) ? config.SqlApplicationConfiguration.Inputs : undefined;
  }
  const sql = stringValue(code);
  if (sql === undefined) throw new SqlSourceError(`${file}: ${logicalId} has no ApplicationCode string (or Fn::Sub / Fn::Join of strings)`);
  const outputs: OutputTarget[] = [];
  for (const [, r] of Object.entries(resources)) {
    if (!isObj(r) || (r.Type !== 'AWS::KinesisAnalytics::ApplicationOutput' && r.Type !== 'AWS::KinesisAnalyticsV2::ApplicationOutput'))
      continue;
    const p = isObj(r.Properties) ? r.Properties : {};
    const o = isObj(p.Output) ? p.Output : {};
    const format = RECORD_FORMAT(isObj(o.DestinationSchema) ? o.DestinationSchema.RecordFormatType : 'JSON');
    const stream = String(o.Name ?? 'DESTINATION_SQL_STREAM');
    const target = (key: string) => (isObj(o[key]) ? cfnTarget((o[key] as Obj).ResourceARN, resources, notes) : undefined);
    const kinesis = target('KinesisStreamsOutput');
    const firehose = target('KinesisFirehoseOutput');
    // A Lambda destination is only named in the report, so its ARN as written (placeholders and all) will do.
    const lambdaArn = isObj(o.LambdaOutput) ? o.LambdaOutput.ResourceARN : undefined;
    const lambda = stringValue(lambdaArn) ?? (lambdaArn !== undefined ? target('LambdaOutput') : undefined);
    outputs.push({ stream, format, ...(kinesis ? { kinesis } : {}), ...(firehose ? { firehose } : {}), ...(lambda ? { lambda } : {}) });
  }
  const input = cfnInput(inputs);
  return { source: `${file}: ${logicalId}`, sql, ...(input ? { input } : {}), outputs, notes };
}

// ---- describe-application ----------------------------------------------------------------------------------

/** The stream name of an ARN (`arn:…:stream/name` → name), so outputs name what the stage declares. */
const arnTarget = (arn: unknown): string | undefined => (typeof arn === 'string' ? arn : undefined);

function fromDescribe(detail: Obj, file: string): SqlApplication {
  const notes: string[] = [];
  const v2 = isObj(detail.ApplicationConfigurationDescription) ? detail.ApplicationConfigurationDescription : undefined;
  let code: unknown = detail.ApplicationCode;
  let inputs: unknown = detail.InputDescriptions;
  let outputs: unknown = detail.OutputDescriptions;
  if (v2) {
    const codeConfig = isObj(v2.ApplicationCodeConfigurationDescription) ? v2.ApplicationCodeConfigurationDescription : {};
    code = isObj(codeConfig.CodeContentDescription) ? codeConfig.CodeContentDescription.TextContent : undefined;
    const sqlConfig = isObj(v2.SqlApplicationConfigurationDescription) ? v2.SqlApplicationConfigurationDescription : {};
    inputs = sqlConfig.InputDescriptions;
    outputs = sqlConfig.OutputDescriptions;
  }
  if (typeof code !== 'string') throw new SqlSourceError(`${file}: the description has no ApplicationCode (is this a SQL application?)`);
  const first = Array.isArray(inputs) ? inputs[0] : undefined;
  const input = isObj(first) ? cfnInput([{ InputSchema: first.InputSchema }]) : undefined;
  const targets: OutputTarget[] = (Array.isArray(outputs) ? outputs : []).filter(isObj).map((o) => {
    const arn = (key: string) => (isObj(o[key]) ? arnTarget((o[key] as Obj).ResourceARN) : undefined);
    const kinesis = arn('KinesisStreamsOutputDescription');
    const firehose = arn('KinesisFirehoseOutputDescription');
    const lambda = arn('LambdaOutputDescription');
    return {
      stream: String(o.Name ?? 'DESTINATION_SQL_STREAM'),
      format: RECORD_FORMAT(isObj(o.DestinationSchema) ? o.DestinationSchema.RecordFormatType : 'JSON'),
      ...(kinesis ? { kinesis } : {}),
      ...(firehose ? { firehose } : {}),
      ...(lambda ? { lambda } : {}),
    };
  });
  return {
    source: `${file}: ${String(detail.ApplicationName ?? 'application')}`,
    sql: code,
    ...(input ? { input } : {}),
    outputs: targets,
    notes,
  };
}

// ---- Terraform ------------------------------------------------------------------------------------------------

/** The body of each `name {` block in `text` (braces matched, strings and heredocs skipped). */
function blocks(text: string, name: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`(?:^|[\\s{])${name}\\s*(?:"[^"]*"\\s*)*\\{`, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    while (i < text.length && depth > 0) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      } else if (c === '<' && text.startsWith('<<', i)) {
        const h = /^<<-?([A-Za-z_]+)\n/.exec(text.slice(i));
        if (h) {
          const end = new RegExp(`\\n\\s*${h[1]}\\s*(\\n|$)`).exec(text.slice(i + h[0].length - 1));
          i += h[0].length - 1 + (end ? end.index + end[0].length : text.length);
          continue;
        }
      } else if (c === '{') depth++;
      else if (c === '}') depth--;
      i++;
    }
    out.push(text.slice(start, i - 1));
  }
  return out;
}

/** `name = "value"` or a heredoc (`<<EOF … EOF`, `<<-EOF` with its indentation removed). */
function attribute(body: string, name: string): string | undefined {
  const heredoc = new RegExp(`(?:^|\\n)\\s*${name}\\s*=\\s*<<(-?)([A-Za-z_]+)\\n([\\s\\S]*?)\\n\\s*\\2\\s*(?:\\n|$)`).exec(body);
  if (heredoc) {
    const lines = heredoc[3]!.split('\n');
    if (!heredoc[1]) return lines.join('\n');
    const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^\s*/.exec(l)![0].length));
    return lines.map((l) => l.slice(indent)).join('\n');
  }
  const quoted = new RegExp(`(?:^|\\n)\\s*${name}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(body);
  if (quoted) return JSON.parse(`"${quoted[1]}"`) as string;
  const bare = new RegExp(`(?:^|\\n)\\s*${name}\\s*=\\s*([A-Za-z0-9_.\\-\\[\\]]+)`).exec(body);
  return bare?.[1];
}

function terraformTarget(ref: string | undefined, text: string): string | undefined {
  if (!ref) return undefined;
  const m = /^(aws_kinesis_stream|aws_kinesis_firehose_delivery_stream)\.([A-Za-z0-9_-]+)\.arn$/.exec(ref);
  if (!m) return ref.startsWith('arn:') ? ref : undefined;
  const res = blocks(text, `resource\\s+"${m[1]}"\\s+"${m[2]}"`)[0];
  const name = res ? attribute(res, 'name') : undefined;
  return name && !name.includes('${') ? name : m[2];
}

function fromTerraform(text: string, file: string): SqlApplication {
  const apps = [
    ...blocks(text, 'resource\\s+"aws_kinesis_analytics_application"\\s+"[^"]+"'),
    ...blocks(text, 'resource\\s+"aws_kinesisanalyticsv2_application"\\s+"[^"]+"'),
  ];
  const notes: string[] = [];
  const body = apps[0];
  if (!body) throw new SqlSourceError(`${file}: no aws_kinesis_analytics_application resource`);
  if (apps.length > 1) notes.push(`${apps.length} applications in the file; translated the first only`);
  const sql = attribute(body, 'sql_code') ?? attribute(body, 'code') ?? attribute(body, 'text_content');
  if (sql === undefined) throw new SqlSourceError(`${file}: the application has no code/sql_code heredoc or string`);
  const columns: InputColumn[] = blocks(body, 'record_columns').map((c) => ({
    name: attribute(c, 'name') ?? '',
    ...(attribute(c, 'sql_type') ? { sqlType: attribute(c, 'sql_type')! } : {}),
    ...(attribute(c, 'mapping') ? { mapping: attribute(c, 'mapping')! } : {}),
  }));
  let input: InputSchema | undefined;
  if (columns.length) {
    const format = blocks(body, 'record_format')[0] ?? '';
    const csv = blocks(format, 'csv')[0];
    const delimiter = csv ? attribute(csv, 'record_column_delimiter') : undefined;
    input = { format: csv ? 'csv' : 'json', columns, ...(delimiter && delimiter !== ',' ? { delimiter } : {}) };
  }
  const outputs: OutputTarget[] = blocks(body, 'outputs').map((o) => {
    const schema = blocks(o, 'schema')[0] ?? '';
    const pick = (kind: string) => terraformTarget(blocks(o, kind).map((b) => attribute(b, 'resource_arn'))[0], text);
    const kinesis = pick('kinesis_stream');
    const firehose = pick('kinesis_firehose');
    const lambda = blocks(o, 'lambda').map((b) => attribute(b, 'resource_arn'))[0];
    return {
      stream: attribute(o, 'name') ?? 'DESTINATION_SQL_STREAM',
      format: RECORD_FORMAT(attribute(schema, 'record_format_type') ?? 'JSON'),
      ...(kinesis ? { kinesis } : {}),
      ...(firehose ? { firehose } : {}),
      ...(lambda ? { lambda } : {}),
    };
  });
  return { source: file, sql, ...(input ? { input } : {}), outputs, notes };
}

/** Reads the application from a file's text; `file` (its name) decides the format. */
export function readSqlApplication(text: string, file: string): SqlApplication {
  if (/\.tf$/i.test(file)) return fromTerraform(text, file);
  if (/\.(ya?ml|json|template)$/i.test(file)) {
    let doc: unknown;
    try {
      doc = /\.json$/i.test(file) ? JSON.parse(text) : load(text, { schema: CFN_SCHEMA });
    } catch (error) {
      throw new SqlSourceError(
        `${file}: not a readable template (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
        { cause: error },
      );
    }
    if (!isObj(doc)) throw new SqlSourceError(`${file}: not a CloudFormation template (no Resources)`);
    if (isObj(doc.ApplicationDetail)) return fromDescribe(doc.ApplicationDetail, file);
    return fromCloudFormation(doc, file);
  }
  return { source: file, sql: text, outputs: [], notes: [] };
}
