import type { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { pacedPut, planWindows, type PacedRecord } from '../../../local/pacing';

const T0 = Date.UTC(2026, 0, 1);
const at = (seconds: number, key = 'k'): PacedRecord => ({ data: `${seconds}`, partitionKey: key, eventTime: T0 + seconds * 1000 });

/**
 * A clock that only moves when the pacer sleeps or a put takes time, and a Kinesis stand-in that stamps each
 * record with its arrival time, as Kinesis does, after `msPerRecord` of work per record.
 */
function fakeKinesis(msPerRecord: (callIndex: number) => number, startMs = 1_000_000_123) {
  let clock = startMs;
  let calls = 0;
  const arrivals: Array<{ data: string; arrivalMs: number }> = [];
  const client = {
    send: async (command: PutRecordsCommand) => {
      const entries = command.input.Records ?? [];
      clock += entries.length * msPerRecord(calls++);
      for (const e of entries) arrivals.push({ data: Buffer.from(e.Data as Uint8Array).toString(), arrivalMs: clock });
      return { Records: entries.map(() => ({ SequenceNumber: '1' })) };
    },
  } as unknown as KinesisClient;
  return {
    client,
    arrivals,
    now: () => clock,
    sleep: async (ms: number) => {
      clock += ms;
    },
  };
}

/** Every detector window's records arrived within one slot of the event source. */
function slotsOfWindows(
  arrivals: Array<{ data: string; arrivalMs: number }>,
  eventWindowMs: number,
  slotMs: number,
): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (const a of arrivals) {
    const window = Math.floor((Number(a.data) * 1000) / eventWindowMs);
    const set = out.get(window) ?? new Set<number>();
    set.add(Math.floor(a.arrivalMs / slotMs));
    out.set(window, set);
  }
  return out;
}

/** Paces `seconds` of traffic at 10 records/s through the fake Kinesis: 10 s detector windows, 1 s slots. */
async function paced(msPerRecord: (callIndex: number) => number, seconds: number, windowsPerSlot: number) {
  const k = fakeKinesis(msPerRecord);
  const result = await pacedPut(traffic(seconds, 10), {
    client: k.client,
    streamName: 's',
    eventWindowMs: 10_000,
    slotMs: 1000,
    windowsPerSlot,
    now: k.now,
    sleep: k.sleep,
  });
  /** Detector windows whose records arrived in more than one slot. */
  const split = [...slotsOfWindows(k.arrivals, 10_000, 1000)].filter(([, slots]) => slots.size > 1).map(([window]) => window);
  return { result, split };
}

const traffic = (seconds: number, perSecond: number) =>
  Array.from({ length: seconds * perSecond }, (_, i) => at(i / perSecond, `k${i % 7}`));

describe('window-synchronous pacing', () => {
  it('groups records by detector window, oldest first, keeping quiet windows empty', () => {
    const windows = planWindows([at(35), at(1), at(12), at(9.99)], 10_000);
    expect(windows.map((w) => w.map((r) => Number(r.data)))).toEqual([[1, 9.99], [12], [], [35]]);
    expect(planWindows([], 10_000)).toEqual([]);
  });

  it('puts the requested number of whole detector windows per slot when puts are quick', async () => {
    const { result, split } = await paced(() => 0.01, 120, 3);
    expect(result).toMatchObject({ put: 1200, overruns: 0, deferred: 0, slots: 4 });
    expect(split).toEqual([]);
  });

  it('slows down instead of splitting windows when puts are slow: a window only starts if it can finish in its slot', async () => {
    // 100 records take 350 ms: three windows would need 1050 ms of a 1000 ms slot.
    const { result, split } = await paced(() => 3.5, 90, 3);
    expect(result.put).toBe(900);
    expect(result.overruns).toBe(0);
    expect(result.deferred).toBeGreaterThan(0);
    expect(split).toEqual([]);
  });

  it('counts a window that a stall pushes past its slot, and starts the next one in a fresh slot', async () => {
    // The fourth PutRecords call stalls for 1.5 slots.
    const { result, split } = await paced((call) => (call === 3 ? 15 : 0.01), 60, 2);
    expect(result.put).toBe(600);
    expect(result.overruns).toBe(1);
    expect(split).toEqual([]);
    // The stalled window arrived whole in the slot after its own (Kinesis stamps at the end of the call here).
  });
});
