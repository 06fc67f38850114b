import { parseEventTime as replayTime } from '../../../shared/producers/replay/records';
import { eventTimeProblem, MAX_EVENT_TIME_MS, parseEventTime } from '../../../shared/records';

describe('one event-time parser', () => {
  it.each([
    '2026-02-30',
    '2026-02-29T00:00:00Z',
    '2025-04-31 10:00:00',
    '2026-13-01',
    '2026-00-10',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:60:00Z',
    '2026-01-01T23:59:60Z',
    '2026-01-01T00:00:00+24:00',
  ])('refuses the impossible date %s in the stream decoder and the replay reader', (text) => {
    expect(parseEventTime(text)).toMatchObject({ ok: false, reason: expect.stringMatching(/is not a valid date|invalid UTC offset/) });
    expect(replayTime(text)).toBeUndefined();
  });

  it.each([
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2000-02-29T12:00Z', Date.UTC(2000, 1, 29, 12)],
    ['2014-07-01 00:00:00', Date.UTC(2014, 6, 1)],
    ['2026-01-01T12:00:00.250Z', Date.UTC(2026, 0, 1, 12, 0, 0, 250)],
    ['2026-01-01T12:00:00.123999Z', Date.UTC(2026, 0, 1, 12, 0, 0, 123)],
    ['2026-01-01T12:00:00 +0200', Date.UTC(2026, 0, 1, 10)],
    ['2026-01-01T12:00:00-05:30', Date.UTC(2026, 0, 1, 17, 30)],
    [' 2026-01-01t12:00z ', Date.UTC(2026, 0, 1, 12)],
  ])('reads %j the same in both', (text, expected) => {
    expect(parseEventTime(text)).toEqual({ ok: true, value: expected });
    expect(replayTime(text)).toBe(expected);
  });

  it('keeps every accepted time in 1970…9999, so a window end is a valid Date', () => {
    expect(parseEventTime(8.64e15)).toEqual({ ok: false, reason: '"8640000000000000" is outside 1970-01-01 … 9999-12-31' });
    expect(parseEventTime(8.64e15, 'epochMillis')).toMatchObject({ ok: false });
    expect(parseEventTime('10000-01-01')).toMatchObject({ ok: false });
    expect(parseEventTime('1969-12-31T23:59:59Z')).toMatchObject({ ok: false, reason: expect.stringContaining('outside 1970-01-01') });
    expect(parseEventTime('0070-01-01')).toMatchObject({ ok: false });
    expect(parseEventTime(-5)).toMatchObject({ ok: false });
    expect(parseEventTime('9999-12-31T23:59:59.999Z')).toEqual({ ok: true, value: MAX_EVENT_TIME_MS - 1 });
    expect(replayTime(1e20)).toBeUndefined();
  });

  it('bounds event time by arrival: 5 minutes ahead by default, old data accepted unless a bound is set', () => {
    const arrival = Date.parse('2026-03-01T12:00:00Z');
    expect(eventTimeProblem(arrival + 5 * 60_000, arrival)).toBeUndefined();
    expect(eventTimeProblem(arrival + 5 * 60_000 + 1, arrival)).toBe(
      'event time 2026-03-01T12:05:00.001Z is more than 5 min ahead of arrival 2026-03-01T12:00:00.000Z',
    );
    expect(eventTimeProblem(Date.parse('2014-07-01T00:00:00Z'), arrival)).toBeUndefined();
    expect(eventTimeProblem(arrival - 2 * 86_400_000, arrival, { maxAheadMs: 0, maxBehindMs: 86_400_000 })).toBe(
      'event time 2026-02-27T12:00:00.000Z is more than 1 d behind arrival 2026-03-01T12:00:00.000Z',
    );
  });
});
