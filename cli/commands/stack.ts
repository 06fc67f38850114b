import type { Command } from 'commander';

/**
 * `stream-sentinel stack` (`npm run stack`): only the emulators, for working on one piece at a time with
 * `sls invoke local` and `produce --local`. Stays up until Ctrl-C; the state lives in memory only.
 *
 * `stream-sentinel dashboard`: the local-mode dashboard on its own, reading the running local stack's
 * table or a deployed stage's table (with the machine's AWS credentials).
 */

// Heavy modules (AWS SDK, emulators) load inside the actions so `--help` stays fast. The CLI runs through
// tsx's CommonJS hook, which dynamic import() bypasses, hence require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(path: string): T => require(path) as T;

type StackInfo = Pick<
  import('../../local/stack').LocalStack,
  | 'endpoint'
  | 'kinesisEndpoint'
  | 'dynamodbEndpoint'
  | 'snsEndpoint'
  | 'streamName'
  | 'tableName'
  | 'topicArn'
  | 'region'
  | 'shardCount'
  | 'shardCountSource'
  | 'stackFile'
>;

/**
 * What `npm run stack` prints: the endpoints, and commands that work as printed (the emulators take any
 * credentials, but the SDK and the aws CLI refuse to sign without some, and need a region).
 */
export function stackInstructions(stack: StackInfo): string {
  const env = `--env AWS_ENDPOINT_URL=${stack.endpoint}`;
  const names = `--env TABLE_NAME=${stack.tableName} --env STREAM_NAME=${stack.streamName} --env TOPIC_ARN=${stack.topicArn}`;
  const creds = '--env AWS_ACCESS_KEY_ID=local --env AWS_SECRET_ACCESS_KEY=local';
  const aws = (endpoint: string, rest: string) =>
    `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --region ${stack.region} --endpoint-url ${endpoint} ${rest}`;
  return [
    'stream-sentinel local stack (in memory; Ctrl-C stops it and forgets everything)',
    '',
    `  all        ${stack.endpoint}   (AWS_ENDPOINT_URL: routes Kinesis, DynamoDB and SNS calls)`,
    `  Kinesis    ${stack.kinesisEndpoint}   stream ${stack.streamName} (${stack.shardCount} shard${stack.shardCount === 1 ? '' : 's'}, from ${stack.shardCountSource})`,
    `  DynamoDB   ${stack.dynamodbEndpoint}   table  ${stack.tableName}`,
    `  SNS        ${stack.snsEndpoint}   topic  ${stack.topicArn} (Publish is captured and printed here)`,
    `  region     ${stack.region}`,
    `  written to ${stack.stackFile}`,
    '',
    'Only the emulators run here: no function reads the stream, so records put on it are not processed until you',
    'invoke a function yourself (sls invoke local, below). For the whole pipeline with a dashboard, use `npm start`.',
    '',
    'Try:',
    `  npx stream-sentinel produce --local --scenario toll --duration 60`,
    `  npx sls invoke local --stage local -f windows -p events/windows-kinesis.json ${env} ${names} ${creds}`,
    `  npx sls invoke local --stage local -f alerts -p events/alerts-schedule.json ${env} ${names} ${creds}`,
    `  ${aws(stack.kinesisEndpoint, `kinesis describe-stream-summary --stream-name ${stack.streamName}`)}`,
    `  ${aws(stack.dynamodbEndpoint, `dynamodb scan --table-name ${stack.tableName} --max-items 5`)}`,
    `  npx stream-sentinel dashboard   # charts of what is in the table`,
    '',
  ].join('\n');
}

export interface StackCommandOptions {
  shards?: string;
  port?: string;
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a non-negative integer, got "${value}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command('stack')
    .description(
      'Start kinesalite and dynalite on loopback ports with the stream and table from resources/*.yml; print the endpoints and stay up until Ctrl-C',
    )
    .option('--shards <n>', 'shards of the input stream (default: ShardCount in resources/stream.yml, via serverless.yml params)')
    .option('--port <n>', 'first of four consecutive ports: all services, Kinesis, DynamoDB, SNS (default: any free ports)')
    .action(async (opts: StackCommandOptions) => {
      const { startLocalStack } = load<typeof import('../../local/stack')>('../../local/stack');
      const shards = positiveInt(opts.shards, '--shards');
      const port = positiveInt(opts.port, '--port');
      const stack = await startLocalStack({
        ...(shards ? { shards } : {}),
        ...(port ? { gatewayPort: port, kinesisPort: port + 1, dynamodbPort: port + 2, snsPort: port + 3 } : {}),
      });
      console.log(stackInstructions(stack));
      stack.sns.onMessage((m) => console.log(`SNS publish captured (${m.messageId}) ${m.subject ? `[${m.subject}] ` : ''}${m.message}`));
      await new Promise<void>((resolveStop) => {
        const stop = () => resolveStop();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      console.log('\nstopping the local stack…');
      await stack.close();
    });

  program
    .command('dashboard')
    .description('Serve the dashboard on 127.0.0.1 for the running local stack (.stream-sentinel/stack.json) or a deployed stage')
    .option('--stage <stage>', 'read the deployed table stream-sentinel-<stage>-data with your AWS credentials instead of the local stack')
    .option('--table <name>', 'read this table instead')
    .option('--region <region>', 'AWS region of the deployed table')
    .option('--port <n>', 'port to serve on (default: any free port)')
    .action(async (opts: { stage?: string; table?: string; region?: string; port?: string }) => {
      const { readFileSync } = await import('node:fs');
      const { DEFAULT_STACK_FILE } = load<typeof import('../../local/stack')>('../../local/stack');
      const { startDashboard } = load<typeof import('../../local/dashboard/server')>('../../local/dashboard/server');
      const { dynamoClient } = load<typeof import('../../shared/aws/clients')>('../../shared/aws/clients');
      let tableName: string;
      let client;
      if (opts.stage || opts.table) {
        tableName = opts.table ?? `stream-sentinel-${opts.stage}-data`;
        client = dynamoClient({ ...(opts.region ? { region: opts.region } : {}) });
      } else {
        let stack: { dynamodbEndpoint: string; tableName: string; region: string };
        try {
          stack = JSON.parse(readFileSync(DEFAULT_STACK_FILE, 'utf8')) as typeof stack;
        } catch {
          throw new Error(
            `no local stack found (${DEFAULT_STACK_FILE}): run \`npm run stack\` or \`npm start\` first, or pass --stage <stage>`,
          );
        }
        tableName = stack.tableName;
        client = dynamoClient({ endpoint: stack.dynamodbEndpoint, region: stack.region });
      }
      const dashboard = await startDashboard({ client, tableName, port: positiveInt(opts.port, '--port') ?? 0 });
      console.log(`dashboard for table ${tableName}: ${dashboard.url}  (Ctrl-C to stop)`);
      await new Promise<void>((resolveStop) => {
        process.once('SIGINT', () => resolveStop());
        process.once('SIGTERM', () => resolveStop());
      });
      await dashboard.close();
    });
}
