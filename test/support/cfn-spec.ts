import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { Property, PropertyType, Resource, SpecDatabase, TypeDefinition } from '@aws-cdk/service-spec-types';

/**
 * Validates a CloudFormation template against the AWS resource specification that ships in
 * `@aws-cdk/aws-service-spec` (the registry schemas CloudFormation itself uses, as a database). The npm
 * `cfn-lint` is years behind the spec, so the template tests use this instead.
 *
 * What is checked, for every resource:
 * - the type exists (`Custom::*` resources are free-form and only checked for a ServiceToken);
 * - only known resource attributes (Type, Properties, DependsOn, Condition, DeletionPolicy, …);
 * - every property name is known for the type, every required property is present;
 * - every value fits its property type: primitives (string, integer, number, boolean, allowed values),
 *   lists, maps, unions and nested property types, recursively with the same rules;
 * - intrinsic functions stand for any value, except that both branches of `Fn::If` are checked;
 * - references resolve: `Ref`, `Fn::GetAtt` (attribute names too), `${…}` in `Fn::Sub`, `DependsOn`
 *   and `Condition` name something the template declares (or a pseudo parameter).
 */

export interface SpecIssue {
  /** Where: `Resources.<LogicalId>.Properties.<Prop>[i].<Nested>…` */
  path: string;
  message: string;
}

export interface CfnTemplate {
  Parameters?: Record<string, unknown>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResourceDecl>;
  Outputs?: Record<string, { Value: unknown; Condition?: string }>;
}

export interface CfnResourceDecl {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  [attribute: string]: unknown;
}

const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'Metadata',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'UpdatePolicy',
  'CreationPolicy',
]);
const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

