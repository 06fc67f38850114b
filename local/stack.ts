import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CreateTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { dynamoClient, kinesisClient } from '../shared/aws/clients';
import { streamDefinition, tableDefinition } from './definitions';
import { startDynalite, startGateway, startKinesalite, type RunningServer } from './emulators';
import { SnsCapture } from './sns-capture';

/** What `.stream-sentinel/stack.json` holds (docs/architecture.md): how other commands find the emulators. */
export interface StackFile {
  kinesisEndpoint: string;
  dynamodbEndpoint: string;
  streamName: string;
  tableName: string;
  region: string;
  /** Extras beyond the contract: one endpoint for all services (AWS_ENDPOINT_URL), the captured-SNS endpoint, names. */
  endpoint?: string;
  snsEndpoint?: string;
  topicArn?: string;
  streamArn?: string;
  shardCount?: number;
  pid?: number;
  startedAt?: string;
}

export interface LocalStack extends StackFile {
  /** The stage the names are made for (`local` unless given). */
  stage: string;
  endpoint: string;
  snsEndpoint: string;
  topicArn: string;
  streamArn: string;
  shardCount: number;
  shardCountSource: string;
  sns: SnsCapture;
  /** Path of the stack file written, if any. */
  stackFile?: string;
  close(): Promise<void>;
}

export interface LocalStackOptions {
  stage?: string;
  region?: string;
  /** Overrides the shard count read from resources/stream.yml. */
  shards?: number;
  /** Fixed ports (0 = any free port). */
  kinesisPort?: number;
  dynamodbPort?: number;
  snsPort?: number;
  gatewayPort?: number;
  /** Where to write stack.json; `false` writes nothing (tests, benchmarks). */
  stackFile?: string | false;
}

export const DEFAULT_STACK_FILE = resolve(process.cwd(), '.stream-sentinel/stack.json');
export const LOCAL_ACCOUNT = '000000000000';

/** The stack's resource names for a stage (docs/architecture.md, "Names the pieces agree on"). */
export const localNames = (stage: string, region: string) => ({
  streamName: `stream-sentinel-${stage}-input`,
  tableName: `stream-sentinel-${stage}-data`,
  topicArn: `arn:aws:sns:${region}:${LOCAL_ACCOUNT}:stream-sentinel-${stage}-alerts`,
});

/**
 * Starts kinesalite, dynalite and the SNS capture on free loopback ports and creates the input stream and
 * the DataTable from resources/*.yml. Everything lives in memory and is gone after close().
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stage = options.stage ?? 'local';
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const names = localNames(stage, region);
  const stream = streamDefinition();
  const shardCount = options.shards ?? stream.shardCount;
  if (!Number.isInteger(shardCount) || shardCount < 1) throw new Error(`shards must be a positive integer, got ${shardCount}`);

  const started: RunningServer[] = [];
  const closeAll = () => Promise.all(started.map((s) => s.close())).then(() => undefined);
  try {
    const kinesis = await startKinesalite(options.kinesisPort ?? 0);
    started.push(kinesis);
    const dynamo = await startDynalite(options.dynamodbPort ?? 0);
    started.push(dynamo);
    const sns = new SnsCapture(names.topicArn);
    const snsServer = await sns.listen(options.snsPort ?? 0);
    started.push(snsServer);
    const gateway = await startGateway(
      { kinesis: kinesis.server, dynamodb: dynamo.server, sns: snsServer.server },
      options.gatewayPort ?? 0,
    );
    started.push(gateway);

    const k = kinesisClient({ endpoint: kinesis.endpoint, region });
    await k.send(new CreateStreamCommand({ StreamName: names.streamName, ShardCount: shardCount }));
    await waitUntilStreamExists({ client: k, maxWaitTime: 30 }, { StreamName: names.streamName });
    const summary = await k.send(new DescribeStreamSummaryCommand({ StreamName: names.streamName }));
    k.destroy();
    const d = dynamoClient({ endpoint: dynamo.endpoint, region });
    await d.send(new CreateTableCommand(tableDefinition(names.tableName)));
    await waitUntilTableExists({ client: d, maxWaitTime: 30 }, { TableName: names.tableName });
    d.destroy();

    const stack: LocalStack = {
      stage,
      endpoint: gateway.endpoint,
      kinesisEndpoint: kinesis.endpoint,
      dynamodbEndpoint: dynamo.endpoint,
      snsEndpoint: snsServer.endpoint,
      streamName: names.streamName,
      tableName: names.tableName,
      topicArn: names.topicArn,
      streamArn: summary.StreamDescriptionSummary?.StreamARN ?? `arn:aws:kinesis:${region}:${LOCAL_ACCOUNT}:stream/${names.streamName}`,
      region,
      shardCount,
      shardCountSource: options.shards !== undefined ? '--shards' : stream.shardCountSource,
      sns,
      close: async () => {
        if (stack.stackFile) rmSync(stack.stackFile, { force: true });
        await closeAll();
      },
    };
    if (options.stackFile !== false) {
      const file = options.stackFile ?? DEFAULT_STACK_FILE;
      mkdirSync(dirname(file), { recursive: true });
      const content: StackFile = {
        kinesisEndpoint: stack.kinesisEndpoint,
        dynamodbEndpoint: stack.dynamodbEndpoint,
        streamName: stack.streamName,
        tableName: stack.tableName,
        region,
        endpoint: stack.endpoint,
        snsEndpoint: stack.snsEndpoint,
        topicArn: stack.topicArn,
        streamArn: stack.streamArn,
        shardCount,
        pid: process.pid,
        startedAt: new Date().toISOString(),
      };
      writeFileSync(file, JSON.stringify(content, null, 2) + '\n');
      stack.stackFile = file;
    }
    return stack;
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The environment a handler needs to run against the stack (what `sls invoke local --env` passes). */
export function stackEnvironment(stack: StackFile): Record<string, string> {
  return {
    AWS_REGION: stack.region,
    ...(stack.endpoint ? { AWS_ENDPOINT_URL: stack.endpoint } : {}),
    AWS_ENDPOINT_URL_KINESIS: stack.kinesisEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodbEndpoint,
    ...(stack.snsEndpoint ? { AWS_ENDPOINT_URL_SNS: stack.snsEndpoint } : {}),
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    TABLE_NAME: stack.tableName,
    STREAM_NAME: stack.streamName,
    ...(stack.topicArn ? { TOPIC_ARN: stack.topicArn } : {}),
  };
}
