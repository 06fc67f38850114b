import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CLOUDFORMATION_SCHEMA } from '../../local/definitions';
import { parseYaml } from '../../shared/yaml';
import type { CfnTemplate } from './cfn-spec';

export const REPO_ROOT = resolve(__dirname, '../..');
const SLS = join(REPO_ROOT, 'node_modules/osls/bin/serverless.js');

export interface PackagedService {
  stage: string;
  /** Directory holding the template and the function zips (outside the repo, so parallel runs do not collide). */
  dir: string;
  template: CfnTemplate;
  /** Everything `sls package` printed, stdout and stderr. */
  output: string;
}

/**
 * Runs `sls package` the way a fresh clone would, but with no way to reach AWS: credentials and profiles
 * are removed from the environment, so anything that needs an account fails here rather than at deploy.
 */
export async function packageService(stage: string, params: Record<string, string> = {}): Promise<PackagedService> {
  const dir = mkdtempSync(join(tmpdir(), `sls-package-${stage}-`));
  const output = await sls(['package', '--stage', stage, '--package', dir, ...Object.entries(params).map(([k, v]) => `--param=${k}=${v}`)]);
  const template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
  return { stage, dir, template, output };
}

/** `sls print`: the configuration with every variable resolved, as JSON. */
export async function printConfig(stage: string, path: string): Promise<unknown> {
  return JSON.parse(await sls(['print', '--stage', stage, '--format', 'json', '--path', path]));
}

/** An `sls` run with no AWS credentials, profile or instance metadata to fall back on. */
function sls(args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (/^AWS_/.test(name)) delete env[name];
  const nowhere = join(tmpdir(), 'stream-sentinel-no-aws-config');
  Object.assign(env, {
    AWS_SHARED_CREDENTIALS_FILE: nowhere,
    AWS_CONFIG_FILE: nowhere,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    FORCE_COLOR: '0',
  });
  return new Promise((ok, fail) => {
    execFile(
      process.execPath,
      [SLS, ...args],
      { cwd: REPO_ROOT, env, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return fail(new Error(`sls ${args.join(' ')} failed:\n${stdout}${stderr}`));
        ok(args[0] === 'print' ? stdout : `${stdout}${stderr}`);
      },
    );
  });
}

/** serverless.yml's `params` for a stage, as `${param:…}` resolves them: CLI over stage over default. */
export function stageParams(stage: string, cli: Record<string, string> = {}): Record<string, unknown> {
  const doc = parseYaml(readFileSync(join(REPO_ROOT, 'serverless.yml'), 'utf8'), CLOUDFORMATION_SCHEMA) as {
    params?: Record<string, Record<string, unknown>>;
  };
  return { ...doc.params?.default, ...doc.params?.[stage], ...cli };
}
