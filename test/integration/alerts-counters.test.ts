import { DynamoDBClient, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeserializeMiddleware } from '@smithy/types';
import { COUNTED_WINDOWS, runAlerts, type AlertPublisher } from '../../shared/alerts';
import { DynamoAlertStore } from '../../shared/store/alerts';
import { cooldownPk, COOLDOWN_SK } from '../../shared/store/keys';
import { T0, bodies, iso, startAlertsHarness, windowItem, type AlertsHarness } from './alerts-fixtures';

/**
 * The held-back counter under the failures DynamoDB clients really see: the write is applied but its answer is lost
 * (the SDK retries the same request), and a run dies between counting and marking its items (another run takes the
 * claims over). Either way one held-back window is counted once.
 */

/** A document client on dynalite whose first held-back-count update is applied, then answered with a reset socket. */
function losingClient(endpoint: string) {
  const low = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const seen = { countUpdates: 0, lost: 0 };
  const loseFirstAnswer: DeserializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => async (args) => {
    const input = (args as { input?: { UpdateExpression?: string } }).input;
    const isCount = input?.UpdateExpression?.includes('suppressed :n') ?? false;
    if (isCount) seen.countUpdates++;
    const result = await next(args);
    if (isCount && seen.lost === 0) {
      seen.lost++;
      // Inside the SDK's retry step, so the SDK sends the very same request again, as after a lost answer.
      throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', $metadata: {} });
    }
    return result;
  };
  low.middlewareStack.add(loseFirstAnswer, { step: 'deserialize', name: 'loseFirstCountAnswer' });
  const client = DynamoDBDocumentClient.from(low, { marshallOptions: { removeUndefinedValues: true } });
  return { client, seen };
}

describe('held-back counter against dynalite', () => {
  let h: AlertsHarness;
  beforeEach(async () => {
    h = await startAlertsHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const cooldown = () => h.get(cooldownPk('toll-stations', '183A'), COOLDOWN_SK);

  it('counts a held-back anomaly once when the answer to its count was lost and the SDK retried the update', async () => {
    await h.put([windowItem({ key: '183A', startMs: T0, score: 4 })]);
    expect(await h.runner()()).toMatchObject({ sent: 1 });

    h.clock.now += 60_000;
    await h.put([windowItem({ key: '183A', startMs: T0 + 10_000, score: 4.2 })]);
    const { client, seen } = losingClient(h.db.endpoint);
    try {
      expect(await h.runner({ documentClient: client })()).toMatchObject({ suppressed: 1, sent: 0 });
    } finally {
      client.destroy();
    }
    // The first answer was lost and the SDK sent the update again (it failed its version condition).
    expect(seen).toEqual({ countUpdates: 2, lost: 1 });
    expect(await cooldown()).toMatchObject({ suppressed: 1 });
    expect(await h.get('W#toll-stations#183A', iso(T0 + 10_000))).toMatchObject({ suppressedBy: 'msg-1' });

    h.clock.now += 900_000;
    await h.put([windowItem({ key: '183A', startMs: T0 + 20_000, score: 4.1 })]);
    expect(await h.runner()()).toMatchObject({ sent: 1 });
    expect(bodies(h.published[1]!).email).toContain('1 more anomaly of this key since');
  });

  it('counts a held-back anomaly once when a run died after counting it and another run took its claim over', async () => {
    await h.put([windowItem({ key: '183A', startMs: T0, score: 4 })]);
    expect(await h.runner()()).toMatchObject({ sent: 1 });

    h.clock.now += 60_000;
    await h.put([windowItem({ key: '183A', startMs: T0 + 10_000, score: 4.2 })]);
    // A run that dies after the count, before it marks the item suppressed.
    class DyingStore extends DynamoAlertStore {
      override async suppress(): Promise<boolean> {
        throw new Error('the run died');
      }
    }
    const publisher: AlertPublisher = { publish: async () => ({ messageId: 'never' }) };
    const common = { publisher, cooldownSeconds: 900, digestThreshold: 5, claimTimeoutSeconds: 300, defaultThreshold: 2 };
    await expect(
      runAlerts({ ...common, store: new DyingStore({ client: h.client, tableName: h.tableName }), now: () => h.clock.now }),
    ).rejects.toThrow('the run died');
    expect(await cooldown()).toMatchObject({ suppressed: 1 });

    // After the claim timeout a new run takes the item over and holds it back again: the count stays at one.
    h.clock.now += 301_000;
    const store = new DynamoAlertStore({ client: h.client, tableName: h.tableName });
    expect(await runAlerts({ ...common, store, now: () => h.clock.now })).toMatchObject({ claimed: 1, suppressed: 1 });
    expect(await cooldown()).toMatchObject({ suppressed: 1 });
    expect(await h.pending()).toEqual([]);
  });

  it('keeps the cooldown item small however many windows it holds back (fixed-size list of counted windows)', async () => {
    const key = 'k'.repeat(512);
    await h.put([windowItem({ key, startMs: T0, score: 4 })]);
    expect(await h.runner()()).toMatchObject({ sent: 1 });
    for (let batch = 1; batch <= 3; batch++) {
      h.clock.now += 60_000;
      await h.put(Array.from({ length: 40 }, (_, i) => windowItem({ key, startMs: T0 + (batch * 40 + i) * 10_000, score: 4.1 })));
      expect(await h.runner()()).toMatchObject({ suppressed: 40 });
    }
    const item = (await h.get(cooldownPk('toll-stations', key), COOLDOWN_SK))!;
    expect(item).toMatchObject({ suppressed: 120 });
    expect(item.counted).toHaveLength(COUNTED_WINDOWS);
    // Attribute names and values as DynamoDB counts them, roughly: far below the 400 KB item limit, and fixed.
    expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan(3 * 1024);
  });
});
