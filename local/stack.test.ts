import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { PublishCommand } from '@aws-sdk/client-sns';
import { dynamoClient, kinesisClient, snsClient } from '../shared/aws/clients';
import { streamDefinition } from './definitions';
import { startLocalStack, type LocalStack, type StackFile } from './stack';

describe('the local stack', () => {
  let stack: LocalStack;
  let file: string;
  beforeAll(async () => {
    file = join(mkdtempSync(join(tmpdir(), 'ss-stack-')), 'stack.json');
    stack = await startLocalStack({ stackFile: file });
  });
  afterAll(() => stack.close());

  it('writes stack.json with the endpoints and names other commands need', () => {
    const written = JSON.parse(readFileSync(file, 'utf8')) as StackFile;
    expect(written).toMatchObject({
      kinesisEndpoint: stack.kinesisEndpoint,
      dynamodbEndpoint: stack.dynamodbEndpoint,
      streamName: 'stream-sentinel-local-input',
      tableName: 'stream-sentinel-local-data',
      region: stack.region,
    });
    for (const url of [written.kinesisEndpoint, written.dynamodbEndpoint, written.endpoint, written.snsEndpoint])
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('creates the stream with the shard count the CloudFormation resources declare, and the DataTable with its index', async () => {
    const k = kinesisClient({ endpoint: stack.kinesisEndpoint });
    const { StreamDescriptionSummary } = await k.send(new DescribeStreamSummaryCommand({ StreamName: stack.streamName }));
    expect(StreamDescriptionSummary?.OpenShardCount).toBe(streamDefinition().shardCount);
    const d = dynamoClient({ endpoint: stack.dynamodbEndpoint });
    const { Table } = await d.send(new DescribeTableCommand({ TableName: stack.tableName }));
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['pending-alerts']);
    k.destroy();
    d.destroy();
  });

  it('answers Kinesis, DynamoDB and SNS on one endpoint and captures SNS publishes', async () => {
    const k = kinesisClient({ endpoint: stack.endpoint });
    const put = await k.send(new PutRecordCommand({ StreamName: stack.streamName, PartitionKey: 'a', Data: Buffer.from('{}') }));
    expect(put.SequenceNumber).toBeDefined();
    const d = dynamoClient({ endpoint: stack.endpoint });
    const { Table } = await d.send(new DescribeTableCommand({ TableName: stack.tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    const sns = snsClient({ endpoint: stack.endpoint });
    const seen: string[] = [];
    stack.sns.onMessage((m) => seen.push(m.message));
    const published = await sns.send(
      new PublishCommand({
        TopicArn: stack.topicArn,
        Subject: 'anomaly',
        Message: 'toll 183A is unusual',
        MessageAttributes: { detector: { DataType: 'String', StringValue: 'toll' } },
      }),
    );
    expect(seen).toEqual(['toll 183A is unusual']);
    expect(stack.sns.messages.at(-1)).toMatchObject({
      messageId: published.MessageId,
      subject: 'anomaly',
      attributes: { detector: 'toll' },
      topicArn: stack.topicArn,
    });
    for (const c of [k, d, sns]) c.destroy();
  });

  it('removes stack.json when it stops', async () => {
    const other = join(mkdtempSync(join(tmpdir(), 'ss-stack-')), 'stack.json');
    const second = await startLocalStack({ stackFile: other, shards: 3 });
    expect(second.shardCount).toBe(3);
    expect(existsSync(other)).toBe(true);
    await second.close();
    expect(existsSync(other)).toBe(false);
  });
});
