import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDetectors } from '../../shared/detectors';
import { CfnSpecValidator, type CfnTemplate } from '../support/cfn-spec';
import { packageService } from '../support/sls-package';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { addOutputResources } = require('../../serverless/outputs.js') as {
  addOutputResources(template: CfnTemplate, detectors: unknown[], options: { prefix: string }): string[];
};

/**
 * The package step's output resources (serverless/outputs.js), added to the service's real packaged template: the
 * streams detectors.yml declares by name, the windows role's permission to put on exactly those and on the existing
 * ones named by ARN, all valid against the AWS spec.
 */

const EXISTING = 'arn:aws:kinesis:us-east-1:123456789012:stream/kda-anomalies';
const EXISTING_FIREHOSE = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/kda-scores';
const detectors = parseDetectors(
  `detectors:
  - name: toll
    format: csv
    csv: { columns: [date, station_id, plate] }
    key: station_id
    aggregates: [{ name: vehicle_count, fn: count }]
    outputs:
      - { kinesis: AnomalyStream, columns: [station_id, vehicle_count, anomaly_score] }
      - { kinesis: "${EXISTING}" }
      - { firehose: toll-scores, format: csv }
  - name: wind
    format: json
    key: location
    aggregates: [count]
    outputs: [{ kinesis: AnomalyStream }, { firehose: "${EXISTING_FIREHOSE}" }]
`,
  'test',
  { windowSeconds: 10, threshold: 2 },
);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const StreamSentinelChecks = require('../../serverless/checks.js') as new (serverless: unknown) => { addOutputs(): void };

const statementsOf = (t: CfnTemplate, roleId: string) =>
  ((t.Resources[roleId]!.Properties as any).Policies as any[]).flatMap((p) => [p.PolicyDocument.Statement].flat());

describe('output streams generated at package time', () => {
  let base: CfnTemplate;
  beforeAll(async () => {
    base = (await packageService('dev')).template;
  }, 300_000);

  it('adds nothing when no detector has outputs (the shipped detectors.yml)', () => {
    const t = structuredClone(base);
    expect(
      addOutputResources(t, parseDetectors('detectors:\n  - { name: a, format: json, key: k }', 't'), { prefix: 'stream-sentinel-dev-' }),
    ).toEqual([]);
    expect(t).toEqual(base);
    expect(Object.keys(base.Resources).filter((id) => id.startsWith('Output'))).toEqual([]);
  });

  it('declares one stream per declared name, a Firehose into outputs/<name>/ with its own role, all valid against the spec', () => {
    const t = structuredClone(base);
    const added = addOutputResources(t, detectors, { prefix: 'stream-sentinel-dev-' });
    expect(added).toEqual(['OutputAnomalyStreamStream', 'OutputTollScoresDeliveryStream', 'OutputsFirehoseRole']);
    expect(new CfnSpecValidator().validateTemplate(t)).toEqual([]);
    expect(t.Resources.OutputAnomalyStreamStream!.Properties).toMatchObject({
      Name: 'stream-sentinel-dev-AnomalyStream',
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    const firehose = t.Resources.OutputTollScoresDeliveryStream!.Properties as any;
    expect(firehose.DeliveryStreamName).toBe('stream-sentinel-dev-toll-scores');
    expect(firehose.ExtendedS3DestinationConfiguration.Prefix).toMatch(/^outputs\/toll-scores\/year=/);
    expect(statementsOf(t, 'OutputsFirehoseRole')[0].Resource).toEqual([
      { 'Fn::GetAtt': ['ArchiveBucket', 'Arn'] },
      { 'Fn::Sub': '${ArchiveBucket.Arn}/outputs/*' },
      { 'Fn::Sub': '${ArchiveBucket.Arn}/outputs-errors/*' },
    ]);
    expect(t.Outputs!.OutputAnomalyStreamStreamName!.Value).toEqual({ Ref: 'OutputAnomalyStreamStream' });
  });

  it('lets the windows role put on exactly the output streams, declared and existing, and no other role', () => {
    const t = structuredClone(base);
    addOutputResources(t, detectors, { prefix: 'stream-sentinel-dev-' });
    const windows = statementsOf(t, 'WindowsRole');
    expect(windows.filter((s) => /Outputs$/.test(s.Sid ?? ''))).toEqual([
      {
        Sid: 'DeliverKinesisOutputs',
        Effect: 'Allow',
        Action: 'kinesis:PutRecords',
        Resource: [{ 'Fn::GetAtt': ['OutputAnomalyStreamStream', 'Arn'] }, EXISTING],
      },
      {
        Sid: 'DeliverFirehoseOutputs',
        Effect: 'Allow',
        Action: 'firehose:PutRecordBatch',
        Resource: [{ 'Fn::GetAtt': ['OutputTollScoresDeliveryStream', 'Arn'] }, EXISTING_FIREHOSE],
      },
    ]);
    for (const role of ['HotspotsRole', 'AlertsRole', 'ReplayRole'])
      expect([role, JSON.stringify(statementsOf(t, role))]).toEqual([role, JSON.stringify(statementsOf(base, role))]);
  });

  it('refuses a declared name that would be too long for the service', () => {
    const long = parseDetectors(`detectors:\n  - { name: a, format: json, key: k, outputs: [{ firehose: ${'x'.repeat(50)} }] }`, 't');
    expect(() => addOutputResources(structuredClone(base), long, { prefix: 'stream-sentinel-dev-' })).toThrow(
      /over firehose's 64 characters/,
    );
  });

  it('is what the package step does with detectors.yml (serverless/checks.js), prefix from OUTPUT_NAME_PREFIX', () => {
    const serviceDir = mkdtempSync(join(tmpdir(), 'outputs-plugin-'));
    try {
      writeFileSync(
        join(serviceDir, 'detectors.yml'),
        'detectors:\n  - { name: fares, kind: records, format: json, features: [fare], outputs: [{ kinesis: scored }] }\n',
      );
      const t = structuredClone(base);
      new StreamSentinelChecks({
        serviceDir,
        classes: { Error },
        service: {
          getAllFunctions: () => ['windows'],
          provider: {
            environment: { WINDOW_SECONDS: '10', ANOMALY_THRESHOLD: '2', OUTPUT_NAME_PREFIX: 'stream-sentinel-prod-' },
            compiledCloudFormationTemplate: t,
          },
        },
      }).addOutputs();
      expect((t.Resources.OutputScoredStream!.Properties as any).Name).toBe('stream-sentinel-prod-scored');
      expect(new CfnSpecValidator().validateTemplate(t)).toEqual([]);
    } finally {
      rmSync(serviceDir, { recursive: true, force: true });
    }
  });
});
