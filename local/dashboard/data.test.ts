import { alertFeed } from './server';
import { parseWindowPk, toPoint, unmarshalItem } from './data';

describe('dashboard data', () => {
  it('splits a window partition key into detector and key, keeping # inside keys', () => {
    expect(parseWindowPk('W#toll#183A')).toEqual({ pk: 'W#toll#183A', detector: 'toll', key: '183A' });
    expect(parseWindowPk('W#web#/a#b')).toMatchObject({ detector: 'web', key: '/a#b' });
    expect(parseWindowPk('M#toll#183A')).toBeUndefined();
  });

  it('reads window items as points, falling back to the aggregates for the count', () => {
    const item = unmarshalItem({
      sk: { S: '2026-01-01T00:00:00.000Z' },
      aggregates: { M: { count: { N: '4' } } },
      score: { N: '1.5' },
      pendingAlert: { S: 'toll' },
      late: { BOOL: true },
    });
    expect(toPoint(item)).toEqual({
      windowStart: '2026-01-01T00:00:00.000Z',
      count: 4,
      score: 1.5,
      late: true,
      pendingAlert: true,
      aggregates: { count: 4 },
    });
  });

  it("keeps only numbers and nulls of an item's usual values and ignores an unknown alert rule", () => {
    const item = unmarshalItem({
      sk: { S: 't' },
      grade: { N: '0.5' },
      expected: { M: { count: { N: '12' }, bytes: { NULL: true }, note: { S: '<b>x</b>' } } },
      alertOn: { S: 'other' },
    });
    expect(toPoint(item)).toEqual({ windowStart: 't', count: 0, score: 0, grade: 0.5, expected: { count: 12, bytes: null } });
  });

  it('groups notified windows of a deployed table by message when no captured messages exist', () => {
    const series = [
      {
        detector: 'toll',
        key: 'a',
        points: [{ windowStart: 't1', count: 1, score: 3, notifiedAt: '2026-01-01T00:01:00Z', messageId: 'm' }],
      },
      {
        detector: 'toll',
        key: 'b',
        points: [
          { windowStart: 't1', count: 1, score: 4, notifiedAt: '2026-01-01T00:01:00Z', messageId: 'm' },
          { windowStart: 't2', count: 1, score: 0 },
        ],
      },
    ];
    const feed = alertFeed(series, undefined);
    expect(feed).toHaveLength(1);
    expect(feed[0]!.windows.map((w) => w.key)).toEqual(['a', 'b']);
  });
});
