import { EventTimePacer, TokenBucket } from '../../../shared/producers/pacing';

describe('TokenBucket', () => {
  it('lets the first record go at once, then spaces records at 1/rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, { now: () => now });
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBeCloseTo(100);
    expect(bucket.reserve()).toBeCloseTo(200);
    now = 200;
    expect(bucket.reserve()).toBeCloseTo(100);
  });

  it('refills no further than its capacity, so a stalled producer cannot burst to catch up', () => {
    let now = 0;
    const bucket = new TokenBucket(100, { now: () => now });
    now = 60_000;
    const free = Array.from({ length: 20 }, () => bucket.reserve()).filter((w) => w === 0).length;
    expect(free).toBe(bucket.capacity);
    expect(bucket.capacity).toBe(10);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new TokenBucket(0)).toThrow(/positive/);
  });
});

describe('EventTimePacer', () => {
  it('schedules each record at its event-time distance from the first, divided by the speed', () => {
    let now = 1_000;
    const pacer = new EventTimePacer(10, { now: () => now });
    const t0 = Date.UTC(2026, 0, 1);
    expect(pacer.delay(new Date(t0))).toBe(0);
    expect(pacer.delay(new Date(t0 + 10_000))).toBe(1_000);
    now = 1_600;
    expect(pacer.delay(new Date(t0 + 10_000))).toBe(400);
    expect(pacer.delay(new Date(t0 + 5_000))).toBe(0);
  });

  it('sends records without event time at once', () => {
    const pacer = new EventTimePacer(1, { now: () => 0 });
    expect(pacer.delay(undefined)).toBe(0);
  });
});
