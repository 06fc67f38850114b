import { scenarios, type ProducedRecord } from '../../../shared/producers';
import { produce, type PutRecord } from '../../../shared/producers/put';
import {
  describeConditions,
  maxDelayMs,
  ProducerModel,
  skewRecord,
  withConditions,
  type ArrivingRecord,
  type ProducerConditions,
} from '../../../shared/producers/realism';

/**
 * Producer realism (shared/producers/realism.ts): latency, flushes and clock skew applied to generated records,
 * seeded, in arrival order. Every figure here follows from the seed: the same conditions give the same records.
 */

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
/** Toll records, each numbered so that an arriving record can be matched with the one generated. */
type Numbered = ProducedRecord & { n: number };
const toll = (seconds: number, rate = 20): Numbered[] =>
  [...scenarios.toll.generate({ seed: 3, start: T0, duration: seconds, rate })].map((r, n) => ({ ...r, n }));
const apply = (records: Numbered[], c: ProducerConditions): Array<ArrivingRecord<Numbered>> => [...withConditions(records, c)];
/** The generated record of an arriving one: its true time, before its producer's clock shifted it. */
const byData = (records: Numbered[]) => new Map(records.map((r) => [r.n, r]));

describe('withConditions', () => {
  it('gives the same records, times and arrivals for the same seed, and other arrivals for another seed', () => {
    const records = toll(60);
    const c: ProducerConditions = {
      latency: { kind: 'uniform', minMs: 0, maxMs: 3000 },
      flushMs: 5000,
      clockSkew: { kind: 'spread', ms: 4000 },
    };
    const a = apply(records, { ...c, seed: 7 });
    expect(apply(records, { ...c, seed: 7 })).toEqual(a);
    expect(apply(records, { ...c, seed: 8 }).map((r) => r.arrivalMs)).not.toEqual(a.map((r) => r.arrivalMs));
    expect(a).toHaveLength(records.length);
  });

  it('delays each record by a uniform latency within its bounds, in arrival order, leaving event time and data alone', () => {
    const records = toll(120);
    const out = apply(records, { latency: { kind: 'uniform', minMs: 500, maxMs: 3000 }, seed: 1 });
    const truth = byData(records);
    const delays = out.map((r) => r.arrivalMs - truth.get(r.n)!.eventTime.getTime());
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...delays)).toBeLessThanOrEqual(3000);
    // Spread over the range, not bunched at one end.
    expect(delays.filter((d) => d < 1750).length / delays.length).toBeGreaterThan(0.4);
    expect(delays.filter((d) => d < 1750).length / delays.length).toBeLessThan(0.6);
    for (let i = 1; i < out.length; i++) expect(out[i]!.arrivalMs).toBeGreaterThanOrEqual(out[i - 1]!.arrivalMs);
    expect(out.map((r) => r.data).sort()).toEqual(records.map((r) => r.data).sort());
    // Some records overtook others: arrival order is not event-time order.
    expect(out.some((r, i) => i > 0 && r.eventTime < out[i - 1]!.eventTime)).toBe(true);
  });

  it('draws an exponential latency with the mean asked for', () => {
    const records = toll(500);
    const out = apply(records, { latency: { kind: 'exponential', meanMs: 1000 }, seed: 2 });
    const mean = out.reduce((a, r) => a + r.arrivalMs - r.eventTime.getTime(), 0) / out.length;
    expect(mean).toBeGreaterThan(950);
    expect(mean).toBeLessThan(1050);
    expect(maxDelayMs({ latency: { kind: 'exponential', meanMs: 1000 } })).toBeUndefined();
  });

  it("holds each producer's records to its next flush, on its own phase, and puts them together", () => {
    const records = toll(120);
    const out = apply(records, { flushMs: 5000, seed: 4 });
    const byStation = new Map<string, Set<number>>();
    for (const r of out) {
      const delay = r.arrivalMs - r.eventTime.getTime();
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(5000);
      const phases = byStation.get(r.partitionKey) ?? new Set<number>();
      phases.add(((r.arrivalMs % 5000) + 5000) % 5000);
      byStation.set(r.partitionKey, phases);
    }
    // One flush grid per producer, and not the same grid for all of them.
    for (const phases of byStation.values()) expect(phases.size).toBe(1);
    expect(new Set([...byStation.values()].map((p) => [...p][0])).size).toBeGreaterThan(1);
    // Far fewer distinct arrival instants than records: they go out in batches.
    expect(new Set(out.map((r) => r.arrivalMs)).size).toBeLessThan(out.length / 5);
  });

  it('shifts the event time each producer writes, in the data too, but not its arrival', () => {
    const records = toll(60);
    const out = apply(records, { clockSkew: { kind: 'fixed', ms: 4000 }, seed: 1 });
    const truth = byData(records);
    for (const r of out) {
      const t = truth.get(r.n)!;
      expect(r.eventTime.getTime()).toBe(t.eventTime.getTime() + 4000);
      expect(r.data.slice(0, 24)).toBe(new Date(t.eventTime.getTime() + 4000).toISOString());
      expect(r.arrivalMs).toBe(t.eventTime.getTime());
    }
  });

  it('gives each producer its own skew within ±spread, the same for all its records', () => {
    const records = toll(60);
    const out = apply(records, { clockSkew: { kind: 'spread', ms: 4000 }, seed: 9 });
    const skews = new Map<string, Set<number>>();
    for (const r of out) {
      const s = r.eventTime.getTime() - r.arrivalMs;
      expect(Math.abs(s)).toBeLessThanOrEqual(4000);
      skews.set(r.partitionKey, (skews.get(r.partitionKey) ?? new Set()).add(s));
    }
    for (const s of skews.values()) expect(s.size).toBe(1);
    const values = [...skews.values()].map((s) => [...s][0]!);
    expect(values.some((v) => v < 0) && values.some((v) => v > 0)).toBe(true);
  });

  it("keeps a producer's draws whatever other producers there are (skew and flush phase come from seed and key)", () => {
    const c: ProducerConditions = { flushMs: 5000, clockSkew: { kind: 'spread', ms: 4000 }, seed: 5 };
    const a = new ProducerModel(c);
    a.producer('other');
    expect(a.producer('Exit29')).toEqual(new ProducerModel(c).producer('Exit29'));
  });

  it('is lazy: an endless input gives records as their arrival is settled', () => {
    function* endless(): Generator<ProducedRecord> {
      for (let i = 0; ; i++) {
        const eventTime = new Date(T0 + i * 100);
        yield { data: `${eventTime.toISOString()},A,x`, partitionKey: 'A', key: 'A', eventTime };
      }
    }
    const it = withConditions(endless(), { latency: { kind: 'uniform', minMs: 0, maxMs: 1000 }, seed: 1 });
    const first = Array.from({ length: 50 }, () => it.next().value as ArrivingRecord<ProducedRecord>);
    expect(first.map((r) => r.arrivalMs)).toEqual([...first.map((r) => r.arrivalMs)].sort((x, y) => x - y));
  });

  it('refuses to skew a record whose data does not hold its event time, and refuses bad conditions', () => {
    expect(() => skewRecord({ data: 'no time here', partitionKey: 'k', eventTime: new Date(T0) }, 1000)).toThrow(
      /does not hold its event time/,
    );
    expect(() => new ProducerModel({ latency: { kind: 'uniform', minMs: 3000, maxMs: 0 } })).toThrow(/0 ≤ min ≤ max/);
    expect(() => new ProducerModel({ latency: { kind: 'exponential', meanMs: 0 } })).toThrow(/mean above 0/);
    expect(() => new ProducerModel({ flushMs: -1 })).toThrow(/flush/);
  });

  it('says what it simulates', () => {
    expect(
      describeConditions({ latency: { kind: 'uniform', minMs: 0, maxMs: 3000 }, flushMs: 5000, clockSkew: { kind: 'spread', ms: 4000 } }),
    ).toBe('latency U(0 s, 3 s), flush every 5 s, producer clocks ±4 s (each its own)');
    expect(maxDelayMs({ latency: { kind: 'uniform', minMs: 0, maxMs: 3000 }, flushMs: 5000 })).toBe(8000);
  });
});

