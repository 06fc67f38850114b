import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Type } from 'js-yaml';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CORE_SCHEMA, parseYaml } from '../shared/yaml';

/**
 * Reads the CloudFormation resources in `resources/*.yml` so that local mode and the tests create the
 * very tables and streams the stack declares: one source of truth, not a second copy.
 */

export const RESOURCES_DIR = resolve(__dirname, '../resources');

/**
 * CloudFormation short-form intrinsics (`!Ref`, `!Sub`, …) parsed into their long form, as a scalar, a sequence
 * or a mapping. The scalar type comes last so that an empty `!Ref` is the empty string, as a scalar.
 */
const intrinsicTypes: Type[] = [
  'Ref',
  'Sub',
  'GetAtt',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Join',
  'Select',
  'Split',
  'FindInMap',
  'ImportValue',
  'GetAZs',
  'Base64',
  'Condition',
  'Cidr',
].flatMap((name) => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  return [
    new Type(`!${name}`, { kind: 'sequence', construct: (seq: unknown[]) => ({ [key]: seq }) }),
    new Type(`!${name}`, { kind: 'mapping', construct: (map: Record<string, unknown>) => ({ [key]: map }) }),
    new Type(`!${name}`, {
      kind: 'scalar',
      construct: (value: string | null) => ({ [key]: name === 'GetAtt' ? (value ?? '').split('.') : (value ?? '') }),
    }),
  ];
});

/** YAML's core schema plus the CloudFormation intrinsics, for serverless.yml, resources/*.yml and each function.yml. */
export const CLOUDFORMATION_SCHEMA = CORE_SCHEMA.extend(intrinsicTypes);

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
}

/** Every resource declared in resources/*.yml, by logical id. */
export function loadResources(dir: string = RESOURCES_DIR): Record<string, CfnResource> {
  const out: Record<string, CfnResource> = {};
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const doc = parseYaml(readFileSync(join(dir, file), 'utf8'), CLOUDFORMATION_SCHEMA) as {
      Resources?: Record<string, CfnResource>;
    } | null;
    Object.assign(out, doc?.Resources ?? {});
  }
  return out;
}

const ofType = (type: string) => Object.entries(loadResources()).filter(([, r]) => r.Type === type);

/**
 * CreateTable input for the DataTable (or another table by logical id), with the name given.
 * The properties DynamoDB's CreateTable shares with CloudFormation are copied; deployment-only
 * settings (TTL, PITR, SSE) have no local meaning and are left out.
 */
export function tableDefinition(tableName: string, logicalId = 'DataTable'): CreateTableCommandInput {
  const found = ofType('AWS::DynamoDB::Table').find(([id]) => id === logicalId);
  if (!found) throw new Error(`resources/*.yml declares no AWS::DynamoDB::Table named ${logicalId}`);
  const p = found[1].Properties as Record<string, any>;
  return {
    TableName: tableName,
    AttributeDefinitions: p.AttributeDefinitions,
    KeySchema: p.KeySchema,
    BillingMode: p.BillingMode,
    GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
    LocalSecondaryIndexes: p.LocalSecondaryIndexes,
  };
}

/** The TTL attribute name the table declares. */
export function ttlAttribute(logicalId = 'DataTable'): string | undefined {
  const found = ofType('AWS::DynamoDB::Table').find(([id]) => id === logicalId);
  return (found?.[1].Properties as any)?.TimeToLiveSpecification?.AttributeName;
}

export const SERVERLESS_FILE = resolve(__dirname, '../serverless.yml');

/** Shards used locally when the stream's ShardCount is neither a number nor a `${param:…}` with a default. */
export const LOCAL_FALLBACK_SHARDS = 2;

/** The `params.default` block of serverless.yml: the values `${param:…}` resolves to when a stage sets none. */
export function defaultParams(file: string = SERVERLESS_FILE): Record<string, unknown> {
  const doc = parseYaml(readFileSync(file, 'utf8'), CLOUDFORMATION_SCHEMA) as { params?: { default?: Record<string, unknown> } } | null;
  return doc?.params?.default ?? {};
}