let cached: SpecDatabase | undefined;
/** The spec database is a 2.6 MB gzip that takes about half a second to load: load it once per process. */
export function specDatabase(): SpecDatabase {
  cached ??= loadAwsServiceSpecSync();
  return cached;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{ Ref: … }` or `{ "Fn::…": … }`: a value CloudFormation computes at deploy time. */
export function isIntrinsic(v: unknown): v is Record<string, unknown> {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'));
}

export class CfnSpecValidator {
  constructor(private readonly db: SpecDatabase = specDatabase()) {}

  /** The spec entry for a CloudFormation type, or undefined when the type does not exist. */
  resourceType(cfnType: string): Resource | undefined {
    return this.db.lookup('resource', 'cloudFormationType', 'equals', cfnType)[0];
  }

  validateTemplate(template: CfnTemplate): SpecIssue[] {
    const issues: SpecIssue[] = [];
    const resources = template.Resources ?? {};
    if (!isPlainObject(template.Resources) || Object.keys(resources).length === 0) {
      issues.push({ path: 'Resources', message: 'a template needs at least one resource' });
    }
    for (const [logicalId, resource] of Object.entries(resources)) {
      issues.push(...this.validateResource(logicalId, resource, template));
    }
    for (const [name, output] of Object.entries(template.Outputs ?? {})) {
      const path = `Outputs.${name}`;
      if (output.Value === undefined) issues.push({ path, message: 'output has no Value' });
      if (output.Condition !== undefined && !(output.Condition in (template.Conditions ?? {}))) {
        issues.push({ path: `${path}.Condition`, message: `unknown condition ${output.Condition}` });
      }
      this.checkReferences(output.Value, `${path}.Value`, template, issues);
    }
    return issues;
  }

  validateResource(
    logicalId: string,
    resource: CfnResourceDecl,
    template: CfnTemplate = { Resources: { [logicalId]: resource } },
  ): SpecIssue[] {
    const issues: SpecIssue[] = [];
    const path = `Resources.${logicalId}`;
    if (!isPlainObject(resource) || typeof resource.Type !== 'string') {
      return [{ path, message: 'a resource needs a Type' }];
    }
    for (const key of Object.keys(resource)) {
      if (!RESOURCE_KEYS.has(key)) issues.push({ path: `${path}.${key}`, message: `unknown resource attribute ${key}` });
    }
    for (const dependency of [resource.DependsOn ?? []].flat()) {
      if (!(dependency in template.Resources))
        issues.push({ path: `${path}.DependsOn`, message: `depends on unknown resource ${dependency}` });
    }
    if (resource.Condition !== undefined && !(resource.Condition in (template.Conditions ?? {}))) {
      issues.push({ path: `${path}.Condition`, message: `unknown condition ${resource.Condition}` });
    }
    this.checkReferences(resource.Properties, `${path}.Properties`, template, issues);

    if (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource') {
      if (!isPlainObject(resource.Properties) || resource.Properties.ServiceToken === undefined) {
        issues.push({ path: `${path}.Properties.ServiceToken`, message: 'a custom resource needs a ServiceToken' });
      }
      return issues;
    }
    const spec = this.resourceType(resource.Type);
    if (!spec) return [...issues, { path: `${path}.Type`, message: `unknown resource type ${resource.Type}` }];
    const properties = resource.Properties ?? {};
    if (!isPlainObject(properties)) return [...issues, { path: `${path}.Properties`, message: 'Properties must be an object' }];
    this.checkObject(properties, spec.properties, `${path}.Properties`, issues);
    return issues;
  }

  /** Names and required-ness of an object's properties, then each value against its type. */
  private checkObject(value: Record<string, unknown>, schema: Record<string, Property>, path: string, issues: SpecIssue[]): void {
    for (const [name, property] of Object.entries(schema)) {
      if (property.required && value[name] === undefined)
        issues.push({ path: `${path}.${name}`, message: `required property ${name} is missing` });
    }
    for (const [name, propertyValue] of Object.entries(value)) {
      const property = schema[name];
      if (!property) {
        issues.push({ path: `${path}.${name}`, message: `unknown property ${name} (known: ${Object.keys(schema).sort().join(', ')})` });
        continue;
      }
      // The spec keeps a property's earlier types; CloudFormation still accepts values of those.
      const types = [property.type, ...(property.previousTypes ?? [])];
      this.checkAgainstAny(propertyValue, types, `${path}.${name}`, issues);
    }
  }

  /**
   * A value is valid when it fits one of the types; when it fits none, report the closest miss.
   * Many registry schemas allow free-form `json` beside a structured type (DynamoDB's KeySchema, for one);
   * a value shaped like the structured type (a list for a list type, an object for an object type) is held
   * to that type, so a misspelt nested property is not waved through as "some JSON".
   */
  private checkAgainstAny(value: unknown, types: PropertyType[], path: string, issues: SpecIssue[]): void {
    const shaped = types.filter((t) =>
      Array.isArray(value)
        ? t.type === 'array'
        : isPlainObject(value) && !isIntrinsic(value) && (t.type === 'ref' || t.type === 'map' || t.type === 'tag'),
    );
    let best: SpecIssue[] | undefined;
    for (const type of shaped.length ? shaped : types) {
      const found: SpecIssue[] = [];
      this.checkValue(value, type, path, found);
      if (found.length === 0) return;
      if (!best || found.length < best.length) best = found;
    }
    issues.push(...(best ?? []));
  }

  private checkValue(value: unknown, type: PropertyType, path: string, issues: SpecIssue[]): void {
    if (isIntrinsic(value)) {
      // Fn::If picks one of two values, so both must be valid (AWS::NoValue removes the property).
      const branches = value['Fn::If'];
      if (Array.isArray(branches) && branches.length === 3) {
        for (const [i, branch] of branches.slice(1).entries()) {
          if (isPlainObject(branch) && branch.Ref === 'AWS::NoValue') continue;
          this.checkValue(branch, type, `${path}[Fn::If ${i === 0 ? 'true' : 'false'}]`, issues);
        }
      }
      return;
    }
    const fail = (expected: string) =>
      issues.push({
        path,
        message: `expected ${expected}, got ${Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value}: ${JSON.stringify(value)?.slice(0, 80)}`,
      });
    switch (type.type) {
      case 'string':
        if (typeof value !== 'string') return void fail('a string');
        if (type.allowedValues?.length && !type.allowedValues.includes(value)) {
          issues.push({ path, message: `${JSON.stringify(value)} is not one of ${type.allowedValues.join(', ')}` });
        }
        return;
      case 'date-time':
        if (typeof value !== 'string') fail('a date-time string');
        return;
      // CloudFormation converts numeric strings, as YAML templates often quote numbers.
      case 'integer':
        if (!(typeof value === 'number' ? Number.isInteger(value) : typeof value === 'string' && /^-?\d+$/.test(value))) fail('an integer');
        return;
      case 'number':
        if (
          !(typeof value === 'number'
            ? Number.isFinite(value)
            : typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        )
          fail('a number');
        return;
      case 'boolean':
        if (!(typeof value === 'boolean' || value === 'true' || value === 'false')) fail('a boolean');
        return;
      case 'json':
        if (!isPlainObject(value) && !Array.isArray(value) && typeof value !== 'string') fail('a JSON object');
        return;
      case 'null':
        if (value !== null) fail('null');
        return;
      case 'tag':
        if (!isPlainObject(value)) return void fail('a tag { Key, Value }');
        this.checkObject(
          value,
          { Key: { type: { type: 'string' }, required: true }, Value: { type: { type: 'string' }, required: true } },
          path,
          issues,
        );
        return;
      case 'array':
        if (!Array.isArray(value)) return void fail('a list');
        value.forEach((element, i) => this.checkValue(element, type.element as PropertyType, `${path}[${i}]`, issues));
        return;
      case 'map':
        if (!isPlainObject(value)) return void fail('a map');
        for (const [key, element] of Object.entries(value))
          this.checkValue(element, type.element as PropertyType, `${path}.${key}`, issues);
        return;
      case 'union':
        this.checkAgainstAny(value, type.types as PropertyType[], path, issues);
        return;
      case 'ref': {
        const definition = this.db.get('typeDefinition', type.reference) as TypeDefinition;
        if (!isPlainObject(value)) return void fail(`a ${definition.name} object`);
        this.checkObject(value, definition.properties, path, issues);
        return;
      }
      default:
        issues.push({ path, message: `the spec uses a type this validator does not know: ${JSON.stringify(type)}` });
    }
  }

  /** Every Ref, GetAtt, Sub variable must name a parameter, a pseudo parameter or a resource (and a real attribute of it). */
  private checkReferences(value: unknown, path: string, template: CfnTemplate, issues: SpecIssue[]): void {
    const known = (name: string) => PSEUDO_PARAMETERS.has(name) || name in template.Resources || name in (template.Parameters ?? {});
    const checkAttribute = (target: string, attribute: string, at: string) => {
      const resource = template.Resources[target];
      if (!resource) return void issues.push({ path: at, message: `Fn::GetAtt names unknown resource ${target}` });
      if (resource.Type.startsWith('Custom::')) return;
      const spec = this.resourceType(resource.Type);
      if (spec && !(attribute in spec.attributes)) {
        issues.push({
          path: at,
          message: `${resource.Type} has no attribute ${attribute} (has: ${Object.keys(spec.attributes).sort().join(', ')})`,
        });
      }
    };
    const walk = (v: unknown, at: string): void => {
      if (Array.isArray(v)) return v.forEach((e, i) => walk(e, `${at}[${i}]`));
      if (!isPlainObject(v)) return;
      if (isIntrinsic(v)) {
        const [fn, arg] = Object.entries(v)[0]!;
        if (fn === 'Ref' && typeof arg === 'string' && !known(arg)) issues.push({ path: at, message: `Ref to unknown ${arg}` });
        if (fn === 'Fn::GetAtt') {
          const [target, ...rest] = typeof arg === 'string' ? arg.split('.') : (arg as unknown[]);
          if (typeof target === 'string' && rest.every((r) => typeof r === 'string')) checkAttribute(target, rest.join('.'), at);
        }
        if (fn === 'Fn::Sub') {
          const [text, variables] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
          for (const [, name] of String(text).matchAll(/\$\{([^!}][^}]*)\}/g)) {
            const [target, ...attribute] = name!.split('.');
            if (name! in (variables ?? {})) continue;
            if (attribute.length) checkAttribute(target!, attribute.join('.'), at);
            else if (!known(target!)) issues.push({ path: at, message: `Fn::Sub refers to unknown ${target}` });
          }
          if (isPlainObject(variables)) walk(variables, at);
          return;
        }
        if (fn === 'Fn::If' && Array.isArray(arg) && !(String(arg[0]) in (template.Conditions ?? {}))) {
          issues.push({ path: at, message: `Fn::If names unknown condition ${String(arg[0])}` });
        }
        return walk(arg, at);
      }
      for (const [k, e] of Object.entries(v)) walk(e, `${at}.${k}`);
    };
    walk(value, path);
  }
}
