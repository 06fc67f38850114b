import { PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../../shared/aws/clients';
import { startLocalStack, type LocalStack } from '../stack';
import { startDashboard, type Dashboard, type FeedEntry } from './server';
import type { KeySeries } from './data';

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });

describe('the dashboard server', () => {
  let stack: LocalStack;
  let dashboard: Dashboard;
  beforeAll(async () => {
    stack = await startLocalStack({ stackFile: false });
    const d = dynamoClient({ endpoint: stack.dynamodbEndpoint });
    const window = (key: string, i: number, count: number, score: number, extra: Record<string, AttributeValue> = {}) =>
      d.send(
        new PutItemCommand({
          TableName: stack.tableName,
          Item: {
            pk: S(`W#toll#${key}`),
            sk: S(new Date(Date.UTC(2026, 0, 1, 0, 0, i * 10)).toISOString()),
            type: S('window'),
            detector: S('toll'),
            key: S(key),
            windowStart: S(new Date(Date.UTC(2026, 0, 1, 0, 0, i * 10)).toISOString()),
            count: N(count),
            score: N(score),
            threshold: N(2),
            ...extra,
          },
        }),
      );
    // Graded windows as shared/store/windows.ts writes them: the alerted one, then one whose alert was suppressed.
    const graded: Record<number, Record<string, AttributeValue>> = {
      3: {
        notifiedAt: S('2026-01-01T00:00:45.000Z'),
        messageId: S('m-1'),
        grade: N(0.93),
        expected: { M: { count: N(12), bytes: { NULL: true } } },
        alertOn: S('grade'),
      },
      4: { grade: N(0.71), expected: { M: { count: N(40) } }, alertOn: S('grade'), suppressed: S('count 44 is within 20% of usual 40') },
    };
    for (let i = 0; i < 5; i++) await window('183A', i, 40 + i, i === 3 ? 3.5 : 0.8, graded[i] ?? {});
    await window('Mopac#N', 0, 7, 0);
    // Other item types share the table and must not show up as series.
    await d.send(new PutItemCommand({ TableName: stack.tableName, Item: { pk: S('M#toll#183A'), sk: S('MODEL'), version: N(1) } }));
    d.destroy();
    stack.sns.capture({ message: 'toll 183A: 43 vehicles, score 3.50' });
    dashboard = await startDashboard({
      client: dynamoClient({ endpoint: stack.dynamodbEndpoint }),
      tableName: stack.tableName,
      messages: () => stack.sns.messages,
      status: () => ({ produced: 10 }),
    });
  });
  afterAll(async () => {
    await dashboard.close();
    await stack.close();
  });

  const get = async (path: string) => {
    const res = await fetch(new URL(path, dashboard.url));
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  };

  it('is served on loopback and loads chart.js from the server itself, not a CDN', async () => {
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get('/');
    expect(page.type).toContain('text/html');
    const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(['/vendor/chart.umd.min.js', '/app.js']);
    const chart = await get('/vendor/chart.umd.min.js');
    expect(chart.status).toBe(200);
    expect(chart.body).toContain('Chart');
    expect(page.body).not.toMatch(/https?:\/\//);
  });

  it("discovers the keys from the window items and returns each key's windows oldest first", async () => {
    const { series } = JSON.parse((await get('/api/series')).body) as { series: KeySeries[] };
    expect(series.map((s) => `${s.detector}/${s.key}`)).toEqual(['toll/183A', 'toll/Mopac#N']);
    const toll = series[0]!;
    expect(toll.points.map((p) => p.count)).toEqual([40, 41, 42, 43, 44]);
    expect(toll.points[3]).toMatchObject({ score: 3.5, threshold: 2, notifiedAt: '2026-01-01T00:00:45.000Z' });
  });

  it("passes each window's grade, usual values, alert rule and suppression reason through", async () => {
    const { series } = JSON.parse((await get('/api/series')).body) as { series: KeySeries[] };
    const points = series[0]!.points;
    expect(points[3]).toMatchObject({ grade: 0.93, expected: { count: 12, bytes: null }, alertOn: 'grade' });
    expect(points[3]!.suppressed).toBeUndefined();
    expect(points[4]).toMatchObject({ grade: 0.71, expected: { count: 40 }, suppressed: 'count 44 is within 20% of usual 40' });
    // Windows written before grading carry none of the fields.
    expect(points[0]).not.toHaveProperty('grade');
    expect(series[1]!.points[0]).not.toHaveProperty('expected');
  });

  it("shows a notified window's grade in the feed of a deployed table (no captured messages)", async () => {
    const deployed = await startDashboard({ client: dynamoClient({ endpoint: stack.dynamodbEndpoint }), tableName: stack.tableName });
    try {
      const res = await fetch(new URL('/api/alerts', deployed.url));
      const { alerts } = (await res.json()) as { alerts: FeedEntry[] };
      expect(alerts).toHaveLength(1);
      expect(alerts[0]!.windows).toEqual([
        { detector: 'toll', key: '183A', windowStart: '2026-01-01T00:00:30.000Z', score: 3.5, grade: 0.93 },
      ]);
    } finally {
      await deployed.close();
    }
  });

  it('lists captured alerts in the feed', async () => {
    const { alerts } = JSON.parse((await get('/api/alerts')).body) as { alerts: Array<{ message: string }> };
    expect(alerts.map((a) => a.message)).toEqual(['toll 183A: 43 vehicles, score 3.50']);
    expect(JSON.parse((await get('/api/status')).body)).toMatchObject({ local: true, status: { produced: 10 } });
    expect((await get('/nope')).status).toBe(404);
  });
});
