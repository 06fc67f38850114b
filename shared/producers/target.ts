import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import * as z from 'zod/mini';
import { kinesisClient } from '../aws/kinesis';
import { StreamSentinelError } from '../errors';

/**
 * Where produce and replay put records: the deployed stack's stream (`--stage`), the local emulators
 * (`--local`, from .stream-sentinel/stack.json) or any Kinesis-compatible endpoint (`--endpoint --stream`).
 */

export interface TargetOptions {
  stage?: string;
  region?: string;
  local?: boolean;
  /** Path of the local stack file (default ./.stream-sentinel/stack.json). */
  stackFile?: string;
  endpoint?: string;
  stream?: string;
}

export interface StreamTarget {
  client: KinesisClient;
  streamName: string;
  /** For messages: where the records go. */
  description: string;
}

/** No usable target: the message says which option or file to fix. */
export class TargetError extends StreamSentinelError {}

export const DEFAULT_STACK_FILE = '.stream-sentinel/stack.json';

const stackFileSchema = z.object({
  kinesisEndpoint: z.url(),
  streamName: z.string().check(z.minLength(1)),
  region: z.optional(z.string().check(z.minLength(1))),
});

export const stackName = (stage: string) => `stream-sentinel-${stage}`;

export function readLocalStack(file = DEFAULT_STACK_FILE): z.infer<typeof stackFileSchema> {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new TargetError(
      `${path} does not exist: start the local emulators first with \`npm run stack\` (or \`npm start\`) in this directory, then run this command again`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TargetError(`${path} is not valid JSON (${(error as Error).message}): restart \`npm run stack\` to rewrite it`);
  }
  const parsed = stackFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new TargetError(`${path} is missing what produce needs (${problems}): restart \`npm run stack\` to rewrite it`);
  }
  return parsed.data;
}

/** Outputs.StreamName of the stage's CloudFormation stack. */
export async function stackStreamName(stage: string, cloudFormation: Pick<CloudFormationClient, 'send'>): Promise<string> {
  const name = stackName(stage);
  let stacks;
  try {
    stacks = (await cloudFormation.send(new DescribeStacksCommand({ StackName: name }))).Stacks ?? [];
  } catch (error) {
    const message = (error as Error).message;
    if (/does not exist/i.test(message))
      throw new TargetError(
        `stack ${name} does not exist in this account/region: deploy it (\`npx sls deploy --stage ${stage}\`) or check --stage and --region`,
      );
    throw new TargetError(`could not read stack ${name}: ${message}`);
  }
  const output = stacks[0]?.Outputs?.find((o) => o.OutputKey === 'StreamName')?.OutputValue;
  if (!output) throw new TargetError(`stack ${name} has no StreamName output: is it a stream-sentinel stack, and has its deploy finished?`);
  return output;
}

export async function resolveTarget(options: TargetOptions): Promise<StreamTarget> {
  const chosen = [options.stage !== undefined, Boolean(options.local), options.endpoint !== undefined].filter(Boolean).length;
  if (chosen !== 1)
    throw new TargetError('say where to put the records: exactly one of --stage <stage>, --local, or --endpoint <url> --stream <name>');
  if (options.endpoint !== undefined) {
    if (!options.stream) throw new TargetError('--endpoint needs --stream <name> (the stream to put records into)');
    if (!/^https?:\/\//.test(options.endpoint)) throw new TargetError(`--endpoint must be an http(s) URL, got "${options.endpoint}"`);
    return {
      client: kinesisClient({ endpoint: options.endpoint, region: options.region }),
      streamName: options.stream,
      description: `${options.stream} at ${options.endpoint}`,
    };
  }
  if (options.local) {
    const stack = readLocalStack(options.stackFile);
    const streamName = options.stream ?? stack.streamName;
    return {
      client: kinesisClient({ endpoint: stack.kinesisEndpoint, region: options.region ?? stack.region }),
      streamName,
      description: `${streamName} on the local stack (${stack.kinesisEndpoint})`,
    };
  }
  const stage = options.stage!;
  const cloudFormation = new CloudFormationClient({ ...(options.region ? { region: options.region } : {}) });
  try {
    // The SDK's own words ("Region is missing") do not say what to type.
    await cloudFormation.config.region().catch(() => {
      throw new TargetError(
        `no AWS region for --stage ${stage}: pass --region <region> (the stack's region, e.g. --region eu-west-1), set AWS_REGION, or set a region in your AWS profile`,
      );
    });
    const streamName = options.stream ?? (await stackStreamName(stage, cloudFormation));
    return { client: kinesisClient({ region: options.region }), streamName, description: `${streamName} (stage ${stage})` };
  } finally {
    cloudFormation.destroy();
  }
}
