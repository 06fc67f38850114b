import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { dump, load } from 'js-yaml';
import { importSql } from '../../cli/commands/import-sql';
import { windowEvent } from '../factories/kinesis';
import { startHarness, type Harness } from './windows-support';

/**
 * count_distinct, conditional aggregates and ratios through the real windows handler against dynalite: the
 * import-sql translation of a KDA click-through application (loaded as deployed, no schema-only), and an
 * event-time detector whose late records merge into stored items (sketch union, conditional sums).
 */

const sqlPath = resolve(__dirname, '../fixtures/sql/clickstream-ctr.sql');
const imported = load(importSql(readFileSync(sqlPath, 'utf8'), sqlPath, {}).yaml) as { detectors: Array<Record<string, unknown>> };
const DETECTORS = dump({
  detectors: [
    ...imported.detectors,
    {
      name: 'shop',
      format: 'json',
      match: { source: 'shop' },
      key: 'store',
      time: { field: 'ts', format: 'epochMillis' },
      windowSeconds: 10,
      aggregates: [
        'count',
        { name: 'buyers', fn: 'count_distinct', field: 'user' },
        { name: 'refunds', fn: 'count', where: { action: 'refund' } },
        { name: 'revenue', fn: 'sum', field: 'amount', where: { action: 'buy' } },
        { name: 'refund_rate', ratio: ['refunds', 'count'] },
      ],
      rcf: { numberOfTrees: 10, subSampleSize: 16, timeDecay: 1000 },
      alertOn: 'score',
    },
  ],
});

const T0 = Date.parse('2026-03-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const ev = (page: string, type: string, user: string) => ({ page, event_type: type, user_id: user });
const shop = (ts: number, user: string, action: string, amount?: number) => ({
  source: 'shop',
  store: 's1',
  ts,
  user,
  action,
  ...(amount === undefined ? {} : { amount }),
});

describe('count_distinct, where and ratio aggregates in the windows function against dynalite', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(DETECTORS);
  }, 60_000);
  afterAll(async () => {
    await h.close();
  });

  it("runs import-sql's translation of a KDA click-through application as deployed: clicks, impressions, ctr and distinct visitors per page", async () => {
    expect(h.detectors.map((d) => d.name)).toEqual(['destination-sql-stream', 'shop']);
    const first = await h.invoke(
      windowEvent({
        windowStart: T0,
        records: [ev('/a', 'impression', 'u1'), ev('/a', 'impression', 'u2'), ev('/a', 'click', 'u1'), ev('/b', 'click', 'u3')],
      }),
    );
    expect(first.batchItemFailures).toEqual([]);
    // The sketches travel in Lambda's state between invokes of one window, as JSON.
    const second = await h.invoke(
      windowEvent({
        windowStart: T0,
        state: JSON.parse(JSON.stringify(first.state)),
        records: [ev('/a', 'impression', 'u3'), ev('/a', 'impression', 'u1'), ev('/a', 'scroll', 'u9')],
      }),
    );
    await h.invoke(windowEvent({ windowStart: T0, state: second.state, final: true }));
    const windows = (await h.items()).filter((i) => i.type === 'window' && i.detector === 'destination-sql-stream');
    expect(windows.map((w) => [w.key, w.aggregates])).toEqual([
      ['/a', { clicks: 1, impressions: 4, ctr: 0.25, visitors: 3 }],
      // No impressions: the ratio is 0 (docs/detectors.md), never NaN, so the window is scored like any other.
      ['/b', { clicks: 1, impressions: 0, ctr: 0, visitors: 1 }],
    ]);
    expect(windows.every((w) => w.scored === true && Array.isArray(w.features))).toBe(true);
    expect(windows[0]!.features).toEqual([0.25, 3]);
    expect(windows[0]!.sketches).toEqual({ visitors: expect.stringMatching(/^s/) });
    // The scroll matched no detector's rule: one reject, counted nowhere else.
    expect(h.rejects.all.map((r) => r.reason)).toEqual([expect.stringContaining('matches no detector')]);
  });

  it('merges late records into the stored window: a buyer seen twice counts once, conditional sums add, the ratio is recomputed, no rescore', async () => {
    const t = T0 + 60_000;
    await h.invoke(
      windowEvent({
        windowStart: t,
        final: true,
        records: [
          shop(t + 1000, 'ann', 'buy', 10),
          shop(t + 2000, 'bob', 'buy', 5),
          shop(t + 3000, 'ann', 'refund'),
          shop(t + 12_000, 'cy', 'buy', 1),
        ],
      }),
    );
    const key = (i: Record<string, unknown>) => i.pk === 'W#shop#s1' && i.sk === iso(t);
    const before = (await h.items()).find(key)!;
    expect(before).toMatchObject({
      count: 3,
      aggregates: { count: 3, buyers: 2, refunds: 1, revenue: 15, refund_rate: 1 / 3 },
      late: false,
    });
    const late = windowEvent({
      windowStart: t + 60_000,
      final: true,
      records: [shop(t + 4000, 'bob', 'refund'), shop(t + 5000, 'dee', 'buy', 7), shop(t + 6000, 'ann', 'buy', 3)],
    });
    await h.invoke(late);
    const after = (await h.items()).find(key)!;
    expect(after).toMatchObject({
      count: 6,
      aggregates: { count: 6, buyers: 3, refunds: 2, revenue: 25, refund_rate: 2 / 6 },
      late: true,
      lateRecords: 3,
      score: before.score,
    });
    expect(after.partials).toEqual({ '|refunds': { sum: 2, min: 0, max: 0 }, '|revenue': { sum: 25, min: 0, max: 0 } });
    // A redelivery of the late batch changes nothing.
    await h.invoke(late);
    expect((await h.items()).find(key)).toEqual(after);
  });
});
