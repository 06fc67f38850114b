import { PublishCommand } from '@aws-sdk/client-sns';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { runAlerts } from '../../shared/alerts';
import { DynamoAlertStore } from '../../shared/store/alerts';
import { cooldownPk } from '../../shared/store/keys';
import { SnsAlertPublisher } from '../../shared/aws/sns-publisher';
import { snsClient } from '../../shared/aws/sns';
import { gsm7Length, isSafeText } from '../../shared/alerts/text';
import { AlertsDeliveryError } from '../../functions/alerts/handler';
import { T0, TOPIC_ARN, bodies, iso, startAlertsHarness, windowItem, type AlertsHarness } from './alerts-fixtures';

describe('alerts function against dynalite (SNS mocked)', () => {
  let h: AlertsHarness;
  beforeEach(async () => {
    h = await startAlertsHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('reads every page of the pending-alerts index, and only pending items, then leaves the index empty', async () => {
    const pending = Array.from({ length: 45 }, (_, i) => windowItem({ key: `S${String(i).padStart(2, '0')}`, score: 4 + i / 100 }));
    const quiet = Array.from({ length: 150 }, (_, i) => windowItem({ key: `Q${i}`, score: 9, pending: false }));
    await h.put([...pending, ...quiet]);

    const summary = await h.runner({ pageSize: 7, digestThreshold: 1000, cooldownSeconds: 0 })();

    expect(summary.pages).toBeGreaterThanOrEqual(7);
    expect(summary.seen).toBe(45);
    expect(summary.sent).toBe(45);
    expect(h.published).toHaveLength(45);
    expect(new Set(h.published.map((p) => p.MessageAttributes?.key?.StringValue))).toEqual(new Set(pending.map((p) => p.key)));
    expect(await h.pending()).toEqual([]);
    const first = await h.get('W#toll-stations#S00', iso(T0));
    expect(first).toMatchObject({ notifiedAt: iso(h.clock.now), messageId: expect.stringMatching(/^msg-/) });
    expect(first).not.toHaveProperty('pendingAlert');
    expect(first).not.toHaveProperty('claimedAt');
    const untouched = await h.get('W#toll-stations#Q0', iso(T0));
    expect(untouched).not.toHaveProperty('notifiedAt');
  });

  it('publishes each anomaly once when two runs overlap', async () => {
    const items = Array.from({ length: 40 }, (_, i) => windowItem({ key: `K${i}`, score: 5 }));
    await h.put(items);

    const [a, b] = await Promise.all([h.runner({ digestThreshold: 1000 })(), h.runner({ digestThreshold: 1000 })()]);

    expect(a.claimed + b.claimed).toBe(40);
    expect(h.published).toHaveLength(40);
    const keys = h.published.map((p) => p.MessageAttributes?.key?.StringValue);
    expect(new Set(keys).size).toBe(40);
    const ids = new Set([...a.messageIds, ...b.messageIds]);
    for (const item of items) {
      const stored = await h.get(item.pk as string, item.sk as string);
      expect(stored?.pendingAlert).toBeUndefined();
      expect(ids.has(stored?.messageId as string)).toBe(true);
    }
  });

  it('sends one message per key even when overlapping runs hold different windows of that key', async () => {
    const items = ['A', 'B', 'C'].flatMap((key) => [0, 1, 2, 3].map((w) => windowItem({ key, startMs: T0 + w * 10_000, score: 4 })));
    await h.put(items);

    await Promise.all([h.runner()(), h.runner()()]);
    // A run that found another one mid-publish left its windows pending; the next run holds them back.
    h.clock.now += 60_000;
    await h.runner()();

    expect(h.published.map((p) => p.MessageAttributes?.key?.StringValue).sort()).toEqual(['A', 'B', 'C']);
    expect(await h.pending()).toEqual([]);
    for (const item of items) {
      const stored = await h.get(item.pk as string, item.sk as string);
      const cover = (stored?.messageId ?? stored?.suppressedBy) as string;
      const message = h.published.find((p) => p.MessageAttributes?.key?.StringValue === item.key);
      expect(cover).toBe(`msg-${h.published.indexOf(message!) + 1}`);
    }
  });

  it('leaves a key to the run that is publishing about it, and holds its other windows back on the next run', async () => {
    const items = [0, 1, 2, 3].map((w) => windowItem({ key: 'SH130', startMs: T0 + w * 10_000, score: 4 }));
    await h.put(items);
    const sns = new SnsAlertPublisher(snsClient(), TOPIC_ARN);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let publishing!: () => void;
    const started = new Promise<void>((resolve) => (publishing = resolve));
    const slow = { publish: async (m: Parameters<SnsAlertPublisher['publish']>[0]) => (publishing(), await gate, sns.publish(m)) };

    const first = h.runner({ publisher: slow, maxItems: 2 })();
    await started;
    const second = await h.runner()();
    expect(second).toMatchObject({ claimed: 2, deferred: 2, sent: 0 });
    open();
    expect(await first).toMatchObject({ claimed: 2, sent: 1, notified: 2 });

    h.clock.now += 60_000;
    expect(await h.runner()()).toMatchObject({ claimed: 2, suppressed: 2, sent: 0 });
    expect(h.published).toHaveLength(1);
    for (const item of items) {
      const stored = await h.get(item.pk as string, item.sk as string);
      expect(stored?.messageId ?? stored?.suppressedBy).toBe('msg-1');
    }
  });

  it('leaves an anomaly pending when the publish fails, and sends it on the next run', async () => {
    await h.put([windowItem({ key: '183A', score: 6 })]);
    h.failNextPublishes.push(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' }));
    const metrics = new Metrics({ namespace: 'Test' });
    const added = jest.spyOn(metrics, 'addMetric');

    await expect(h.runner()(metrics)).rejects.toThrow(AlertsDeliveryError);

    expect(added).toHaveBeenCalledWith('AlertsFailed', 'Count', 1);
    expect(await h.pending()).toEqual([{ pk: 'W#toll-stations#183A', sk: iso(T0) }]);
    const kept = await h.get('W#toll-stations#183A', iso(T0));
    expect(kept).not.toHaveProperty('claimedAt');
    // The failed run's cooldown is undone: the retry is not held back by a message that never went out.
    expect(await h.get(cooldownPk('toll-stations', '183A'), 'COOLDOWN')).toBeUndefined();

    h.clock.now += 60_000;
    const retry = await h.runner()(metrics);
    expect(retry.sent).toBe(1);
    expect(h.sns.commandCalls(PublishCommand)).toHaveLength(2);
    expect(h.published).toHaveLength(1);
    expect(await h.pending()).toEqual([]);
    expect(await h.get('W#toll-stations#183A', iso(T0))).toMatchObject({ messageId: 'msg-1' });
  });

  it('re-sends an anomaly after the claim timeout when a run died between publishing and clearing', async () => {
    await h.put([windowItem({ key: '183A', score: 6 })]);
    class CrashAfterPublish extends DynamoAlertStore {
      override async complete(): Promise<boolean> {
        throw new Error('the container was killed');
      }
    }
    const options = (store: DynamoAlertStore) => ({
      store,
      publisher: new SnsAlertPublisher(snsClient(), TOPIC_ARN),
      cooldownSeconds: 900,
      digestThreshold: 5,
      claimTimeoutSeconds: 300,
      defaultThreshold: 2,
      now: () => h.clock.now,
    });
    const store = new DynamoAlertStore({ client: h.client, tableName: h.tableName });

    await expect(runAlerts(options(new CrashAfterPublish({ client: h.client, tableName: h.tableName })))).rejects.toThrow('killed');
    expect(h.published).toHaveLength(1);

    h.clock.now += 120_000;
    const early = await runAlerts(options(store));
    expect(early).toMatchObject({ claimed: 0, sent: 0 });
    expect(await h.pending()).toHaveLength(1);

    h.clock.now += 200_000;
    const retried = await runAlerts(options(store));
    expect(retried).toMatchObject({ claimed: 1, sent: 1 });
    expect(h.published).toHaveLength(2);
    expect(await h.get('W#toll-stations#183A', iso(T0))).toMatchObject({ messageId: 'msg-2' });
    expect(await h.pending()).toEqual([]);
  });

  it('holds back further anomalies of a key during its cooldown, tells about them in the next alert, and lets a more severe one through', async () => {
    const run = () => h.runner({ cooldownSeconds: 900 })();
    await h.put([windowItem({ key: '183A', startMs: T0, score: 4 })]);
    await run();
    expect(h.published).toHaveLength(1);

    for (const w of [1, 2]) {
      h.clock.now += 60_000;
      await h.put([windowItem({ key: '183A', startMs: T0 + w * 10_000, score: 4.2 })]);
      const s = await run();
      expect(s).toMatchObject({ suppressed: 1, sent: 0 });
    }
    expect(h.published).toHaveLength(1);
    expect(await h.get('W#toll-stations#183A', iso(T0 + 10_000))).toMatchObject({
      suppressedBy: 'msg-1',
      suppressedAt: expect.any(String),
    });
    expect(await h.get('W#toll-stations#183A', iso(T0 + 10_000))).not.toHaveProperty('pendingAlert');
    // Another key is not affected by 183A's cooldown.
    await h.put([windowItem({ key: 'TX45', startMs: T0 + 20_000, score: 4 })]);
    expect(await run()).toMatchObject({ sent: 1, suppressed: 0 });

    h.clock.now += 900_000;
    await h.put([windowItem({ key: '183A', startMs: T0 + 30_000, score: 4.1 })]);
    expect(await run()).toMatchObject({ sent: 1 });
    const afterCooldown = bodies(h.published[2]!);
    expect(afterCooldown.email).toContain('2 more anomalies of this key since');
    expect(afterCooldown.email).toContain('held back by the alert cooldown');

    // Critical (score >= 1.5 x threshold) breaks through a cooldown opened by a warning.
    h.clock.now += 60_000;
    await h.put([windowItem({ key: '183A', startMs: T0 + 40_000, score: 6 })]);
    expect(await run()).toMatchObject({ sent: 1, suppressed: 0 });
    expect(h.published[3]!.MessageAttributes?.severity?.StringValue).toBe('critical');
    expect(h.published[3]!.Subject).toMatch(/^CRITICAL: Anomaly in toll-stations at 183A/);
  });

  it('folds several pending windows of one key into one message', async () => {
    await h.put([0, 1, 2].map((w) => windowItem({ key: 'Exit66', startMs: T0 + w * 10_000, score: 4 + w / 10 })));
    expect(await h.runner()()).toMatchObject({ sent: 1, notified: 3 });
    const { email, sms } = bodies(h.published[0]!);
    expect(h.published[0]!.Subject).toContain('3 anomalies in toll-stations at Exit66');
    expect(email).toContain('Also anomalous for this key (2 more windows');
    expect(sms).toContain('(+2 more windows)');
  });

  it('sends one digest when more alerts are due than the digest threshold, and marks every item with its id', async () => {
    const items = [
      ...Array.from({ length: 6 }, (_, i) => windowItem({ key: `Exit${i}`, score: 4 + i / 10 })),
      windowItem({ detector: 'wind-speed', key: 'farm-7', score: 9 }),
    ];
    await h.put(items);

    const summary = await h.runner({ digestThreshold: 5 })();

    expect(summary).toMatchObject({ sent: 1, digests: 1, notified: 7 });
    const [digest] = h.published;
    expect(digest!.MessageAttributes).toMatchObject({
      detector: { DataType: 'String', StringValue: 'multiple' },
      key: { DataType: 'String', StringValue: 'multiple' },
      severity: { DataType: 'String', StringValue: 'critical' },
      kind: { DataType: 'String', StringValue: 'digest' },
    });
    expect(digest!.Subject!.length).toBeLessThanOrEqual(100);
    const { email, sms } = bodies(digest!);
    for (const item of items) expect(email).toContain(item.pk as string);
    expect(email.indexOf('wind-speed at farm-7')).toBeLessThan(email.indexOf('toll-stations at Exit5'));
    expect(gsm7Length(sms)).toBeLessThanOrEqual(150);
    expect(sms).toMatch(/^CRITICAL: 7 anomalies on 7 keys\. Top: wind-speed\/farm-7 9\.00/);
    for (const item of items) expect(await h.get(item.pk as string, item.sk as string)).toMatchObject({ messageId: 'msg-1' });

    // At the threshold, each key gets its own message.
    await h.put(
      items.slice(0, 5).map((i) => ({ ...i, sk: iso(T0 + 10_000), windowStart: iso(T0 + 10_000), pendingAlert: 'toll-stations' })),
    );
    h.clock.now += 1_000_000;
    expect(await h.runner({ digestThreshold: 5 })()).toMatchObject({ sent: 5, digests: 0 });
  });

  it('sends nothing below the threshold, comparing numbers as numbers, and clears such markers', async () => {
    await h.put([
      windowItem({ key: 'below', score: 1.99, threshold: 2 }),
      windowItem({ key: 'unscored', extra: { score: undefined, scored: false } }),
      windowItem({ key: 'ten', score: 10, threshold: 3 }),
      windowItem({ key: 'text-ten', score: '10', threshold: 3 }),
      windowItem({ key: 'exact', score: 2, threshold: 2 }),
      {
        pk: 'H#pickups',
        sk: iso(T0),
        type: 'hotspots',
        detector: 'pickups',
        windowStart: iso(T0),
        windowEnd: iso(T0 + 10_000),
        threshold: 4,
        hotspots: [{ density: 3.9, count: 8, centroid: [40.7, -74], minValues: [40.69, -74.01], maxValues: [40.71, -73.99] }],
        pendingAlert: 'pickups',
      },
      {
        pk: 'H#pickups',
        sk: iso(T0 + 10_000),
        type: 'hotspots',
        detector: 'pickups',
        windowStart: iso(T0 + 10_000),
        windowEnd: iso(T0 + 20_000),
        threshold: 4,
        hotspots: [
          { density: 3, count: 6, centroid: [40.6, -73.9] },
          { density: 7.5, count: 30, centroid: [40.758, -73.9855], minValues: [40.75, -73.99], maxValues: [40.76, -73.98] },
        ],
        pendingAlert: 'pickups',
      },
    ]);

    const summary = await h.runner({ digestThreshold: 100, cooldownSeconds: 0 })();

    expect(summary).toMatchObject({ claimed: 7, skipped: 3, sent: 4 });
    expect(h.published.map((p) => p.MessageAttributes?.key?.StringValue).sort()).toEqual(['*', 'exact', 'ten', 'text-ten']);
    expect(await h.get('W#toll-stations#below', iso(T0))).toMatchObject({ alertSkipped: 'score 1.99 is below the threshold 2' });
    expect(await h.get('W#toll-stations#unscored', iso(T0))).toMatchObject({ alertSkipped: 'the window is not scored' });
    expect(await h.get('H#pickups', iso(T0))).toMatchObject({ alertSkipped: 'no hotspot reaches the threshold 4' });
    expect(await h.pending()).toEqual([]);
    const hotspot = h.published.find((p) => p.MessageAttributes?.detector?.StringValue === 'pickups')!;
    expect(hotspot.Subject).toContain('Hotspot in pickups: density 7.5 >= 4');
    expect(bodies(hotspot).email).toContain(
      'density 7.5, 30 points, centred at latitude 40.76, longitude -73.99, within latitude 40.75..40.76, longitude -73.99..-73.98',
    );
    expect(bodies(hotspot).email).not.toContain('density 3,');
  });

  it('says what a person needs: the seed wording, window, aggregates, score against threshold, attribution and the table key', async () => {
    await h.put([windowItem({ key: '183A', score: 4.257, count: 950 })]);
    await h.runner()();
    const [p] = h.published;
    expect(p).toMatchObject({
      TopicArn: TOPIC_ARN,
      MessageStructure: 'json',
      Subject: 'Anomaly in toll-stations at 183A: score 4.26 >= 3.5, 2026-01-01 00:00:00 UTC',
    });
    expect(p!.MessageAttributes).toEqual({
      detector: { DataType: 'String', StringValue: 'toll-stations' },
      key: { DataType: 'String', StringValue: '183A' },
      severity: { DataType: 'String', StringValue: 'warning' },
      kind: { DataType: 'String', StringValue: 'alert' },
      count: { DataType: 'String', StringValue: '1' },
    });
    const { email, sms, default: fallback } = bodies(p!);
    expect(fallback).toBe(email);
    expect(email).toContain(
      'Anomalous data detected at station 183A. Total vehicles detected was 950. The anomaly score was 4.26, at or above your configured threshold of 3.5.',
    );
    expect(email).toContain('Window:     2026-01-01 00:00:00 UTC to 00:00:10 UTC');
    expect(email).toContain('Observed:   count 950');
    expect(email).toContain('Score:      4.26 against the threshold 3.5 (1.22x), warning');
    expect(email).toContain('Driven by:  count, higher than usual (100% of the score)');
    expect(email).toContain(`Data:       table ${h.tableName}, pk W#toll-stations#183A, sk 2026-01-01T00:00:00.000Z`);
    expect(sms).toBe(
      'Anomalous data detected at station 183A. Total vehicles detected was 950. The anomaly score was 4.26, at or above your configured threshold of 3.5.',
    );
    expect(gsm7Length(sms)).toBeLessThanOrEqual(150);
  });

  it('publishes a hostile key with its control and bidi characters escaped in subject, SMS, email and attributes', async () => {
    const key = '183A\r\nData:       table evil\nURGENT call +44 20 7946 0000\u0007\u202Eevil';
    await h.put([windowItem({ key, score: 4.26 })]);
    expect(await h.runner()()).toMatchObject({ sent: 1 });
    const input = h.published[0]!;
    const { email, sms, default: full } = bodies(input);
    // The email's own line breaks are its only unsafe characters.
    for (const text of [input.Subject!, sms, email.replace(/\n/g, ''), full.replace(/\n/g, ''), ...Object.values(input.MessageAttributes ?? {}).map((a) => a.StringValue!)]) {
      expect(isSafeText(text)).toBe(true);
    }
    expect(sms).not.toContain('\n');
    expect(email.split('\n').filter((l) => l.startsWith('URGENT') || l.startsWith('Data:       table evil'))).toEqual([]);
    expect(input.MessageAttributes?.key?.StringValue).toBe('183A\\u000D\\u000AData:       table evil\\u000AURGENT call +44 20 7946 0000\\u0007\\u202Eevil');
    // The item itself is found and marked under its real key.
    expect(await h.get(`W#toll-stations#${key}`, iso(T0))).toMatchObject({ messageId: 'msg-1' });
  });

  it('tells what the window usually holds and its grade when the item carries expected and grade', async () => {
    await h.put([windowItem({ key: '183A', score: 4.26, count: 141, extra: { expected: { count: 12 }, grade: 0.99 } })]);
    expect(await h.runner()()).toMatchObject({ sent: 1 });
    const { email } = bodies(h.published[0]!);
    expect(email).toContain('Observed:   count 141 (usually about 12)');
    expect(email).toContain('Grade:      0.99 of 1');
  });
});
