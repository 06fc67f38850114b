import { CfnSpecValidator, isIntrinsic, type CfnTemplate } from '../support/cfn-spec';
import { packageService, type PackagedService } from '../support/sls-package';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseInputStreamArn, attachInputStream } = require('../../serverless/input-stream.js') as {
  parseInputStreamArn(value: unknown): { arn: string; name: string } | undefined;
  attachInputStream(template: CfnTemplate, existing: { arn: string; name: string } | undefined): number;
};

/**
 * Issue 15 item 3: the stage parameter inputStreamArn attaches the service to an existing Kinesis stream. Both
 * templates (created stream, existing stream) are packaged offline, checked against the AWS spec, checked for
 * references that would dangle when the condition is false, and then "deployed" offline (conditions evaluated,
 * Fn::If branches taken, conditional resources dropped) to see what each resource would really point at.
 */

const EXISTING_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/kda-source-stream';
const EXISTING_NAME = 'kda-source-stream';

type Json = unknown;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Evaluates this service's conditions (Fn::Equals / Fn::Not / Fn::And / Fn::Or over literals). */
function evaluate(c: Json, t: CfnTemplate): boolean {
  if (!isObject(c)) throw new Error(`cannot evaluate ${JSON.stringify(c)}`);
  const args = (k: string) => c[k] as Json[];
  if ('Fn::Not' in c) return !evaluate(args('Fn::Not')[0], t);
  if ('Fn::And' in c) return args('Fn::And').every((x) => evaluate(x, t));
  if ('Fn::Or' in c) return args('Fn::Or').some((x) => evaluate(x, t));
  if ('Fn::Equals' in c) {
    const [a, b] = args('Fn::Equals');
    if (typeof a !== 'string' || typeof b !== 'string') throw new Error(`cannot evaluate ${JSON.stringify(c)} offline`);
    return a === b;
  }
  if ('Condition' in c) return evaluate(t.Conditions![String(c.Condition)], t);
  throw new Error(`cannot evaluate ${JSON.stringify(c)} offline`);
}

/** The template as CloudFormation would instantiate it: If branches taken, resources and outputs whose condition is false gone. */
function deployed(t: CfnTemplate): CfnTemplate {
  const take = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(take);
    if (!isObject(v)) return v;
    if (isIntrinsic(v) && 'Fn::If' in v) {
      const [name, yes, no] = v['Fn::If'] as [string, Json, Json];
      return take(evaluate(t.Conditions![name], t) ? yes : no);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, take(x)]));
  };
  const keep = (decl: { Condition?: string }) => decl.Condition === undefined || evaluate(t.Conditions![decl.Condition], t);
  return {
    Resources: Object.fromEntries(
      Object.entries(t.Resources)
        .filter(([, r]) => keep(r))
        .map(([id, r]) => [id, take(r) as CfnTemplate['Resources'][string]]),
    ),
    Outputs: Object.fromEntries(
      Object.entries(t.Outputs ?? {})
        .filter(([, o]) => keep(o))
        .map(([id, o]) => [id, take(o) as { Value: unknown }]),
    ),
  };
}

/** Every logical id a value references (Ref, GetAtt, ${…} in Sub), with the path where it does. */
function references(v: Json, path: string, out: Array<{ id: string; path: string }> = []): Array<{ id: string; path: string }> {
  if (Array.isArray(v)) v.forEach((x, i) => references(x, `${path}[${i}]`, out));
  else if (isObject(v)) {
    if (typeof v.Ref === 'string') out.push({ id: v.Ref, path });
    const getAtt = v['Fn::GetAtt'];
    if (getAtt !== undefined) out.push({ id: Array.isArray(getAtt) ? String(getAtt[0]) : String(getAtt).split('.')[0]!, path });
    const sub = v['Fn::Sub'];
    if (sub !== undefined) {
      const text = String(Array.isArray(sub) ? sub[0] : sub);
      const vars = Array.isArray(sub) && isObject(sub[1]) ? Object.keys(sub[1]) : [];
      for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}/g)) if (!vars.includes(m[1]!)) out.push({ id: m[1]!, path });
    }
    for (const [k, x] of Object.entries(v)) if (k !== 'Ref' && k !== 'Fn::GetAtt') references(x, `${path}.${k}`, out);
  }
  return out;
}

/**
 * References to a conditional resource from a place that exists when the condition is false: CloudFormation refuses
 * those at deploy time ("unresolved resource dependencies"), which the spec check alone does not see.
 */
