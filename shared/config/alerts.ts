import * as z from 'zod/mini';
import { StreamSentinelError } from '../errors';
import { CONFIG_DEFAULTS, envNumber, sharedEnv } from './env';

/** The alerts function's environment (docs/architecture.md), read and validated once at cold start. */
export interface AlertsConfig {
  tableName: string;
  topicArn: string;
  cooldownSeconds: number;
  digestThreshold: number;
  claimTimeoutSeconds: number;
  /** For items written without a threshold whose detector sets none either. */
  defaultThreshold: number;
  retentionDays: number;
  detectorsFile?: string;
}

export class AlertsConfigError extends StreamSentinelError {
  override readonly name = 'AlertsConfigError';
}

const wholeAtLeast = (name: string, min: number, unit: string) => (x: number) =>
  Number.isInteger(x) && x >= min ? undefined : `${name} must be a whole number of ${unit}, at least ${min}`;

// An SNS topic ARN in any partition: arn:<partition>:sns:<region>:<account>:<name>.
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

// zod/mini, as the other functions' configuration: the same checks at a fraction of the bundle.
const schema = z.object({
  TABLE_NAME: z
    .string({ error: 'TABLE_NAME is not set: the data table whose pending alerts the function sends' })
    .check(z.trim(), z.minLength(1, 'TABLE_NAME is empty: set it to the data table name')),
  TOPIC_ARN: z
    .string({ error: 'TOPIC_ARN is not set: the SNS topic alerts are published to (the stack output TopicArn)' })
    .check(
      z.trim(),
      z.regex(TOPIC_ARN, 'TOPIC_ARN must be an SNS topic ARN, e.g. arn:aws:sns:us-east-1:123456789012:stream-sentinel-dev-alerts'),
    ),
  ALERT_COOLDOWN_SECONDS: z._default(
    envNumber(
      'ALERT_COOLDOWN_SECONDS',
      'seconds after an alert during which more anomalies of the same key are held back; 0 turns the cooldown off',
      wholeAtLeast('ALERT_COOLDOWN_SECONDS', 0, 'seconds'),
    ),
    CONFIG_DEFAULTS.alertCooldownSeconds,
  ),
  ALERT_DIGEST_THRESHOLD: z._default(
    envNumber(
      'ALERT_DIGEST_THRESHOLD',
      'more alerts than this due in one run are sent as one digest',
      wholeAtLeast('ALERT_DIGEST_THRESHOLD', 1, 'alerts'),
    ),
    CONFIG_DEFAULTS.alertDigestThreshold,
  ),
  ALERT_CLAIM_TIMEOUT_SECONDS: z._default(
    envNumber(
      'ALERT_CLAIM_TIMEOUT_SECONDS',
      'seconds after which an unfinished claim (a run that died) is taken over; keep it above the function timeout',
      wholeAtLeast('ALERT_CLAIM_TIMEOUT_SECONDS', 1, 'seconds'),
    ),
    CONFIG_DEFAULTS.alertClaimTimeoutSeconds,
  ),
  ANOMALY_THRESHOLD: sharedEnv.ANOMALY_THRESHOLD,
  DATA_RETENTION_DAYS: sharedEnv.DATA_RETENTION_DAYS,
  DETECTORS_FILE: z.optional(z.string()),
});

export function readAlertsConfig(env: NodeJS.ProcessEnv = process.env): AlertsConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success)
    throw new AlertsConfigError(`alerts function configuration: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const e = parsed.data;
  return {
    tableName: e.TABLE_NAME,
    topicArn: e.TOPIC_ARN,
    cooldownSeconds: e.ALERT_COOLDOWN_SECONDS,
    digestThreshold: e.ALERT_DIGEST_THRESHOLD,
    claimTimeoutSeconds: e.ALERT_CLAIM_TIMEOUT_SECONDS,
    defaultThreshold: e.ANOMALY_THRESHOLD,
    retentionDays: e.DATA_RETENTION_DAYS,
    ...(e.DETECTORS_FILE ? { detectorsFile: e.DETECTORS_FILE } : {}),
  };
}
