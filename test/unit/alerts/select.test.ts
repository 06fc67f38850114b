import { groupAlerts, severityOf } from '../../../shared/alerts';
import { alertOf, evaluateRaw, windowRecord } from './support';
import { toNumber } from '../../../shared/store/alert-items';

const window = (over: Record<string, unknown> = {}) =>
  windowRecord({
    count: 40,
    aggregates: { count: 40 },
    score: 3,
    attribution: [
      { column: 'b', score: 0.5, direction: 'LOW' },
      { column: 'a', score: 2.5, direction: 'HIGH' },
    ],
    ...over,
  });

const send = alertOf;

describe('selecting what is owed an alert', () => {
  it('compares scores and thresholds as numbers, at or above the threshold', () => {
    expect(send(window({ score: 10, threshold: 3 })).score).toBe(10);
    expect(send(window({ score: '10', threshold: '3' })).score).toBe(10);
    expect(send(window({ score: 2, threshold: 2 })).score).toBe(2);
    expect(evaluateRaw(window({ score: 1.999, threshold: 2 }), { defaultThreshold: 2 })).toEqual({
      skip: 'score 1.999 is below the threshold 2',
    });
  });

  it('takes the threshold from the item, else from its detector, else the default', () => {
    expect(evaluateRaw(window({ score: 2.5, threshold: undefined }), { defaultThreshold: 2, thresholds: new Map([['toll', 3]]) })).toEqual(
      { skip: 'score 2.5 is below the threshold 3' },
    );
    expect(send(window({ score: 2.5, threshold: undefined }), 2).threshold).toBe(2);
  });

  it('clears unscored windows, non-numbers and unknown item types without an alert', () => {
    expect(evaluateRaw(window({ score: undefined }), { defaultThreshold: 2 })).toEqual({ skip: 'the window is not scored' });
    expect(evaluateRaw(window({ score: 'NaN' }), { defaultThreshold: 2 })).toEqual({ skip: 'the window is not scored' });
    expect(evaluateRaw({ pk: 'M#toll#183A', sk: 'MODEL', type: 'model', pendingAlert: 'toll' }, { defaultThreshold: 2 })).toEqual({
      skip: 'items of type "model" are not alerted',
    });
  });

  it('keeps the reason it writes back on the item short, whatever the item holds', () => {
    const verdict = evaluateRaw({ pk: 'X#odd', sk: 's', type: `${'t'.repeat(300_000)}\n`, pendingAlert: 'toll' }, { defaultThreshold: 2 });
    expect('skip' in verdict && verdict.skip.length).toBeLessThan(80);
  });

  it('orders the attribution strongest first and reads detector and key from pk when attributes are missing', () => {
    const a = send(window({ detector: undefined, key: undefined, type: undefined }));
    expect(a).toMatchObject({ detector: 'toll', key: '183A', kind: 'window' });
    expect(a.attribution.map((x) => x.column)).toEqual(['a', 'b']);
  });

  it('keeps only hotspots at or above the threshold, densest first', () => {
    const a = send({
      pk: 'H#taxi',
      sk: '2026-01-01T00:00:00.000Z',
      type: 'hotspots',
      threshold: 4,
      hotspots: [{ density: 5, count: 10 }, { density: 3.9 }, { density: 8, centroid: [1, 2] }],
    });
    expect(a).toMatchObject({ kind: 'hotspots', detector: 'taxi', key: '*', score: 8, severity: 'critical' });
    expect(a.hotspots!.map((h) => h.density)).toEqual([8, 5]);
  });

  it('calls a score critical from 1.5 times the threshold', () => {
    expect(severityOf(2.99, 2)).toBe('warning');
    expect(severityOf(3, 2)).toBe('critical');
  });

  it('groups windows per key and leads with the most severe, then the highest score', () => {
    const groups = groupAlerts([
      send(window({ sk: 't1', windowStart: '2026-01-01T00:00:10.000Z', score: 2.5 })),
      send(window({ sk: 't0', windowStart: '2026-01-01T00:00:00.000Z', score: 2.8 })),
      send(window({ pk: 'W#toll#B', key: 'B', score: 3.5 })),
    ]);
    expect(groups.map((g) => [g.key, g.alerts.length, g.lead.score, g.severity])).toEqual([
      ['B', 1, 3.5, 'critical'],
      ['183A', 2, 2.8, 'warning'],
    ]);
    expect(groups[1]!.alerts.map((a) => a.ref.sk)).toEqual(['t0', 't1']);
  });

  it('reads numbers leniently but never accepts non-finite ones', () => {
    expect(toNumber(' 4.5 ')).toBe(4.5);
    expect(toNumber(Infinity)).toBeUndefined();
    expect(toNumber('')).toBeUndefined();
    expect(toNumber(null)).toBeUndefined();
  });
});
