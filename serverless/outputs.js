'use strict';
/* global module */

/**
 * Package-time resources for the detectors' KDA-shaped outputs (issue 15 item 2), generated from detectors.yml:
 * - a Kinesis stream for each output `kinesis: <name>` (a name, not an ARN), named `<OUTPUT_NAME_PREFIX><name>`,
 *   which is how the windows function finds it at run time (shared/outputs/outbox.ts resolveTarget);
 * - a direct-put Firehose for each `firehose: <name>`, into the archive bucket under outputs/<name>/, with its own role;
 * - one statement on the windows function's role allowing exactly PutRecords / PutRecordBatch on those streams and
 *   on the existing ones detectors name by ARN, and nothing when no detector has outputs.
 * Generated rather than written in resources/*.yml because which streams exist is decided by detectors.yml.
 */

const ARN = /^arn:aws[a-z-]*:(kinesis|firehose):[a-z0-9-]+:\d{12}:(?:stream|deliverystream)\/(.+)$/;

/** `toll-alerts.v2` → `TollAlertsV2`: logical ids allow only letters and digits. */
const pascal = (name) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');

/** The targets of all detectors' outputs, each once: { service, name (declared) | arn (existing) }. */
function outputTargets(detectors) {
  const seen = new Map();
  for (const d of detectors) {
    for (const o of d.outputs || []) {
      const service = o.kinesis !== undefined ? 'kinesis' : 'firehose';
      const given = o.kinesis !== undefined ? o.kinesis : o.firehose;
      const key = `${service}:${given}`;
      if (seen.has(key)) continue;
      seen.set(key, ARN.test(given) ? { service, arn: given } : { service, name: given });
    }
  }
  return [...seen.values()];
}

/**
 * Adds the output resources to `template` for `detectors` (validated). `prefix` is OUTPUT_NAME_PREFIX; `windowsRole`
 * the logical id of the role the statement goes on. Returns the logical ids added.
 */
function addOutputResources(template, detectors, { prefix, windowsRole = 'WindowsRole' }) {
  const targets = outputTargets(detectors);
  if (!targets.length) return [];
  const resources = template.Resources;
  template.Outputs = template.Outputs || {};
  const added = [];
  const kinesisArns = [];
  const firehoseArns = [];
  const declaredFirehoses = [];
  for (const t of targets) {
    if (t.arn) {
      (t.service === 'kinesis' ? kinesisArns : firehoseArns).push(t.arn);
      continue;
    }
    const physical = `${prefix}${t.name}`;
    const limit = t.service === 'kinesis' ? 128 : 64;
    if (physical.length > limit)
      throw new Error(
        `output ${t.service}: ${t.name} would be named ${physical}, over ${t.service}'s ${limit} characters; give it a shorter name`,
      );
    if (t.service === 'kinesis') {
      const id = `Output${pascal(t.name)}Stream`;
      resources[id] = {
        Type: 'AWS::Kinesis::Stream',
        Properties: {
          Name: physical,
          StreamModeDetails: { StreamMode: 'PROVISIONED' },
          // One shard takes 1,000 records/s: one result per window and key, or per record of an input shard.
          ShardCount: 1,
          RetentionPeriodHours: 24,
          StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
        },
      };
      template.Outputs[`${id}Name`] = { Description: `Results of the detectors with output kinesis: ${t.name}`, Value: { Ref: id } };
      template.Outputs[`${id}Arn`] = { Value: { 'Fn::GetAtt': [id, 'Arn'] } };
      kinesisArns.push({ 'Fn::GetAtt': [id, 'Arn'] });
      added.push(id);
    } else {
      const id = `Output${pascal(t.name)}DeliveryStream`;
      declaredFirehoses.push({ id, name: t.name });
      resources[id] = {
        Type: 'AWS::KinesisFirehose::DeliveryStream',
        Properties: {
          DeliveryStreamName: physical,
          DeliveryStreamType: 'DirectPut',
          DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
          ExtendedS3DestinationConfiguration: {
            BucketARN: { 'Fn::GetAtt': ['ArchiveBucket', 'Arn'] },
            RoleARN: { 'Fn::GetAtt': ['OutputsFirehoseRole', 'Arn'] },
            Prefix: `outputs/${t.name}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/`,
            ErrorOutputPrefix: `outputs-errors/${t.name}/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`,
            BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
            CompressionFormat: 'GZIP',
          },
        },
      };
      template.Outputs[`${id}Name`] = { Description: `Results of the detectors with output firehose: ${t.name}`, Value: { Ref: id } };
      firehoseArns.push({ 'Fn::GetAtt': [id, 'Arn'] });
      added.push(id);
    }
  }
  if (declaredFirehoses.length) {
    resources.OutputsFirehoseRole = {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'firehose.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } },
            },
          ],
        },
        Policies: [
          {
            PolicyName: 'outputs',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'WriteOutputs',
                  Effect: 'Allow',
                  Action: [
                    's3:AbortMultipartUpload',
                    's3:GetBucketLocation',
                    's3:GetObject',
                    's3:ListBucket',
                    's3:ListBucketMultipartUploads',
                    's3:PutObject',
                  ],
                  Resource: [
                    { 'Fn::GetAtt': ['ArchiveBucket', 'Arn'] },
                    { 'Fn::Sub': '${ArchiveBucket.Arn}/outputs/*' },
                    { 'Fn::Sub': '${ArchiveBucket.Arn}/outputs-errors/*' },
                  ],
                },
              ],
            },
          },
        ],
      },
    };
    added.push('OutputsFirehoseRole');
  }
  const role = resources[windowsRole];
  if (!role) throw new Error(`outputs are delivered by the windows function, but the template has no ${windowsRole}`);
  const statements = [];
  if (kinesisArns.length)
    statements.push({ Sid: 'DeliverKinesisOutputs', Effect: 'Allow', Action: 'kinesis:PutRecords', Resource: kinesisArns });
  if (firehoseArns.length)
    statements.push({ Sid: 'DeliverFirehoseOutputs', Effect: 'Allow', Action: 'firehose:PutRecordBatch', Resource: firehoseArns });
  role.Properties.Policies.push({ PolicyName: 'outputs', PolicyDocument: { Version: '2012-10-17', Statement: statements } });
  return added;
}

module.exports = { addOutputResources, outputTargets };
