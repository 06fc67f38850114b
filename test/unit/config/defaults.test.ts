import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYaml } from '../../../shared/yaml';
import { CFN_SCHEMA } from '../../../shared/sql/sources';
import { CONFIG_DEFAULTS } from '../../../shared/config/env';

/**
 * serverless.yml's `params.default` is what a deploy passes when a stage sets nothing; the code's defaults
 * (CONFIG_DEFAULTS) are what runs when nothing is passed (local mode, tests, `sls invoke local`). They must be the
 * same numbers, so a value has one meaning whichever way a function is started.
 */
describe('configuration defaults', () => {
  // CloudFormation's short tags (!Ref …) appear elsewhere in the file; import-sql's schema reads them.
  const text = readFileSync(join(__dirname, '../../../serverless.yml'), 'utf8');
  const params = (parseYaml(text, CFN_SCHEMA) as { params: { default: Record<string, unknown> } }).params.default;

  it.each([
    ['windowSeconds', CONFIG_DEFAULTS.windowSeconds],
    ['anomalyThreshold', CONFIG_DEFAULTS.anomalyThreshold],
    ['dataRetentionDays', CONFIG_DEFAULTS.retentionDays],
    ['alertCooldownSeconds', CONFIG_DEFAULTS.alertCooldownSeconds],
    ['alertDigestThreshold', CONFIG_DEFAULTS.alertDigestThreshold],
    ['alertClaimTimeoutSeconds', CONFIG_DEFAULTS.alertClaimTimeoutSeconds],
    ['keysPartitioned', CONFIG_DEFAULTS.keysPartitioned],
  ])("serverless.yml's default %s is the code's default", (param, value) => {
    expect(params[param]).toBe(value);
  });
});
