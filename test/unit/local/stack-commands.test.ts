import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { stackInstructions } from '../../../cli/commands/stack';
import { startLocalStack, type LocalStack } from '../../../local/stack';

// `npm run stack` prints aws commands to paste: they must work as printed, in a shell with no AWS settings.
const hasAwsCli = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;

describe('npm run stack: what it prints', () => {
  let stack: LocalStack;
  let text: string;
  beforeAll(async () => {
    stack = await startLocalStack({ stackFile: false });
    text = stackInstructions({ ...stack, stackFile: '(not written)' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('says that nothing consumes the stream in stack mode, and what to use instead', () => {
    expect(text).toContain('no function reads the stream, so records put on it are not processed');
    expect(text).toContain('use `npm start`');
  });

  it('gives every aws command a region, the endpoint and dummy credentials', () => {
    const commands = text.split('\n').filter((l) => / aws /.test(l));
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const c of commands)
      expect(c).toMatch(/AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --region \S+ --endpoint-url http:\/\/127\.0\.0\.1:\d+ /);
  });

  (hasAwsCli ? it : it.skip)('runs each aws command as printed against the emulators (aws CLI installed here)', async () => {
    const commands = text
      .split('\n')
      .filter((l) => / aws /.test(l))
      .map((l) => l.trim());
    // A clean environment: no region, no credentials, no profile to fall back on.
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    };
    // Asynchronously: the emulators answer from this very process.
    for (const command of commands) {
      const { stdout, stderr } = await promisify(execFile)('sh', ['-c', command], { env, encoding: 'utf8', timeout: 60_000 });
      expect({ command, stderr }).toEqual({ command, stderr: '' });
      expect(stdout).toContain(command.includes('kinesis') ? stack.streamName : '"Items"');
    }
  });
});
