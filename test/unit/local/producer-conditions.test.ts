import { planWindows, type PacedRecord } from '../../../local/pacing';
import { partialWindows, reportWindows, scoredCountOf } from '../../../local/report';
import { arrivingRecords, replaySource } from '../../../local/sources';
import { scenarios } from '../../../shared/producers';
import type { KeySeries } from '../../../local/dashboard/data';

/**
 * Local mode with field producers (`start --latency --flush --clock-skew`): records are paced by their simulated
 * arrival, and the report says per window how many records it had when it was scored (`scoredCount`).
 */

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const toll = (seconds: number) => [...scenarios.toll.generate({ seed: 5, start: T0, duration: seconds, rate: 20 })];

describe('pacing by arrival', () => {
  it('puts a delayed record with the window its arrival falls in, not its event time’s', () => {
    const r = (eventS: number, arrivalS?: number): PacedRecord => ({
      data: `${eventS}`,
      partitionKey: 'k',
      eventTime: T0 + eventS * 1000,
      ...(arrivalS !== undefined ? { arrivalTime: T0 + arrivalS * 1000 } : {}),
    });
    const windows = planWindows([r(1), r(8, 12), r(9), r(15)], 10_000);
    expect(windows.map((w) => w.map((x) => x.data))).toEqual([
      ['1', '9'],
      ['8', '15'],
    ]);
  });

  it('leaves records as they were without conditions, and gives arrivals after the true times with them', () => {
    const records = toll(60);
    const plain = arrivingRecords(records, undefined, 1);
    expect(plain.every((p) => p.arrivalTime === undefined)).toBe(true);
    expect(plain.map((p) => p.eventTime)).toEqual(records.map((r) => r.eventTime.getTime()));
    const late = arrivingRecords(records, { latency: { kind: 'uniform', minMs: 0, maxMs: 3000 } }, 1);
    expect(late).toHaveLength(records.length);
    for (const p of late) {
      expect(p.arrivalTime! - p.eventTime).toBeGreaterThanOrEqual(0);
      expect(p.arrivalTime! - p.eventTime).toBeLessThanOrEqual(3000);
    }
    // Seeded: the run's seed gives the same arrivals.
    expect(arrivingRecords(records, { latency: { kind: 'uniform', minMs: 0, maxMs: 3000 } }, 1)).toEqual(late);
  });

  it('refuses a clock skew on a replay (its times are the file’s)', async () => {
    await expect(replaySource({ file: 'nope.csv', conditions: { clockSkew: { kind: 'fixed', ms: 4000 } } })).rejects.toThrow(
      /applies to scenarios, not to --replay/,
    );
  });
});

describe('scoredCount in the report', () => {
  const series = (points: KeySeries['points']): KeySeries[] => [{ detector: 'toll-stations', key: 'Exit29', points }];
  const at = (s: number) => new Date(T0 + s * 1000).toISOString();

  it('is the count the window was scored on: its count less the records merged late', () => {
    const windows = reportWindows(
      series([
        { windowStart: at(0), count: 12, score: 1, scored: true, lateRecords: 0 },
        { windowStart: at(10), count: 15, score: 1, scored: true, late: true, lateRecords: 4 },
        // A key gone quiet: scored on nothing, then its late records came.
        { windowStart: at(20), count: 3, score: 2, scored: true, late: true, lateRecords: 3 },
      ]),
    );
    expect(windows.map((w) => [w.count, w.scoredCount])).toEqual([
      [12, 12],
      [15, 11],
      [3, 0],
    ]);
  });

  it('is absent on a window only late records made, and on items from before lateRecords it is the count', () => {
    expect(scoredCountOf({ windowStart: at(0), count: 5, score: 0, scored: false, late: true, lateRecords: 5 })).toBeUndefined();
    expect(scoredCountOf({ windowStart: at(0), count: 5, score: 0 })).toBe(5);
  });

  it('sums up how many windows were scored on part of their records', () => {
    const windows = reportWindows(
      series([
        { windowStart: at(0), count: 10, score: 1, scored: true },
        { windowStart: at(10), count: 10, score: 1, scored: true, late: true, lateRecords: 5 },
        { windowStart: at(20), count: 10, score: 1, scored: true, late: true, lateRecords: 1 },
        { windowStart: at(30), count: 4, score: 0, scored: false, late: true, lateRecords: 4 },
      ]),
    );
    expect(partialWindows(windows)).toEqual({ windows: 3, partial: 2, meanScoredShare: 0.7 });
  });
});