function danglingReferences(t: CfnTemplate): string[] {
  const conditional = new Map(
    Object.entries(t.Resources)
      .filter(([, r]) => r.Condition !== undefined)
      .map(([id, r]) => [id, r.Condition!]),
  );
  const problems: string[] = [];
  const visit = (v: Json, path: string, guards: Set<string>) => {
    if (Array.isArray(v)) return v.forEach((x, i) => visit(x, `${path}[${i}]`, guards));
    if (!isObject(v)) return;
    if (isIntrinsic(v) && 'Fn::If' in v) {
      const [name, yes, no] = v['Fn::If'] as [string, Json, Json];
      visit(yes, `${path}.If(${name})`, new Set([...guards, name]));
      visit(no, `${path}.Else(${name})`, guards);
      return;
    }
    for (const { id, path: where } of references(v, path).filter((r) => r.path === path)) {
      const needs = conditional.get(id);
      if (needs !== undefined && !guards.has(needs)) problems.push(`${where} references ${id} outside Fn::If ${needs}`);
    }
    for (const [k, x] of Object.entries(v)) if (k !== 'Ref' && k !== 'Fn::GetAtt') visit(x, `${path}.${k}`, guards);
  };
  for (const [id, r] of Object.entries(t.Resources)) visit(r, `Resources.${id}`, new Set(r.Condition ? [r.Condition] : []));
  for (const [id, o] of Object.entries(t.Outputs ?? {})) visit(o, `Outputs.${id}`, new Set(o.Condition ? [o.Condition] : []));
  return problems;
}

const statementsOf = (t: CfnTemplate, roleId: string) =>
  ((t.Resources[roleId]!.Properties as any).Policies as any[]).flatMap((p) => [p.PolicyDocument.Statement].flat());
const resourcesOf = (t: CfnTemplate, roleId: string, action: string) =>
  statementsOf(t, roleId)
    .filter((s) => [s.Action].flat().includes(action))
    .flatMap((s) => [s.Resource].flat());

describe('inputStreamArn parameter (serverless/input-stream.js)', () => {
  it('reads the stream name from a Kinesis stream ARN and treats an empty value as "create the stream"', () => {
    expect(parseInputStreamArn(EXISTING_ARN)).toEqual({ arn: EXISTING_ARN, name: EXISTING_NAME });
    expect(parseInputStreamArn('')).toBeUndefined();
    expect(parseInputStreamArn(undefined)).toBeUndefined();
  });

  it('refuses a value that is not a Kinesis stream ARN, saying what to write', () => {
    expect(() => parseInputStreamArn('kda-source-stream')).toThrow(
      /not a Kinesis stream ARN: write arn:aws:kinesis:<region>:<account>:stream\/<name>/,
    );
    expect(() => parseInputStreamArn('arn:aws:firehose:us-east-1:123456789012:deliverystream/x')).toThrow(/not a Kinesis stream ARN/);
  });

  it('guards Ref, GetAtt and Sub references with the condition and leaves already-guarded ones alone', () => {
    const guarded = { 'Fn::If': ['CreateInputStream', { Ref: 'InputStream' }, 'other'] };
    const t: CfnTemplate = {
      Conditions: { CreateInputStream: { 'Fn::Equals': [EXISTING_ARN, ''] } },
      Resources: {
        InputStream: { Type: 'AWS::Kinesis::Stream', Condition: 'CreateInputStream', Properties: { ShardCount: 1 } },
        Reader: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            EventSourceArn: { 'Fn::GetAtt': 'InputStream.Arn' },
            Name: { Ref: 'InputStream' },
            Text: { 'Fn::Sub': 'stream ${InputStream} at ${InputStream.Arn} in ${AWS::Region}' },
            Already: guarded,
          },
        },
      },
      Outputs: { StreamName: { Value: { Ref: 'InputStream' } } },
    };
    expect(attachInputStream(t, { arn: EXISTING_ARN, name: EXISTING_NAME })).toBe(5);
    expect(t.Resources.Reader!.Properties).toEqual({
      EventSourceArn: { 'Fn::If': ['CreateInputStream', { 'Fn::GetAtt': ['InputStream', 'Arn'] }, EXISTING_ARN] },
      Name: { 'Fn::If': ['CreateInputStream', { Ref: 'InputStream' }, EXISTING_NAME] },
      Text: {
        'Fn::Sub': [
          'stream ${InputStreamName} at ${InputStreamArn} in ${AWS::Region}',
          {
            InputStreamName: { 'Fn::If': ['CreateInputStream', { Ref: 'InputStream' }, EXISTING_NAME] },
            InputStreamArn: { 'Fn::If': ['CreateInputStream', { 'Fn::GetAtt': ['InputStream', 'Arn'] }, EXISTING_ARN] },
          },
        ],
      },
      Already: guarded,
    });
    expect(t.Outputs!.StreamName!.Value).toEqual({ 'Fn::If': ['CreateInputStream', { Ref: 'InputStream' }, EXISTING_NAME] });
    expect(danglingReferences(t)).toEqual([]);
  });

  it('refuses what cannot follow an existing stream: a DependsOn on the stream, or the stream without its condition', () => {
    const base = (): CfnTemplate => ({
      Conditions: { CreateInputStream: { 'Fn::Equals': ['', ''] } },
      Resources: { InputStream: { Type: 'AWS::Kinesis::Stream', Condition: 'CreateInputStream' } },
    });
    const dependent = base();
    dependent.Resources.Waiter = { Type: 'AWS::SQS::Queue', DependsOn: ['InputStream'] };
    expect(() => attachInputStream(dependent, undefined)).toThrow(/Resources.Waiter: DependsOn InputStream/);
    const unconditioned = base();
    delete unconditioned.Resources.InputStream!.Condition;
    expect(() => attachInputStream(unconditioned, undefined)).toThrow(/must carry Condition: CreateInputStream/);
  });
});

