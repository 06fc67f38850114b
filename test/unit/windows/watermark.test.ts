import { parseDetectors, rcfDetectors } from '../../../shared/detectors';
import { compileDetector, entryKey, type WindowsState } from '../../../shared/windows/aggregate';
import {
  CarryConflictError,
  carryBytes,
  emitWithWatermark,
  mergePartials,
  splitByWatermark,
  type Carry,
  type CarryStore,
} from '../../../shared/windows/watermark';

const DETECTORS = `
detectors:
  - name: toll
    format: csv
    csv: { columns: [date, station] }
    key: station
    time: date
    windowSeconds: 10
    lateness: 5
    aggregates: [count]
  - name: arrivals
    format: csv
    csv: { columns: [date, station] }
    key: station
    windowSeconds: 10
    aggregates: [count]
  - name: wind
    format: json
    key: location
    time: ts
    windowSeconds: 10
    aggregates: [avg(speed), max(speed), count]
`;
const compiled = rcfDetectors(parseDetectors(DETECTORS, 'test')).map(compileDetector);
const T0 = Date.parse('2026-03-01T12:00:00Z');
const state = (w: Record<string, number[]>, id = 'e1'): WindowsState => ({ v: 1, id, w });

/** An in-memory carry store with the adapter's conditional write. */
class MemoryCarries implements CarryStore {
  items = new Map<string, Carry>();
  writes = 0;
  async get(detector: string, shardId: string) {
    const c = this.items.get(`${detector}/${shardId}`);
    return c && structuredClone(c);
  }
  async put(detector: string, shardId: string, carry: Carry, expected: string | undefined) {
    const id = `${detector}/${shardId}`;
    if (this.items.get(id)?.emission !== expected) throw new CarryConflictError(detector, shardId);
    this.items.set(id, structuredClone(carry));
    this.writes++;
  }
}

describe('the event-time watermark', () => {
  it('emits event windows that ended by the Lambda window end minus lateness and carries the rest; arrival-time ones pass', () => {
    const split = splitByWatermark({
      state: state({
        [entryKey('toll', T0 - 10_000, 'A')]: [3],
        [entryKey('toll', T0, 'A')]: [2],
        [entryKey('arrivals', T0, 'A')]: [5],
      }),
      compiled,
      lambdaWindowEndMs: T0 + 5_000,
      carried: new Map(),
    });
    expect(Object.keys(split.ready.w).sort()).toEqual([entryKey('arrivals', T0, 'A'), entryKey('toll', T0 - 10_000, 'A')].sort());
    expect(split.carry.get('toll')!.w).toEqual({ [entryKey('toll', T0, 'A')]: [2] });
    expect(split.held).toBe(1);
    // At the watermark exactly: the window is complete.
    const later = splitByWatermark({ state: state({}), compiled, lambdaWindowEndMs: T0 + 15_000, carried: split.carry });
    expect(later.ready.w).toEqual({ [entryKey('toll', T0, 'A')]: [2] });
    expect(later.carry.get('toll')!.w).toEqual({});
  });

  it('adds the carried partials to the new records of the same window: counts and sums add, extremes keep', () => {
    const k = entryKey('wind', T0, 'north');
    const split = splitByWatermark({
      state: state({ [k]: [2, 20, 8, 12] }),
      compiled,
      lambdaWindowEndMs: T0 + 20_000,
      carried: new Map([['wind', { w: { [k]: [3, 27, 5, 10] } }]]),
    });
    expect(split.ready.w[k]).toEqual([5, 47, 5, 12]);
    expect(mergePartials([1, 2, null, null], [1, 3, 4, 5])).toEqual([2, 5, 4, 5]);
  });

  it('leaves out the entries of a detector this emission already carried (a redelivery)', () => {
    const split = splitByWatermark({
      state: state({ [entryKey('toll', T0, 'A')]: [2], [entryKey('arrivals', T0, 'A')]: [1] }),
      compiled,
      lambdaWindowEndMs: T0 + 60_000,
      carried: new Map(),
      done: new Set(['toll']),
    });
    expect(split.ready.w).toEqual({ [entryKey('arrivals', T0, 'A')]: [1] });
    expect(split.carry.has('toll')).toBe(false);
  });

  it('emits the oldest held windows early when the carry would pass its byte cap', () => {
    const w: Record<string, number[]> = {};
    for (let i = 0; i < 50; i++) w[entryKey('toll', T0 + i * 10_000, 'A')] = [1];
    const cap = carryBytes({ w }) / 2;
    const split = splitByWatermark({ state: state(w), compiled, lambdaWindowEndMs: T0, carried: new Map(), maxBytes: cap });
    expect(carryBytes(split.carry.get('toll')!)).toBeLessThanOrEqual(cap);
    expect(split.forced).toBe(Object.keys(split.ready.w).length);
    expect(split.forced + split.held).toBe(50);
    const oldestHeld = Math.min(...Object.keys(split.carry.get('toll')!.w).map((e) => Number(e.split('|')[1])));
    const newestForced = Math.max(...Object.keys(split.ready.w).map((e) => Number(e.split('|')[1])));
    expect(newestForced).toBeLessThan(oldestHeld);
  });

  it('writes the carry after the windows and, redelivered after that write, emits nothing twice', async () => {
    const carries = new MemoryCarries();
    const emitted: Array<Record<string, number[]>> = [];
    const run = (s: WindowsState, failAfter = false) =>
      emitWithWatermark({
        state: s,
        compiled,
        shardId: 'shard-1',
        lambdaWindow: { startMs: T0, endMs: T0 + 10_000 },
        emissionId: s.id!,
        carries: {
          get: (d, sh) => carries.get(d, sh),
          put: async (d, sh, c, e) => {
            await carries.put(d, sh, c, e);
            if (failAfter) throw new Error('the response was lost after the write');
          },
        },
        emit: async (ready) => void emitted.push(ready.w),
      });
    // Lambda window T0: window T0-10s is complete, T0 is held.
    const first = state({ [entryKey('toll', T0 - 10_000, 'A')]: [4], [entryKey('toll', T0, 'A')]: [2] }, 'e1');
    await expect(run(structuredClone(first), true)).rejects.toThrow('lost');
    const again = await run(structuredClone(first));
    expect(again.redelivered).toBe(1);
    expect(carries.items.get('toll/shard-1')!.w).toEqual({ [entryKey('toll', T0, 'A')]: [2] });
    // The redelivery emits nothing of toll (its windows went out with the first attempt, which the carry proves).
    expect(emitted).toEqual([{ [entryKey('toll', T0 - 10_000, 'A')]: [4] }, {}]);
    // Next Lambda window (ends T0+20s, watermark T0+15s): the held window, with its late-arriving record.
    await emitWithWatermark({
      state: state({ [entryKey('toll', T0, 'A')]: [1] }, 'e2'),
      compiled,
      shardId: 'shard-1',
      lambdaWindow: { startMs: T0 + 10_000, endMs: T0 + 20_000 },
      emissionId: 'e2',
      carries,
      emit: async (ready) => void emitted.push(ready.w),
    });
    expect(emitted[2]).toEqual({ [entryKey('toll', T0, 'A')]: [3] });
    expect(carries.items.get('toll/shard-1')!).toEqual({ emission: 'e2', w: {} });
  });

  it('refuses a carry written by another invocation since it was read', async () => {
    const carries = new MemoryCarries();
    await carries.put('toll', 's', { emission: 'x', w: {} }, undefined);
    await expect(carries.put('toll', 's', { emission: 'y', w: {} }, 'other')).rejects.toBeInstanceOf(CarryConflictError);
  });
});
