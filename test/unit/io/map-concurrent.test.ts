import { setTimeout as delay } from 'node:timers/promises';
import { mapConcurrent } from '../../../shared/io/map-concurrent';

describe('mapConcurrent', () => {
  it('keeps at most `limit` calls in flight and returns results in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapConcurrent([5, 1, 4, 2, 3, 0], 2, async (n, i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await delay(n);
      inFlight--;
      return `${i}:${n}`;
    });
    expect(results).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3', '5:0']);
    expect(most).toBe(2);
  });

  it('reads an async source only as fast as slots free up', async () => {
    let taken = 0;
    let maxAhead = 0;
    let done = 0;
    async function* source() {
      for (let i = 0; i < 20; i++) {
        taken++;
        maxAhead = Math.max(maxAhead, taken - done);
        yield i;
      }
    }
    await mapConcurrent(source(), 3, async () => {
      await delay(1);
      done++;
    });
    expect(taken).toBe(20);
    expect(maxAhead).toBeLessThanOrEqual(3);
  });

  it('stops taking items after a failure, waits for the calls in flight, closes the source and throws the first error', async () => {
    let closed = false;
    let taken = 0;
    const settled: number[] = [];
    async function* source() {
      try {
        for (let i = 0; ; i++) {
          taken++;
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    const error = await mapConcurrent(source(), 2, async (n) => {
      if (n === 3) throw new Error('boom at 3');
      await delay(5);
      settled.push(n);
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('boom at 3');
    expect(closed).toBe(true);
    expect(taken).toBeLessThan(8);
    // Whatever was started before the failure finished before mapConcurrent threw.
    expect(settled.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a limit below 1', async () => {
    await expect(mapConcurrent([1], 0, async (n) => n)).rejects.toThrow(RangeError);
  });
});