describe('the packaged template with a created and with an existing input stream', () => {
  const packaged: Record<'created' | 'existing', PackagedService | undefined> = { created: undefined, existing: undefined };
  beforeAll(async () => {
    // One after the other: serverless-esbuild shares its .esbuild work folder in the repo between runs.
    packaged.created = await packageService('dev');
    packaged.existing = await packageService('dev', { inputStreamArn: EXISTING_ARN });
  }, 400_000);
  const tpl = (which: 'created' | 'existing') => packaged[which]!.template;

  it.each(['created', 'existing'] as const)(
    'packages offline (%s) into a template valid against the AWS spec with no dangling reference',
    (which) => {
      expect(packaged[which]!.output).toMatch(/Service packaged/);
      expect(new CfnSpecValidator().validateTemplate(tpl(which))).toEqual([]);
      expect(danglingReferences(tpl(which))).toEqual([]);
    },
  );

  it('has the same resources and outputs in both cases: only the condition differs', () => {
    expect(Object.keys(tpl('existing').Resources).sort()).toEqual(Object.keys(tpl('created').Resources).sort());
    expect(Object.keys(tpl('existing').Outputs ?? {}).sort()).toEqual(Object.keys(tpl('created').Outputs ?? {}).sort());
    expect(tpl('created').Conditions!.CreateInputStream).toEqual({ 'Fn::Equals': ['', ''] });
    expect(tpl('existing').Conditions!.CreateInputStream).toEqual({ 'Fn::Equals': [EXISTING_ARN, ''] });
  });

  it('creates the stream and points everything at it when no ARN is given', () => {
    const d = deployed(tpl('created'));
    expect(d.Resources.InputStream?.Type).toBe('AWS::Kinesis::Stream');
    const arn = { 'Fn::GetAtt': ['InputStream', 'Arn'] };
    for (const id of ['WindowsEventSourceMappingKinesisInputStream', 'HotspotsEventSourceMappingKinesisInputStream'])
      expect((d.Resources[id]!.Properties as any).EventSourceArn).toEqual(arn);
    expect((d.Resources.ArchiveDeliveryStream!.Properties as any).KinesisStreamSourceConfiguration.KinesisStreamARN).toEqual(arn);
    expect(d.Outputs!.StreamName!.Value).toEqual({ Ref: 'InputStream' });
  });

  it('attaches functions, archive, IAM, outputs and dashboard to the existing stream, and creates none', () => {
    const d = deployed(tpl('existing'));
    expect(Object.values(d.Resources).filter((r) => r.Type === 'AWS::Kinesis::Stream')).toEqual([]);
    // Nothing left that names the stream the stack no longer creates.
    expect(references(d.Resources, 'Resources').filter((r) => r.id === 'InputStream')).toEqual([]);
    expect(references(d.Outputs, 'Outputs').filter((r) => r.id === 'InputStream')).toEqual([]);

    for (const id of ['WindowsEventSourceMappingKinesisInputStream', 'HotspotsEventSourceMappingKinesisInputStream'])
      expect([id, (d.Resources[id]!.Properties as any).EventSourceArn]).toEqual([id, EXISTING_ARN]);
    expect((d.Resources.ArchiveDeliveryStream!.Properties as any).KinesisStreamSourceConfiguration.KinesisStreamARN).toBe(EXISTING_ARN);
    for (const role of ['WindowsRole', 'HotspotsRole', 'FirehoseRole'])
      for (const action of ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:DescribeStream', 'kinesis:ListShards'])
        expect([role, action, resourcesOf(d, role, action)]).toEqual([role, action, [EXISTING_ARN]]);
    expect(resourcesOf(d, 'ReplayRole', 'kinesis:PutRecords')).toEqual([EXISTING_ARN]);
    for (const fn of ['WindowsLambdaFunction', 'HotspotsLambdaFunction', 'AlertsLambdaFunction', 'ReplayLambdaFunction'])
      expect([fn, (d.Resources[fn]!.Properties as any).Environment.Variables.STREAM_NAME]).toEqual([fn, EXISTING_NAME]);
    expect(d.Outputs!.StreamName!.Value).toBe(EXISTING_NAME);
    expect(d.Outputs!.StreamArn!.Value).toBe(EXISTING_ARN);
    const dashboard = (d.Resources.Dashboard ?? Object.values(d.Resources).find((r) => r.Type === 'AWS::CloudWatch::Dashboard'))!;
    const body = (dashboard.Properties as any).DashboardBody['Fn::Sub'];
    expect(body[1].InputStreamName).toBe(EXISTING_NAME);
    expect(body[0]).toContain('["AWS/Kinesis", "IncomingRecords", "StreamName", "${InputStreamName}"]');
  });

  it('refuses to package with a value that is not a Kinesis stream ARN', async () => {
    await expect(packageService('dev', { inputStreamArn: 'kda-source-stream' })).rejects.toThrow(/is not a Kinesis stream ARN/);
  }, 200_000);
});
