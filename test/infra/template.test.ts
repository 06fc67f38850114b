import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { builtinModules } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { createDataTable, startDynalite } from '../support/emulators';
import { windowEvent } from '../factories/kinesis';
import { CfnSpecValidator, isIntrinsic, type CfnResourceDecl, type CfnTemplate } from '../support/cfn-spec';
import { packageService, printConfig, REPO_ROOT, stageParams, type PackagedService } from '../support/sls-package';
import { zipEntries, zipEntryContent } from '../support/zip-entries';
import { rejectLines } from '../../shared/rejects/sink';

/**
 * Packages the service offline for both stages (dev with default parameters, prod with both alert
 * subscribers set) and checks the generated CloudFormation: every resource against the AWS spec, then the
 * invariants the service promises. Function checks cover whichever functions serverless.yml declares.
 */

const PROD_PARAMS = { alertEmail: 'ops@example.com', alertPhone: '+15550100' };
const packaged: Record<string, PackagedService> = {};

beforeAll(async () => {
  // One after the other: serverless-esbuild shares its .esbuild work folder in the repo between runs.
  packaged.dev = await packageService('dev');
  packaged.prod = await packageService('prod', PROD_PARAMS);
}, 300_000);

type Stage = 'dev' | 'prod';
const STAGES: Stage[] = ['dev', 'prod'];
const tpl = (stage: Stage): CfnTemplate => packaged[stage]!.template;
const ofType = (t: CfnTemplate, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const only = (t: CfnTemplate, type: string): [string, CfnResourceDecl] => {
  const found = ofType(t, type);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const resource = (t: CfnTemplate, id: string, type: string): CfnResourceDecl => {
  expect([id, t.Resources[id]?.Type]).toEqual([id, type]);
  return t.Resources[id]!;
};
const props = (r: CfnResourceDecl) => r.Properties as Record<string, any>;
const ref = (id: string) => ({ Ref: id });
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
/** The input stream as every reference names it: created here, or the existing one (test/infra/existing-stream.test.ts). */
const inputStreamArn = { 'Fn::If': ['CreateInputStream', arnOf('InputStream'), ''] };
const inputStreamName = { 'Fn::If': ['CreateInputStream', ref('InputStream'), ''] };
const functionsOf = (t: CfnTemplate) => ofType(t, 'AWS::Lambda::Function');
/** serverless names a function's resources after it: windows → WindowsLambdaFunction, WindowsLogGroup. */
const shortName = (logicalId: string) => logicalId.replace(/LambdaFunction$/, '');

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  NotAction?: unknown;
  NotResource?: unknown;
}
const statementsOf = (role: CfnResourceDecl): Statement[] =>
  (props(role).Policies ?? []).flatMap((p: any) => [p.PolicyDocument.Statement].flat() as Statement[]);
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const allows = (role: CfnResourceDecl, action: string, resource: unknown) =>
  statementsOf(role).some(
    (s) =>
      s.Effect === 'Allow' &&
      list(s.Action).includes(action) &&
      list(s.Resource).some((r) => JSON.stringify(r) === JSON.stringify(resource)),
  );

/** Actions that have no resource-level permissions in IAM: the only ones that may use Resource "*". */
const NO_RESOURCE_LEVEL = new Set(['cloudwatch:PutMetricData', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords']);

const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);

/** A resource pattern is exact when it comes from the template (Ref/GetAtt) or extends a known ARN with a path. */
function wildcardProblem(resource: unknown): string | undefined {
  if (resource === '*') return 'Resource "*"';
  if (typeof resource === 'string') return resource.includes('*') ? `wildcard ARN ${resource}` : undefined;
  if (isIntrinsic(resource)) {
    const sub = resource['Fn::Sub'];
    if (sub === undefined) return undefined;
    const text = String(Array.isArray(sub) ? sub[0] : sub);
    // `${Bucket.Arn}/rejects/*` narrows a known ARN to a key prefix; a `*` anywhere else widens it.
    const narrowed = /^\$\{[A-Za-z0-9]+(\.Arn)?\}(\/[^*]+)*(\/[^*]*\*)?$/.test(text);
    return narrowed || !text.includes('*') ? undefined : `wildcard ARN ${text}`;
  }
  return `unrecognised resource ${JSON.stringify(resource)}`;
}

/** Evaluates the literal conditions this service uses (Fn::Not / Fn::Equals / Fn::And / Fn::Or over strings). */
function evaluate(condition: unknown, t: CfnTemplate): boolean {
  const c = condition as Record<string, unknown[]>;
  if ('Fn::Not' in c) return !evaluate(c['Fn::Not']![0], t);
  if ('Fn::And' in c) return c['Fn::And']!.every((x) => evaluate(x, t));
  if ('Fn::Or' in c) return c['Fn::Or']!.some((x) => evaluate(x, t));
  if ('Fn::Equals' in c) {
    const [a, b] = c['Fn::Equals']!;
    if (typeof a !== 'string' || typeof b !== 'string') throw new Error(`cannot evaluate ${JSON.stringify(c)} offline`);
    return a === b;
  }
  if ('Condition' in c) return evaluate(t.Conditions![String(c.Condition)], t);
  throw new Error(`cannot evaluate ${JSON.stringify(c)} offline`);
}

describe.each(STAGES)('the packaged template (%s)', (stage) => {
  const params = () => stageParams(stage, stage === 'prod' ? PROD_PARAMS : {});

  it('packages offline without printing warnings or deprecations', () => {
    const output = packaged[stage]!.output;
    expect(output).toMatch(/Service packaged/);
    expect(output.split('\n').filter((line) => /warn|deprecat|error/i.test(line))).toEqual([]);
  });

  it('declares only resources that are valid against the AWS resource specification', () => {
    const template = tpl(stage);
    expect(Object.keys(template.Resources).length).toBeGreaterThan(30);
    expect(new CfnSpecValidator().validateTemplate(template)).toEqual([]);
  });

  it('encrypts the stream, table, bucket, topic and queue, and keeps the bucket private and TLS-only', () => {
    const t = tpl(stage);
    for (const [, stream] of ofType(t, 'AWS::Kinesis::Stream'))
      expect(props(stream).StreamEncryption).toMatchObject({ EncryptionType: 'KMS' });
    for (const [, table] of ofType(t, 'AWS::DynamoDB::Table')) expect(props(table).SSESpecification).toEqual({ SSEEnabled: true });
    for (const [, topic] of ofType(t, 'AWS::SNS::Topic')) expect(props(topic).KmsMasterKeyId).toBeDefined();
    for (const [, queue] of ofType(t, 'AWS::SQS::Queue'))
      expect(props(queue).SqsManagedSseEnabled === true || props(queue).KmsMasterKeyId !== undefined).toBe(true);
    for (const [, key] of ofType(t, 'AWS::KMS::Key')) expect(props(key).EnableKeyRotation).toBe(true);
    const policies = ofType(t, 'AWS::S3::BucketPolicy');
    for (const [id, bucket] of ofType(t, 'AWS::S3::Bucket')) {
      expect(props(bucket).BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toMatch(
        /AES256|aws:kms/,
      );
      expect(props(bucket).PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const policy = policies.find(([, p]) => JSON.stringify(props(p).Bucket) === JSON.stringify(ref(id)));
      expect(policy).toBeDefined();
      expect(props(policy![1]).PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': false } } }),
      );
    }
    const [, workGroup] = only(t, 'AWS::Athena::WorkGroup');
    expect(props(workGroup).WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration).toBeDefined();
    expect(props(workGroup).WorkGroupConfiguration.EnforceWorkGroupConfiguration).toBe(true);
  });

  it('sizes the stream and sets retention of stream, archive and logs from the stage parameters', () => {
    const p = params();
    const [, stream] = only(tpl(stage), 'AWS::Kinesis::Stream');
    expect(props(stream).ShardCount).toBe(p.shardCount);
    expect(props(stream).RetentionPeriodHours).toBe(p.streamRetentionHours);
    const [, bucket] = ofType(tpl(stage), 'AWS::S3::Bucket').find(([id]) => id === 'ArchiveBucket')!;
    expect(props(bucket).LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ Status: 'Enabled', ExpirationInDays: p.dataRetentionDays }),
    );
    for (const [id, group] of ofType(tpl(stage), 'AWS::Logs::LogGroup'))
      expect([id, props(group).RetentionInDays]).toEqual([id, p.logRetentionDays]);
  });

  it('archives the input stream through Firehose: one record per line, GZIP, hourly partitions, an error prefix', () => {
    const t = tpl(stage);
    const p = params();
    const delivery = resource(t, 'ArchiveDeliveryStream', 'AWS::KinesisFirehose::DeliveryStream');
    expect(props(delivery).DeliveryStreamType).toBe('KinesisStreamAsSource');
    expect(props(delivery).KinesisStreamSourceConfiguration.KinesisStreamARN).toEqual(inputStreamArn);
    const s3 = props(delivery).ExtendedS3DestinationConfiguration;
    expect(s3.CompressionFormat).toBe('GZIP');
    expect(s3.ProcessingConfiguration.Enabled).toBe(true);
    // The two characters backslash and n: Firehose reads them as the newline escape.
    expect(s3.ProcessingConfiguration.Processors).toContainEqual({
      Type: 'AppendDelimiterToRecord',
      Parameters: [{ ParameterName: 'Delimiter', ParameterValue: '\\n' }],
    });
    expect(s3.Prefix).toBe('raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/');
    expect(s3.ErrorOutputPrefix).toMatch(/^errors\/!\{firehose:error-output-type\}\//);
    expect(s3.BufferingHints).toEqual({ SizeInMBs: p.firehoseBufferMB, IntervalInSeconds: p.firehoseBufferSeconds });
    expect(s3.CloudWatchLoggingOptions.Enabled).toBe(true);
  });

  it('projects the Firehose prefixes as the Glue table partitions and answers the workshop questions in Athena', () => {
    const t = tpl(stage);
    const delivery = resource(t, 'ArchiveDeliveryStream', 'AWS::KinesisFirehose::DeliveryStream');
    const prefix: string = props(delivery).ExtendedS3DestinationConfiguration.Prefix;
    const prefixKeys = [...prefix.matchAll(/([a-z]+)=!\{timestamp:/g)].map((m) => m[1]);
    const table = resource(t, 'TollRecordsTable', 'AWS::Glue::Table');
    const input = props(table).TableInput;
    expect(input.PartitionKeys.map((k: { Name: string }) => k.Name)).toEqual(prefixKeys);
    expect(input.Parameters['projection.enabled']).toBe('true');
    for (const key of prefixKeys) expect(input.Parameters[`projection.${key}.type`]).toBeDefined();
    expect(input.StorageDescriptor.Location).toEqual({ 'Fn::Sub': `s3://\${ArchiveBucket}/${prefix.split('/')[0]}/` });
    expect(input.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual(['date', 'station', 'plate']);

    const queries = ofType(t, 'AWS::Athena::NamedQuery')
      .map(([, q]) => props(q))
      .filter((q) => q.QueryString.includes('toll_records'));
    expect(queries.map((q) => q.Name).sort()).toEqual(['busiest-toll-station', 'most-active-user', 'quiet-toll-station']);
    for (const q of queries) {
      expect(q.Database).toEqual(ref('ArchiveDatabase'));
      expect(q.WorkGroup).toEqual(ref('AthenaWorkGroup'));
      expect(q.QueryString).toMatch(new RegExp(`FROM ${input.Name}\\b`));
      // Filtering on partition columns keeps Athena from enumerating every projected hour.
      expect(q.QueryString).toMatch(/WHERE year = .* AND month = .* AND day = /);
      // The archive holds every stream's records: only the toll CSV lines (ISO time first) are counted.
      expect(q.QueryString).toMatch(/regexp_like\("date", '\^\\d\{4\}-/);
    }
  });

  it('keeps rejects through a direct-put, encrypted Firehose into daily partitions that the Glue table rejects projects', () => {
    const t = tpl(stage);
    const p = params();
    const delivery = resource(t, 'RejectsDeliveryStream', 'AWS::KinesisFirehose::DeliveryStream');
    expect(props(delivery).DeliveryStreamType).toBe('DirectPut');
    expect(props(delivery).DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
    const s3 = props(delivery).ExtendedS3DestinationConfiguration;
    expect(s3.BucketARN).toEqual(arnOf('ArchiveBucket'));
    expect(s3.CompressionFormat).toBe('GZIP');
    expect(s3.Prefix).toBe('rejects/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/');
    expect(s3.ErrorOutputPrefix).toMatch(/^rejects-errors\/!\{firehose:error-output-type\}\//);
    expect(s3.BufferingHints).toEqual({ SizeInMBs: p.firehoseBufferMB, IntervalInSeconds: p.firehoseBufferSeconds });
    // Firehose's role may write both prefixes.
    const role = resource(t, 'FirehoseRole', 'AWS::IAM::Role');
    for (const prefix of ['rejects', 'rejects-errors'])
      expect([prefix, allows(role, 's3:PutObject', { 'Fn::Sub': `\${ArchiveBucket.Arn}/${prefix}/*` })]).toEqual([prefix, true]);

    const table = props(resource(t, 'RejectsTable', 'AWS::Glue::Table')).TableInput;
    const prefixKeys = [...String(s3.Prefix).matchAll(/([a-z]+)=!\{timestamp:/g)].map((m) => m[1]);
    expect(table.PartitionKeys.map((k: { Name: string }) => k.Name)).toEqual(prefixKeys);
    expect(table.StorageDescriptor.Location).toEqual({ 'Fn::Sub': 's3://${ArchiveBucket}/rejects/' });
    expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    // The columns are the keys of the lines shared/rejects writes, lower-cased as Glue stores them.
    const line = JSON.parse(
      rejectLines({ shardId: 's', rejects: [{ sequenceNumber: '1', arrival: 'a', index: 0, reason: 'r', data: 'd' }] }, 0)[0]!,
    );
    expect(table.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual(Object.keys(line).map((k) => k.toLowerCase()));
    const query = ofType(t, 'AWS::Athena::NamedQuery')
      .map(([, q]) => props(q))
      .find((q) => q.Name === 'reject-reasons');
    expect(query?.QueryString).toMatch(/FROM rejects\b/);
  });

  it('keeps windows, models and cooldowns in one on-demand table with TTL, PITR and the sparse pending-alerts index', () => {
    const [, table] = only(tpl(stage), 'AWS::DynamoDB::Table');
    const p = props(table);
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    const index = p.GlobalSecondaryIndexes.find((i: { IndexName: string }) => i.IndexName === 'pending-alerts');
    expect(index.KeySchema[0]).toEqual({ AttributeName: 'pendingAlert', KeyType: 'HASH' });
    expect(index.Projection).toEqual({ ProjectionType: 'KEYS_ONLY' });
    // Sparse only while the marker is not part of the table's own key: items without it stay out of the index.
    expect(p.KeySchema.map((k: { AttributeName: string }) => k.AttributeName)).not.toContain('pendingAlert');
  });

  it('subscribes email and SMS to the topic only when their parameters are set', () => {
    const t = tpl(stage);
    const subscriptions = ofType(t, 'AWS::SNS::Subscription');
    expect(subscriptions.map(([, s]) => props(s).Protocol).sort()).toEqual(['email', 'sms']);
    const p = params();
    for (const [, s] of subscriptions) {
      expect(s.Condition).toBeDefined();
      expect(props(s).TopicArn).toEqual(ref('AlertsTopic'));
      const param = props(s).Protocol === 'email' ? p.alertEmail : p.alertPhone;
      expect(evaluate(t.Conditions![s.Condition!], t)).toBe(param !== '');
      if (param !== '') expect(props(s).Endpoint).toBe(param);
    }
  });

  it('lets CloudWatch alarms publish to the encrypted topic', () => {
    const t = tpl(stage);
    const [, topic] = only(t, 'AWS::SNS::Topic');
    const keyId = props(topic).KmsMasterKeyId;
    // An AWS managed key (alias/aws/sns) cannot grant CloudWatch: alarms would fail to notify silently.
    expect(keyId).toEqual(ref('AlertsKey'));
    expect(props(t.Resources.AlertsKey!).KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: expect.arrayContaining(['kms:GenerateDataKey*', 'kms:Decrypt']),
      }),
    );
  });

  it('alarms on failed batches and on every declared function, and notifies the topic', () => {
    const t = tpl(stage);
    const alarms = ofType(t, 'AWS::CloudWatch::Alarm').map(([, a]) => props(a));
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([ref('AlertsTopic')]);
    expect(alarms).toContainEqual(
      expect.objectContaining({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['FailureQueue', 'QueueName'] } }],
      }),
    );
    const mappings = ofType(t, 'AWS::Lambda::EventSourceMapping').map(([, m]) => props(m));
    for (const [id] of functionsOf(t)) {
      const onFunction = (metric: string) =>
        alarms.some(
          (a) => a.MetricName === metric && JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: ref(id) }]),
        );
      expect([id, 'Errors', onFunction('Errors')]).toEqual([id, 'Errors', true]);
      const streamTriggered = mappings.some((m) => JSON.stringify(m.FunctionName) === JSON.stringify(arnOf(id)));
      if (streamTriggered) expect([id, 'IteratorAge', onFunction('IteratorAge')]).toEqual([id, 'IteratorAge', true]);
    }
  });

  it('shows records in, windows written, anomalies, alerts sent and iterator age on the dashboard', () => {
    const [, dashboard] = only(tpl(stage), 'AWS::CloudWatch::Dashboard');
    // [text, variables] once the input stream is conditional (serverless/input-stream.js).
    const sub = props(dashboard).DashboardBody['Fn::Sub'] as string | [string, unknown];
    const body = Array.isArray(sub) ? sub[0] : sub;
    const parsed = JSON.parse(body.replace(/\$\{[^}]+\}/g, 'x')) as { widgets: { properties: { metrics: unknown[][] } }[] };
    // Dashboard shorthand: "." repeats the previous row's value at that position, "..." all of its leading values.
    const metrics = parsed.widgets.flatMap((w) =>
      w.properties.metrics.reduce<unknown[][]>((rows, row) => {
        const previous = rows[rows.length - 1] ?? [];
        const values = row.filter((v) => typeof v === 'string');
        const expanded =
          values[0] === '...'
            ? [...previous.slice(0, previous.length - values.length + 1), ...values.slice(1)]
            : values.map((v, i) => (v === '.' ? previous[i] : v));
        return [...rows, expanded];
      }, []),
    );
    const named = (namespace: string, name: string) => metrics.some((m) => m[0] === namespace && m[1] === name);
    for (const name of ['RecordsIn', 'WindowsWritten', 'Anomalies', 'AlertsSent'])
      expect([name, named('StreamSentinel', name)]).toEqual([name, true]);
    expect(named('AWS/Lambda', 'IteratorAge')).toBe(true);
  });

  it('exports the names other tools look up', () => {
    expect(Object.keys(tpl(stage).Outputs ?? {})).toEqual(
      expect.arrayContaining(['StreamName', 'StreamArn', 'TableName', 'TopicArn', 'BucketName', 'RejectsDeliveryStreamName']),
    );
  });

  it('configures each Kinesis event source with tumbling windows, partial batch failures, bisection, bounded retries and an SQS on-failure destination', () => {
    const p = params();
    for (const [id, mapping] of ofType(tpl(stage), 'AWS::Lambda::EventSourceMapping')) {
      expect([id, props(mapping)]).toEqual([
        id,
        expect.objectContaining({
          EventSourceArn: inputStreamArn,
          TumblingWindowInSeconds: p.windowSeconds,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          BisectBatchOnFunctionError: true,
          MaximumRetryAttempts: expect.any(Number),
          MaximumRecordAgeInSeconds: expect.any(Number),
          DestinationConfig: { OnFailure: { Destination: arnOf('FailureQueue') } },
        }),
      ]);
      expect(props(mapping).MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(props(mapping).MaximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60);
    }
  });

  it('gives every declared function its own least-privilege role: own log group, no wildcard where an ARN is known', () => {
    const t = tpl(stage);
    expect(t.Resources.IamRoleLambdaExecution).toBeUndefined();
    const roles = new Set<string>();
    for (const [id, fn] of functionsOf(t)) {
      const role = props(fn).Role;
      expect([id, role]).toEqual([id, { 'Fn::GetAtt': [expect.any(String), 'Arn'] }]);
      const roleId: string = role['Fn::GetAtt'][0];
      expect([id, roles.has(roleId)]).toEqual([id, false]);
      roles.add(roleId);
      const declared = t.Resources[roleId]!;
      expect(declared.Type).toBe('AWS::IAM::Role');
      expect(props(declared).AssumeRolePolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
      expect(props(declared).ManagedPolicyArns).toBeUndefined();
      expect(allows(declared, 'logs:PutLogEvents', arnOf(`${shortName(id)}LogGroup`))).toBe(true);
      const problems = statementsOf(declared).flatMap((s) => {
        const out: string[] = [];
        if (s.NotAction !== undefined || s.NotResource !== undefined) out.push('NotAction/NotResource');
        for (const key of Object.keys(s)) if (!STATEMENT_KEYS.has(key)) out.push(`statement key ${key}`);
        for (const action of list(s.Action)) if (action === '*' || action.endsWith(':*')) out.push(`action ${action}`);
        const exempt = list(s.Action).every((a) => NO_RESOURCE_LEVEL.has(a));
        for (const resource of list(s.Resource)) {
          const problem = wildcardProblem(resource);
          if (problem && !(resource === '*' && exempt)) out.push(problem);
        }
        return out;
      });
      expect([roleId, problems]).toEqual([roleId, []]);
    }
  });

  it('grants each stream function what its event source mapping and on-failure destination need', () => {
    const t = tpl(stage);
    for (const [id, mapping] of ofType(t, 'AWS::Lambda::EventSourceMapping')) {
      const fnId = props(mapping).FunctionName['Fn::GetAtt'][0] as string;
      const role = t.Resources[props(t.Resources[fnId]!).Role['Fn::GetAtt'][0]]!;
      const stream = props(mapping).EventSourceArn;
      for (const action of [
        'kinesis:GetRecords',
        'kinesis:GetShardIterator',
        'kinesis:DescribeStream',
        'kinesis:DescribeStreamSummary',
        'kinesis:ListShards',
      ]) {
        expect([id, action, allows(role, action, stream)]).toEqual([id, action, true]);
      }
      expect([id, allows(role, 'sqs:SendMessage', props(mapping).DestinationConfig.OnFailure.Destination)]).toEqual([id, true]);
      // Records it cannot use go to the rejects delivery stream (shared/rejects).
      expect([id, allows(role, 'firehose:PutRecordBatch', arnOf('RejectsDeliveryStream'))]).toEqual([id, true]);
      // The mapping is created only once the role can read the stream.
      expect(list(mapping.DependsOn)).toContain(props(t.Resources[fnId]!).Role['Fn::GetAtt'][0]);
    }
  });

  it('lets a role that publishes to the encrypted topic use its key', () => {
    const t = tpl(stage);
    for (const [roleId, role] of ofType(t, 'AWS::IAM::Role')) {
      if (!allows(role, 'sns:Publish', ref('AlertsTopic'))) continue;
      for (const action of ['kms:GenerateDataKey*', 'kms:Decrypt'])
        expect([roleId, action, allows(role, action, arnOf('AlertsKey'))]).toEqual([roleId, action, true]);
    }
  });

  it('gives every function the configuration of docs/architecture.md', () => {
    const p = params();
    for (const [id, fn] of functionsOf(tpl(stage))) {
      expect([id, props(fn).Runtime, props(fn).Handler]).toEqual([
        id,
        'nodejs22.x',
        `functions/${id.replace(/LambdaFunction$/, '').toLowerCase()}/handler.handler`,
      ]);
      expect([id, props(fn).Environment.Variables]).toEqual([
        id,
        expect.objectContaining({
          TABLE_NAME: ref('DataTable'),
          TOPIC_ARN: ref('AlertsTopic'),
          STREAM_NAME: inputStreamName,
          REJECTS_STREAM: ref('RejectsDeliveryStream'),
          DATA_RETENTION_DAYS: String(p.dataRetentionDays),
          ANOMALY_THRESHOLD: String(p.anomalyThreshold),
          WINDOW_SECONDS: String(p.windowSeconds),
          ALERT_COOLDOWN_SECONDS: String(p.alertCooldownSeconds),
          ALERT_DIGEST_THRESHOLD: String(p.alertDigestThreshold),
          ALERT_CLAIM_TIMEOUT_SECONDS: String(p.alertClaimTimeoutSeconds),
          POWERTOOLS_SERVICE_NAME: 'stream-sentinel',
          POWERTOOLS_METRICS_NAMESPACE: 'StreamSentinel',
          LOG_LEVEL: p.logLevel,
        }),
      ]);
      // Files are for the local stage only; deployed functions keep rejects through Firehose.
      expect([id, 'REJECTS_DIR' in props(fn).Environment.Variables]).toEqual([id, false]);
    }
  });

  it('bundles each declared function into its own zip holding the handler and the detectors file', () => {
    const { dir, template } = packaged[stage]!;
    for (const [id, fn] of functionsOf(template)) {
      const name = id.replace(/LambdaFunction$/, '').toLowerCase();
      const artifact = join(dir, `${name}.zip`);
      expect([id, existsSync(artifact)]).toEqual([id, true]);
      const entries = zipEntries(artifact).map((e) => e.name);
      expect(entries).toContain(props(fn).Handler.replace(/\.[^.]+$/, '.js'));
      // shared/detectors reads detectors.yml from the package root at cold start.
      const readsDetectors = ['windows', 'hotspots', 'alerts'].includes(name) || existsSync(join(REPO_ROOT, 'detectors.yml'));
      if (readsDetectors) expect([name, entries]).toEqual([name, expect.arrayContaining(['detectors.yml'])]);
    }
  });
});

describe('the packaged windows function on its own', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { onDemandCredentialProviders } = require('../../serverless/bundle.js') as { onDemandCredentialProviders: string[] };
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  let dir: string;
  let code: string;
  beforeAll(() => {
    const zip = join(packaged.dev!.dir, 'windows.zip');
    dir = mkdtempSync(join(tmpdir(), 'windows-zip-'));
    code = zipEntryContent(zip, 'functions/windows/handler.js').toString('utf8');
    mkdirSync(join(dir, 'functions/windows'), { recursive: true });
    writeFileSync(join(dir, 'functions/windows/handler.js'), code);
    writeFileSync(join(dir, 'detectors.yml'), zipEntryContent(zip, 'detectors.yml'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves out of the bundle exactly the credential providers the SDK imports on demand, and nothing else', () => {
    const external = new Set(
      [...code.matchAll(/\b(?:require|import)\("([^"]+)"\)/g)]
        .map((m) => m[1]!)
        // The SDK's optional native signer, tried inside a try/catch; never installed.
        .filter((m) => !builtins.has(m) && m !== '@aws-sdk/signature-v4-crt'),
    );
    expect(external).toEqual(new Set(onDemandCredentialProviders));
    expect(code).not.toMatch(/\brequire\("@aws-sdk\/credential-provider/);
  });

  it('runs from an empty directory with Lambda-style environment credentials: no node_modules needed', async () => {
    const db = await startDynalite();
    try {
      const table = await createDataTable(db.endpoint);
      const events = ['windows-kinesis.json', 'windows-rejects.json'].map((f) => join(REPO_ROOT, 'events', f));
      // The sample windows end with their Lambda window; the handler holds event-time windows for their lateness
      // (docs/detectors.md, Lateness), so the next Lambda window's final invoke is the one that writes them.
      const next = join(dir, 'windows-next-final.json');
      writeFileSync(next, JSON.stringify(windowEvent({ windowStart: '2026-11-22T10:00:10.000Z', final: true })));
      events.push(next);
      const script = `
        const { readFileSync } = require('node:fs');
        const { handler } = require('./functions/windows/handler.js');
        const context = { functionName: 'windows', functionVersion: '$LATEST', awsRequestId: 'r', memoryLimitInMB: '1024',
          invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:windows', getRemainingTimeInMillis: () => 60000 };
        (async () => {
          const out = [];
          for (const file of process.argv.slice(1)) out.push(await handler(JSON.parse(readFileSync(file, 'utf8')), context));
          process.stdout.write(JSON.stringify(out.map((r) => r.batchItemFailures)));
        })().catch((e) => { console.error(e); process.exit(1); });`;
      // Asynchronously: dynalite answers from this process.
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, ...events], {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'secret',
          AWS_SESSION_TOKEN: 'token',
          AWS_ENDPOINT_URL: db.endpoint,
          LAMBDA_TASK_ROOT: dir,
          TABLE_NAME: table,
          REJECTS_DIR: join(dir, 'rejects'),
          POWERTOOLS_METRICS_DISABLED: 'true',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        },
      });
      expect(JSON.parse(stdout)).toEqual([[], [], []]);
      const client = dynamoDocumentClient({ endpoint: db.endpoint });
      const items = (await client.send(new ScanCommand({ TableName: table }))).Items ?? [];
      client.destroy();
      expect(items.filter((i) => i.type === 'window').length).toBeGreaterThan(10);
      expect(
        readdirSync(join(dir, 'rejects'), { recursive: true })
          .map(String)
          .filter((f) => f.endsWith('.jsonl')).length,
      ).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  }, 60_000);
});

describe('the local stage', () => {
  it('gives `sls invoke local --stage local` an environment that needs no deployed stack or credentials', async () => {
    const environment = (await printConfig('local', 'provider.environment')) as Record<string, unknown>;
    expect(Object.entries(environment).filter(([, v]) => typeof v !== 'string' && typeof v !== 'number')).toEqual([]);
    expect(environment).toMatchObject({
      TABLE_NAME: 'stream-sentinel-local-data',
      STREAM_NAME: 'stream-sentinel-local-input',
      REJECTS_DIR: join(REPO_ROOT, '.stream-sentinel', 'rejects'),
    });
  });
});
