import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, type Tags, type ScalarTag, type CollectionTag } from 'yaml';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * Reads the CloudFormation resources in `resources/*.yml` so that local mode and the tests create the
 * very tables and streams the stack declares: one source of truth, not a second copy.
 */

export const RESOURCES_DIR = resolve(__dirname, '../../resources');

/** CloudFormation short-form intrinsics (`!Ref`, `!Sub`, …) parsed into their long form. */
const intrinsicTags: Tags = ['Ref', 'Sub', 'GetAtt', 'If', 'Equals', 'Not', 'And', 'Or', 'Join', 'Select', 'Split', 'FindInMap', 'ImportValue', 'GetAZs', 'Base64', 'Condition', 'Cidr'].flatMap(
  (name): (ScalarTag | CollectionTag)[] => {
    const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
    return [
      { tag: `!${name}`, resolve: (value: string) => ({ [key]: name === 'GetAtt' ? value.split('.') : value }) } as ScalarTag,
      { tag: `!${name}`, collection: 'seq', resolve: (seq: { toJSON(): unknown }) => ({ [key]: seq.toJSON() }) } as CollectionTag,
      { tag: `!${name}`, collection: 'map', resolve: (map: { toJSON(): unknown }) => ({ [key]: map.toJSON() }) } as CollectionTag,
    ];
  },
);

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
}

/** Every resource declared in resources/*.yml, by logical id. */
export function loadResources(dir: string = RESOURCES_DIR): Record<string, CfnResource> {
  const out: Record<string, CfnResource> = {};
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const doc = parse(readFileSync(join(dir, file), 'utf8'), { customTags: intrinsicTags }) as { Resources?: Record<string, CfnResource> } | null;
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
