import { planSlots } from './pacing';

const at = (seconds: number, key = 'k') => ({ data: `${seconds}`, partitionKey: key, eventTime: Date.UTC(2026, 0, 1) + seconds * 1000 });

describe('window-synchronous pacing', () => {
  it('gives each slot whole detector windows, so no event-time window is split between two arrival windows', () => {
    const records = [at(0), at(9.9), at(10), at(25), at(29.99), at(30), at(61)];
    const slots = planSlots(records, 10_000, 2);
    expect(slots.map((s) => s.map((r) => Number(r.data)))).toEqual([[0, 9.9, 10], [25, 29.99, 30], [], [61]]);
  });

  it('orders records by event time and keeps empty slots for quiet periods', () => {
    const slots = planSlots([at(35), at(1), at(12)], 10_000, 1);
    expect(slots.map((s) => s.map((r) => Number(r.data)))).toEqual([[1], [12], [], [35]]);
    expect(planSlots([], 10_000, 1)).toEqual([]);
  });
});
