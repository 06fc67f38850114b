import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { resolveTarget } from '../../../shared/producers/target';

const ROOT = resolve(__dirname, '../../..');

describe('produce on the command line', () => {
  it('--print | head: the reader closing the pipe ends the output quietly, exit 0, no stack trace', async () => {
    const child = spawn(process.execPath, ['bin/stream-sentinel.js', 'produce', '--scenario', 'toll', '--print', '--duration', '2h'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const firstLine = await new Promise<string>((ok) => child.stdout.once('data', (d: Buffer) => ok(d.toString().split('\n')[0]!)));
    child.stdout.destroy(); // what `head` does once it has its lines
    const code = await new Promise<number | null>((ok) => child.on('close', ok));
    expect(firstLine).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z,[^,]+,[A-Z]+$/);
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Error/);
  });

  it('--stage without a region names --region and AWS_REGION', async () => {
    const saved = { ...process.env };
    try {
      delete process.env.AWS_REGION;
      delete process.env.AWS_DEFAULT_REGION;
      delete process.env.AWS_PROFILE;
      process.env.AWS_CONFIG_FILE = resolve(ROOT, 'no-such-aws-config');
      process.env.AWS_SHARED_CREDENTIALS_FILE = resolve(ROOT, 'no-such-aws-credentials');
      await expect(resolveTarget({ stage: 'dev' })).rejects.toThrow(
        /no AWS region for --stage dev: pass --region <region>.*set AWS_REGION/,
      );
    } finally {
      process.env = saved;
    }
  });
});
