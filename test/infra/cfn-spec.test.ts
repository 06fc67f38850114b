import { CfnSpecValidator, type CfnTemplate } from '../support/cfn-spec';

// The template test trusts this validator to find mistakes, so here it must find each kind on purpose.

const queue = (properties: Record<string, unknown> = {}) => ({ Type: 'AWS::SQS::Queue', Properties: { QueueName: 'q', ...properties } });
const validTemplate = (): CfnTemplate => ({
  Conditions: { HasEmail: { 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] } },
  Resources: {
    Queue: queue({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 }),
    Topic: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: 'alias/aws/sns' } },
    Email: {
      Type: 'AWS::SNS::Subscription',
      Condition: 'HasEmail',
      Properties: { TopicArn: { Ref: 'Topic' }, Protocol: 'email', Endpoint: 'a@example.com' },
    },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      DependsOn: ['Queue'],
      Properties: {
        FunctionName: 'f',
        EventSourceArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s',
        StartingPosition: 'TRIM_HORIZON',
        TumblingWindowInSeconds: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['Queue', 'Arn'] } } },
      },
    },
    Table: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: { 'Fn::If': ['HasEmail', 'PAY_PER_REQUEST', { Ref: 'AWS::NoValue' }] },
        Tags: [{ Key: 'stage', Value: { 'Fn::Sub': '${AWS::Region}-${Queue.QueueName}' } }],
      },
    },
  },
  Outputs: { QueueUrl: { Value: { Ref: 'Queue' } } },
});

const messages = (template: CfnTemplate) => new CfnSpecValidator().validateTemplate(template).map((i) => `${i.path}: ${i.message}`);

describe('CloudFormation spec validator', () => {
  it('accepts a valid template with intrinsics, conditions, nested types, lists and tags', () => {
    expect(messages(validTemplate())).toEqual([]);
  });

  it('rejects a resource type that does not exist', () => {
    const t = validTemplate();
    t.Resources.Bogus = { Type: 'AWS::SQS::Queueue', Properties: {} };
    expect(messages(t)).toEqual([expect.stringMatching(/^Resources\.Bogus\.Type: unknown resource type AWS::SQS::Queueue/)]);
  });

  it('rejects an unknown property name', () => {
    const t = validTemplate();
    t.Resources.Queue = queue({ Encrypted: true });
    expect(messages(t)).toEqual([expect.stringMatching(/^Resources\.Queue\.Properties\.Encrypted: unknown property Encrypted/)]);
  });

  it('rejects a missing required property', () => {
    const t = validTemplate();
    delete t.Resources.Email!.Properties!.Protocol;
    expect(messages(t)).toEqual(['Resources.Email.Properties.Protocol: required property Protocol is missing']);
  });

  it('rejects an unknown property inside a nested property type', () => {
    const t = validTemplate();
    (t.Resources.Mapping!.Properties!.DestinationConfig as any).OnFailure.Target = 'x';
    expect(messages(t)).toEqual([
      expect.stringMatching(/^Resources\.Mapping\.Properties\.DestinationConfig\.OnFailure\.Target: unknown property Target/),
    ]);
  });

  it('rejects a missing required property inside a list of nested types', () => {
    const t = validTemplate();
    (t.Resources.Table!.Properties!.KeySchema as any)[0] = { AttributeName: 'pk' };
    expect(messages(t)).toEqual(['Resources.Table.Properties.KeySchema[0].KeyType: required property KeyType is missing']);
  });

  it('rejects values of the wrong type and values outside the allowed set', () => {
    const t = validTemplate();
    t.Resources.Queue = queue({ MessageRetentionPeriod: 'two weeks', SqsManagedSseEnabled: 'yes' });
    t.Resources.Stream = {
      Type: 'AWS::Kinesis::Stream',
      Properties: { StreamEncryption: { EncryptionType: 'AES', KeyId: 'alias/aws/kinesis' } },
    };
    expect(messages(t).sort()).toEqual([
      expect.stringMatching(/^Resources\.Queue\.Properties\.MessageRetentionPeriod: expected an integer/),
      expect.stringMatching(/^Resources\.Queue\.Properties\.SqsManagedSseEnabled: expected a boolean/),
      'Resources.Stream.Properties.StreamEncryption.EncryptionType: "AES" is not one of KMS',
    ]);
  });

  it('checks both branches of Fn::If', () => {
    const t = validTemplate();
    t.Resources.Stream = {
      Type: 'AWS::Kinesis::Stream',
      Properties: { StreamModeDetails: { StreamMode: { 'Fn::If': ['HasEmail', 'PROVISIONED', 'SERVERLESS'] } } },
    };
    expect(messages(t)).toEqual([expect.stringMatching(/StreamMode\[Fn::If false\]: "SERVERLESS" is not one of ON_DEMAND, PROVISIONED/)]);
  });

  it('rejects references to resources, attributes and conditions that do not exist', () => {
    const t = validTemplate();
    t.Resources.Email!.Properties!.TopicArn = { Ref: 'Topik' };
    t.Resources.Email!.Condition = 'HasPhone';
    t.Resources.Mapping!.DependsOn = ['Nothing'];
    (t.Resources.Mapping!.Properties!.DestinationConfig as any).OnFailure.Destination = { 'Fn::GetAtt': ['Queue', 'Url'] };
    t.Resources.Table!.Properties!.Tags = [{ Key: 'k', Value: { 'Fn::Sub': '${Missing}-${Queue.Nope}' } }];
    const found = messages(t);
    expect(found).toHaveLength(6);
    expect(found).toEqual(
      expect.arrayContaining([
        'Resources.Email.Condition: unknown condition HasPhone',
        'Resources.Email.Properties.TopicArn: Ref to unknown Topik',
        expect.stringMatching(
          /^Resources\.Mapping\.Properties\.DestinationConfig\.OnFailure\.Destination: AWS::SQS::Queue has no attribute Url/,
        ),
        'Resources.Mapping.DependsOn: depends on unknown resource Nothing',
        expect.stringMatching(/^Resources\.Table\.Properties\.Tags\[0\]\.Value: AWS::SQS::Queue has no attribute Nope/),
        'Resources.Table.Properties.Tags[0].Value: Fn::Sub refers to unknown Missing',
      ]),
    );
  });

  it('rejects unknown resource attributes such as a misspelt DeletionPolicy', () => {
    const t = validTemplate();
    (t.Resources.Queue as any).DeletePolicy = 'Retain';
    expect(messages(t)).toEqual(['Resources.Queue.DeletePolicy: unknown resource attribute DeletePolicy']);
  });
});
