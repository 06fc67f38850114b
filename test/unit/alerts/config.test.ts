import { AlertsConfigError, readAlertsConfig } from '../../../shared/config/alerts';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:stream-sentinel-dev-alerts';

describe('alerts function configuration', () => {
  it('reads the environment with the stack defaults', () => {
    expect(readAlertsConfig({ TABLE_NAME: 'data', TOPIC_ARN: TOPIC })).toEqual({
      tableName: 'data',
      topicArn: TOPIC,
      cooldownSeconds: 900,
      digestThreshold: 5,
      claimTimeoutSeconds: 300,
      defaultThreshold: 2,
      retentionDays: 30,
    });
    expect(
      readAlertsConfig({
        TABLE_NAME: 'data',
        TOPIC_ARN: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:t',
        ALERT_COOLDOWN_SECONDS: '0',
        ALERT_DIGEST_THRESHOLD: '10',
        ALERT_CLAIM_TIMEOUT_SECONDS: '120',
        ANOMALY_THRESHOLD: '2.5',
        DETECTORS_FILE: '/x.yml',
      }),
    ).toMatchObject({ cooldownSeconds: 0, digestThreshold: 10, claimTimeoutSeconds: 120, defaultThreshold: 2.5, detectorsFile: '/x.yml' });
  });

  it('says what to fix, for every problem at once', () => {
    let error: unknown;
    try {
      readAlertsConfig({ TOPIC_ARN: 'stream-sentinel-dev-alerts', ALERT_COOLDOWN_SECONDS: '15m', ALERT_DIGEST_THRESHOLD: '0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AlertsConfigError);
    const message = (error as Error).message;
    expect(message).toContain('TABLE_NAME is not set');
    expect(message).toContain('TOPIC_ARN must be an SNS topic ARN');
    expect(message).toContain('ALERT_COOLDOWN_SECONDS must be a number');
    expect(message).toContain('ALERT_DIGEST_THRESHOLD must be a whole number of alerts, at least 1');
  });
});
