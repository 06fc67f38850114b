import { PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_MAX_ITEMS, DIGEST_OTHER_WINDOWS_LISTED, formatDigest, formatGroup, groupAlerts, OTHER_WINDOWS_LISTED, type Alert } from '../../../shared/alerts';
import { SnsAlertPublisher } from '../../../shared/aws/sns-publisher';
import { alertOf, windowRecord } from './support';

/**
 * SNS refuses a message over 256 KB (message, subject and attributes together): a refused digest would keep its
 * anomalies pending, and refused again, forever. The largest message one run can make (DEFAULT_MAX_ITEMS windows,
 * keys at the shown-length cap in 3-byte characters and full of escapes) must fit.
 */

const SNS_LIMIT = 256 * 1024;
const T0 = Date.parse('2026-01-01T00:00:00Z');

const alert = (key: string, window: number): Alert => {
  const start = new Date(T0 + window * 10_000).toISOString();
  return alertOf(
    windowRecord({
      pk: `W#toll#${key}`,
      sk: start,
      key,
      windowStart: start,
      aggregates: { count: 141, avg_speed: 31.5, max_speed: 48.25 },
      expected: { count: 12, avg_speed: 9, max_speed: 20 },
      grade: 0.99,
      score: 4 + window / 1000,
    }),
  );
};

/** The bytes SNS counts for a publish. */
const publishBytes = (input: PublishCommandInput): number =>
  Buffer.byteLength(input.Message ?? '') +
  Buffer.byteLength(input.Subject ?? '') +
  Object.entries(input.MessageAttributes ?? {}).reduce((n, [name, a]) => n + Buffer.byteLength(name) + Buffer.byteLength(a.DataType ?? '') + Buffer.byteLength(a.StringValue ?? ''), 0);

async function published(message: ReturnType<typeof formatDigest>): Promise<PublishCommandInput> {
  const sns = mockClient(SNSClient);
  let input: PublishCommandInput | undefined;
  sns.on(PublishCommand).callsFake((i: PublishCommandInput) => {
    input = i;
    return { MessageId: 'm' };
  });
  try {
    await new SnsAlertPublisher(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:123456789012:t').publish(message);
  } finally {
    sns.restore();
  }
  return input!;
}

// 3-byte characters and characters that are escaped 6-for-1, past the shown-length cap.
const bigKey = (i: number) => `${'東'.repeat(200)}\n${'\u202e'.repeat(100)}${i}`;

describe('message size', () => {
  it('keeps the largest digest of one run within SNS’s limit, detailing what fits and counting the rest', async () => {
    const keys = 100;
    const alerts = Array.from({ length: DEFAULT_MAX_ITEMS }, (_, i) => alert(bigKey(i % keys), Math.floor(i / keys)));
    const message = formatDigest(groupAlerts(alerts), { tableName: 'stream-sentinel-prod-data' });
    const input = await published(message);
    expect(publishBytes(input)).toBeLessThanOrEqual(SNS_LIMIT);
    expect(message.message).toMatch(/and \d+ more keys \(\d+ anomalies\); each of their items/);
    expect(message.subject).toContain('1000 anomalies on 100 keys');
  });

  it('lists at most DIGEST_OTHER_WINDOWS_LISTED further windows of a key in a digest and counts the rest', () => {
    const alerts = ['a', 'b'].flatMap((key) => Array.from({ length: 30 }, (_, i) => alert(key, i)));
    const { message } = formatDigest(groupAlerts(alerts));
    expect(message.match(/^ {3}also /gm)).toHaveLength(2 * DIGEST_OTHER_WINDOWS_LISTED);
    expect(message.match(/and 19 more windows of this key/g)).toHaveLength(2);
  });

  it('keeps the largest one-key message within SNS’s limit', async () => {
    const alerts = Array.from({ length: DEFAULT_MAX_ITEMS }, (_, i) => alert(bigKey(1), i));
    const message = formatGroup(groupAlerts(alerts)[0]!, { tableName: 'stream-sentinel-prod-data' });
    expect(message.message).toContain(`and ${DEFAULT_MAX_ITEMS - 1 - OTHER_WINDOWS_LISTED} more`);
    expect(publishBytes(await published(message))).toBeLessThanOrEqual(SNS_LIMIT);
  });
});
