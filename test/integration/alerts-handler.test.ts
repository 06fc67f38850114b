import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PublishCommand } from '@aws-sdk/client-sns';
import { lambdaContext } from '../factories/kinesis';
import { T0, TOPIC_ARN, bodies, iso, startAlertsHarness, windowItem, type AlertsHarness } from './alerts-fixtures';

/** The deployed entry point: configuration from the environment, detectors.yml from the repository, the sample event. */
describe('alerts handler (default instance) with the sample schedule event', () => {
  let h: AlertsHarness;
  const saved = { ...process.env };
  beforeAll(async () => {
    h = await startAlertsHarness();
    Object.assign(process.env, {
      TABLE_NAME: h.tableName,
      TOPIC_ARN,
      AWS_ENDPOINT_URL_DYNAMODB: h.db.endpoint,
      ALERT_COOLDOWN_SECONDS: '900',
      ALERT_DIGEST_THRESHOLD: '5',
      ALERT_CLAIM_TIMEOUT_SECONDS: '300',
    });
  });
  afterAll(async () => {
    process.env = saved;
    await h.close();
  });

  it('sends the pending anomaly with the wording of detectors.yml and marks it notified', async () => {
    await h.put([windowItem({ key: '183A', score: 4.25, count: 950, startMs: T0 })]);
    const event = JSON.parse(readFileSync(resolve(__dirname, '../../events/alerts-schedule.json'), 'utf8'));
    const { handler } = await import('../../functions/alerts/handler');

    const summary = await handler(event, lambdaContext());

    expect(summary).toMatchObject({ claimed: 1, sent: 1, notified: 1, failed: 0 });
    expect(h.sns.commandCalls(PublishCommand)).toHaveLength(1);
    // detectors.yml's toll-stations template, not the default wording.
    expect(bodies(h.published[0]!).sms).toBe(
      'Toll station 183A: 950 vehicles in the 10 s from 2026-01-01 00:00:00 UTC, anomaly score 4.25 (threshold 3.5).',
    );
    expect(await h.get('W#toll-stations#183A', iso(T0))).toMatchObject({ messageId: 'msg-1', notifiedAt: expect.any(String) });
    expect(await h.pending()).toEqual([]);

    // The next scheduled run finds nothing to send.
    expect(await handler(event, lambdaContext())).toMatchObject({ seen: 0, sent: 0 });
  });
});
