import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_ESBUILD_OPTIONS } from '../../bench/lambda-bundle';
import { REPO_ROOT } from '../support/sls-package';

/**
 * Each function bundle carries the AWS SDK clients it uses and no other (shared/aws has one module per client;
 * importing the all-in-one shared/aws/clients.ts from function code would pull every client in, e.g. DynamoDB
 * into the replay bundle). Built as serverless.yml builds them.
 */

const USES: Record<string, string[]> = {
  // Kinesis: detectors' KDA-shaped outputs (shared/outputs).
  windows: ['client-dynamodb', 'lib-dynamodb', 'client-firehose', 'client-kinesis'],
  hotspots: ['client-dynamodb', 'lib-dynamodb', 'client-firehose'],
  alerts: ['client-dynamodb', 'lib-dynamodb', 'client-sns'],
  replay: ['client-kinesis', 'client-s3'],
};

async function sdkClientsIn(entry: string): Promise<string[]> {
  const result = await build({ ...LAMBDA_ESBUILD_OPTIONS, entryPoints: [entry], write: false, metafile: true, outfile: 'out.js' });
  const found = new Set<string>();
  for (const input of Object.keys(result.metafile!.inputs)) {
    const m = /node_modules\/@aws-sdk\/((?:client|lib)-[a-z0-9-]+)\//.exec(input);
    if (m) found.add(m[1]!);
  }
  return [...found].sort();
}

describe('AWS SDK clients per function bundle', () => {
  const functions = readdirSync(join(REPO_ROOT, 'functions'));

  it('knows every function', () => {
    expect(functions.sort()).toEqual(Object.keys(USES).sort());
  });

  it.each(Object.entries(USES))('bundles only the clients %s uses', async (fn, uses) => {
    expect(await sdkClientsIn(join(REPO_ROOT, 'functions', fn, 'handler.ts'))).toEqual([...uses].sort());
  });
});
