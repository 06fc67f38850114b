import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * `sls` loads serverless/checks.js (a plugin) before it builds any AWS SDK v3 client: the plugin turns off the SDK's
 * Node-version notice for the process, unless the user set the variable themselves.
 */
const CHECKS = resolve(__dirname, '../../../serverless/checks.js');
const run = promisify(execFile);

async function envAfterLoading(value: string | undefined): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  if (value !== undefined) env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = value;
  const { stdout } = await run(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(CHECKS)}); process.stdout.write(String(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED))`,
    ],
    { env, timeout: 60_000 },
  );
  return stdout;
}

describe('sls plugin serverless/checks.js', () => {
  it('silences the AWS SDK Node-version warning for the sls process', async () => {
    expect(await envAfterLoading(undefined)).toBe('true');
  }, 90_000);

  it('leaves a value the user set alone', async () => {
    expect(await envAfterLoading('false')).toBe('false');
  }, 90_000);
});