describe('produce with sendAt', () => {
  it('paces records by their simulated arrival (sendAt) rather than their event time', async () => {
    let clock = 1_000_000;
    const sentAt: Array<{ data: string; at: number }> = [];
    const client = {
      send: async (command: { input: { Records?: Array<{ Data?: Uint8Array }> } }) => {
        const entries = command.input.Records ?? [];
        for (const e of entries) sentAt.push({ data: Buffer.from(e.Data!).toString(), at: clock });
        return { Records: entries.map(() => ({ SequenceNumber: '1' })), $metadata: {} };
      },
    };
    // Event times 0, 1, 2 s; arrivals 0, 5, 2.5 s (the second one delayed past the third).
    const records: PutRecord[] = [
      { data: 'a', partitionKey: 'k', eventTime: new Date(T0), sendAt: new Date(T0) },
      { data: 'c', partitionKey: 'k', eventTime: new Date(T0 + 2000), sendAt: new Date(T0 + 2500) },
      { data: 'b', partitionKey: 'k', eventTime: new Date(T0 + 1000), sendAt: new Date(T0 + 5000) },
    ];
    await produce({
      client: client as never,
      streamName: 's',
      records,
      speed: 1,
      concurrency: 1,
      lingerMs: 0,
      clock: { now: () => clock },
      sleep: async (ms) => {
        clock += ms;
      },
    });
    expect(sentAt.map((s) => [s.data, s.at - 1_000_000])).toEqual([
      ['a', 0],
      ['c', 2500],
      ['b', 5000],
    ]);
  });
});