export interface StreamDefinition {
  logicalId: string;
  shardCount: number;
  /** Where the shard count came from, so local mode can say so. */
  shardCountSource: string;
}

/**
 * The input stream (an AWS::Kinesis::Stream in resources/*.yml) as local mode creates it. ShardCount is
 * taken literally when it is a number and from serverless.yml's default params when it is `${param:name}`;
 * anything else (e.g. a stage-only variable) falls back to two shards, enough to exercise per-shard ordering.
 */
export function streamDefinition(logicalId = 'InputStream', params: Record<string, unknown> = defaultParams()): StreamDefinition {
  const streams = ofType('AWS::Kinesis::Stream');
  const found = streams.find(([id]) => id === logicalId) ?? (streams.length === 1 ? streams[0] : undefined);
  if (!found) throw new Error(`resources/*.yml declares no AWS::Kinesis::Stream named ${logicalId}`);
  const raw = found[1].Properties?.ShardCount;
  const asCount = (v: unknown): number | undefined => {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
  };
  const literal = asCount(raw);
  if (literal !== undefined) return { logicalId: found[0], shardCount: literal, shardCountSource: `${found[0]}.ShardCount` };
  const param = typeof raw === 'string' ? /^\$\{param:([A-Za-z0-9_-]+)\}$/.exec(raw.trim())?.[1] : undefined;
  const fromParam = param !== undefined ? asCount(params[param]) : undefined;
  if (param !== undefined && fromParam !== undefined)
    return { logicalId: found[0], shardCount: fromParam, shardCountSource: `serverless.yml params.default.${param}` };
  return { logicalId: found[0], shardCount: LOCAL_FALLBACK_SHARDS, shardCountSource: 'local default' };
}

export const FUNCTIONS_DIR = resolve(__dirname, '../functions');

/** The Kinesis event source settings a function declares (functions/<name>/function.yml), as local mode applies them. */
export interface KinesisEventSourceDefinition {
  batchSize?: number;
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  reportBatchItemFailures: boolean;
  bisectBatchOnFunctionError: boolean;
  maximumRetryAttempts?: number;
  /** As declared (often `${param:windowSeconds}`), resolved against serverless.yml's default params when possible. */
  tumblingWindowSeconds?: number;
}

/** Reads the first `stream` event of functions/<name>/function.yml; undefined when the function declares none. */
export function kinesisEventSourceDefinition(
  name: string,
  params: Record<string, unknown> = defaultParams(),
  dir: string = FUNCTIONS_DIR,
): KinesisEventSourceDefinition | undefined {
  let doc: Record<string, { events?: Array<Record<string, unknown>> }> | null;
  try {
    doc = parseYaml(readFileSync(join(dir, name, 'function.yml'), 'utf8'), CLOUDFORMATION_SCHEMA) as typeof doc;
  } catch {
    return undefined;
  }
  const stream = doc?.[name]?.events?.find((e) => e.stream)?.stream as Record<string, unknown> | undefined;
  if (!stream) return undefined;
  const number = (v: unknown): number | undefined => {
    const ref = typeof v === 'string' ? /^\$\{param:([A-Za-z0-9_-]+)\}$/.exec(v.trim())?.[1] : undefined;
    const n = Number(ref !== undefined ? params[ref] : v);
    return v !== undefined && Number.isFinite(n) ? n : undefined;
  };
  const position = stream.startingPosition;
  const batchSize = number(stream.batchSize);
  const maximumRetryAttempts = number(stream.maximumRetryAttempts);
  const tumblingWindowSeconds = number(stream.tumblingWindowInSeconds);
  return {
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(position === 'TRIM_HORIZON' || position === 'LATEST' ? { startingPosition: position } : {}),
    reportBatchItemFailures: stream.functionResponseType === 'ReportBatchItemFailures',
    bisectBatchOnFunctionError: stream.bisectBatchOnFunctionError === true,
    ...(maximumRetryAttempts !== undefined ? { maximumRetryAttempts } : {}),
    ...(tumblingWindowSeconds !== undefined ? { tumblingWindowSeconds } : {}),
  };
}
