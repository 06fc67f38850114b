import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { parseDetectors } from '../../shared/detectors';
import type { TumblingWindowProcessor } from '../../shared/lambda/tumbling-window';
import { MemoryRejectsSink } from '../../shared/rejects';
import { ModelCache } from '../../shared/windows';
import { createWindowsProcessor } from '../../functions/windows/handler';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { windowEvent } from '../factories/kinesis';
import { evaluateItem, formatGroup, groupAlerts } from '../../shared/alerts';
import { toPendingItem } from '../../shared/store/alert-items';
import { toPoint } from '../../local/dashboard/data';

/**
 * Hopping windows through the real windows processor against dynalite (issue 15 item 4): every 10 s, the last 60 s.
 * Each emission holds two steps of event time; the scored features must be those computed straight from the records,
 * a container that is cold at every emission (its forest rebuilt from the save and the items since, its steps read
 * back from the step items) must score exactly as one warm container, and a final invoke delivered twice must learn
 * nothing twice.
 */

const T0 = Date.parse('2026-03-01T00:00:00Z');
const STEP = 10_000;
const EMISSIONS = 16;
/** Emission 7 also brings late records of a step emission 6 already scored. */
const LATE_AT = 7;
const LATE_STEP = T0 + 13 * STEP;

const detectors = parseDetectors(
  `
detectors:
  - name: hop
    format: json
    key: k
    time: { field: t, format: epochMillis }
    windowSeconds: 60
    everySeconds: 10
    aggregates: [count, sum(v), max(v), count_distinct(u), { name: big, fn: count, where: { kind: big } }, { name: share, ratio: [big, count] }]
    features: [count, sum_v, max_v, count_distinct_u, share]
    threshold: 1
    alertOn: score
    rcf: { numberOfTrees: 5, subSampleSize: 10 }
`,
  'hopping test',
);

interface Rec {
  k: string;
  t: number;
  v: number;
  u: string;
  kind: 'big' | 'small';
}

/** Deterministic records of one key in one step (key b skips step 9: a hopping window over a missing step). */
function recordsOf(k: string, step: number): Rec[] {
  if (k === 'b' && step === 9) return [];
  const n = 2 + ((step * 5 + (k === 'a' ? 1 : 4)) % 6);
  return Array.from({ length: n }, (_, i) => ({
    k,
    t: T0 + step * STEP + ((i * 1_377 + step * 311) % STEP),
    v: (step * 7 + i * 13 + (k === 'a' ? 3 : 11)) % 29,
    u: `u${(step + i * 3) % 9}`,
    kind: (i + step) % 3 === 0 ? 'big' : 'small',
  }));
}
const lateRecords: Rec[] = [
  { k: 'a', t: LATE_STEP + 500, v: 40, u: 'late1', kind: 'big' },
  { k: 'a', t: LATE_STEP + 9_000, v: 1, u: 'late2', kind: 'small' },
];

/** What emission e delivers: its two steps of both keys (plus the late records at LATE_AT). */
const delivered = (e: number): Rec[] => [
  ...[2 * e, 2 * e + 1].flatMap((s) => [...recordsOf('a', s), ...recordsOf('b', s)]),
  ...(e === LATE_AT ? lateRecords : []),
];

/** The hopping window [end − 60 s, end) of key k from the records delivered up to emission e, as the detector computes it. */
function reference(k: string, stepStart: number, e: number) {
  const known = Array.from({ length: e + 1 }, (_, j) => delivered(j)).flat();
  const inside = known.filter((r) => r.k === k && r.t >= stepStart - 50_000 && r.t < stepStart + STEP);
  const big = inside.filter((r) => r.kind === 'big').length;
  const aggregates = {
    count: inside.length,
    sum_v: inside.reduce((s, r) => s + r.v, 0),
    max_v: Math.max(...inside.map((r) => r.v)),
    count_distinct_u: new Set(inside.map((r) => r.u)).size,
    big,
    share: big / inside.length,
  };
  return { aggregates, features: [aggregates.count, aggregates.sum_v, aggregates.max_v, aggregates.count_distinct_u, aggregates.share] };
}

let db: Emulator;
let client: DynamoDBDocumentClient;

beforeAll(async () => {
  db = await startDynalite();
  client = dynamoDocumentClient({ endpoint: db.endpoint });
});
afterAll(async () => {
  client.destroy();
  await db.close();
});

type Items = Map<string, Record<string, unknown>>;

interface RunOptions {
  /** A new processor (an empty forest cache: a cold container) for every emission. */
  coldEvery?: boolean;
  /** Deliver every final invoke twice; the second delivery on a cold container at odd emissions. */
  redeliver?: boolean;
  /** At this emission the write of key a's second step fails once, after the rest of the emission ran; redelivered cold. */
  failAt?: number;
}

/** A client whose first write of the given window item (by sk, any command) fails: a crash in the middle of an emission. */
function failingOnce(sk: string): DynamoDBDocumentClient {
  const c = dynamoDocumentClient({ endpoint: db.endpoint });
  let failed = false;
  c.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as {
        Item?: Record<string, unknown>;
        RequestItems?: Record<string, Array<{ PutRequest?: { Item?: Record<string, unknown> } }>>;
      };
      const items = [
        input.Item,
        ...Object.values(input.RequestItems ?? {}).flatMap((l) => (Array.isArray(l) ? l.map((r) => r.PutRequest?.Item) : [])),
      ];
      if (!failed && items.some((i) => i?.type === 'window' && i.key === 'a' && i.sk === sk)) {
        failed = true;
        throw new Error('injected: the write of a fresh window failed');
      }
      return next(args);
    },
    { step: 'initialize', name: 'failOnce' },
  );
  return c;
}

/** All emissions in order into a fresh table; models saved every 4 windows, so cold starts rebuild from save + items. */
async function run(options: RunOptions = {}): Promise<Items> {
  const tableName = await createDataTable(db.endpoint);
  const failing = options.failAt === undefined ? undefined : failingOnce(new Date(T0 + (2 * options.failAt + 1) * STEP).toISOString());
  const processor = (documentClient = client): TumblingWindowProcessor =>
    createWindowsProcessor({
      detectors,
      documentClient,
      tableName,
      rejects: new MemoryRejectsSink(),
      cache: new ModelCache(16),
      modelSaveEvery: 4,
      now: () => T0,
    });
  const warm = processor();
  for (let e = 0; e < EMISSIONS; e++) {
    const process = options.coldEvery ? processor() : e === options.failAt ? processor(failing) : warm;
    const windowStart = T0 + (e + 1) * 2 * STEP;
    const first = await process(windowEvent({ windowStart, records: delivered(e) }));
    expect(first.batchItemFailures).toEqual([]);
    const final = windowEvent({ windowStart, state: first.state, final: true });
    if (e === options.failAt) {
      await expect(process(structuredClone(final))).rejects.toThrow('injected');
      // Lambda retries the final invoke; here on another container, whose forests are rebuilt from the table.
      const retried = await processor()(structuredClone(final));
      expect(retried.batchItemFailures).toEqual([]);
      continue;
    }
    const last = await process(structuredClone(final));
    expect(last.batchItemFailures).toEqual([]);
    if (options.redeliver) {
      const again = await (e % 2 ? processor() : process)(structuredClone(final));
      expect(again.batchItemFailures).toEqual([]);
    }
  }
  const items: Items = new Map();
  let start: Record<string, unknown> | undefined;
  do {
    const res = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of res.Items ?? []) if (item.type === 'window') items.set(`${String(item.key)}|${String(item.sk)}`, item);
    start = res.LastEvaluatedKey;
  } while (start);
  failing?.destroy();
  return items;
}

/** Every (key, step) that had records, with the emission that scored it. */
const expectedSteps = Array.from({ length: EMISSIONS }, (_, e) =>
  [2 * e, 2 * e + 1].flatMap((s) =>
    ['a', 'b'].filter((k) => recordsOf(k, s).length).map((k) => ({ k, stepStart: T0 + s * STEP, e, onTime: recordsOf(k, s).length })),
  ),
).flat();

const id = (k: string, stepStart: number) => `${k}|${new Date(stepStart).toISOString()}`;
const scoredView = (items: Items) =>
  [...items].map(([key, i]) => ({ key, score: i.score, features: i.features, aggregates: i.aggregates, count: i.count, hop: i.hop }));

describe('hopping windows through the windows processor', () => {
  let warm: Items;

  beforeAll(async () => {
    warm = await run();
  }, 300_000);

  it('writes one item per key and step whose scored features are the hopping window computed from the raw records', () => {
    expect(warm.size).toBe(expectedSteps.length);
    for (const { k, stepStart, e, onTime } of expectedSteps) {
      const item = warm.get(id(k, stepStart));
      const ref = reference(k, stepStart, e);
      const isLate = k === 'a' && stepStart === LATE_STEP;
      expect({ id: id(k, stepStart), aggregates: item?.aggregates, features: item?.features }).toEqual({ id: id(k, stepStart), ...ref });
      // The item is the step's: its bounds and counts; `hop` is the window scored.
      expect(item).toMatchObject({
        windowStart: new Date(stepStart).toISOString(),
        windowEnd: new Date(stepStart + STEP).toISOString(),
        count: onTime + (isLate ? lateRecords.length : 0),
        late: isLate,
        hop: {
          windowStart: new Date(stepStart - 50_000).toISOString(),
          windowEnd: new Date(stepStart + STEP).toISOString(),
          count: ref.aggregates.count,
        },
      });
    }
  });

  it('merges late records into their step without rescoring it, and the later windows count them', () => {
    const item = warm.get(id('a', LATE_STEP))!;
    expect(item).toMatchObject({ late: true, lateRecords: lateRecords.length });
    // Scored at emission 6 without the late records; the next step's window (scored at emission 7) has them.
    expect(item.aggregates).toEqual(reference('a', LATE_STEP, LATE_AT - 1).aggregates);
    const next = warm.get(id('a', LATE_STEP + STEP))!;
    // Steps 9–14 of key a on time, plus the two late records of step 13.
    const onTime = [9, 10, 11, 12, 13, 14].reduce((n, s) => n + recordsOf('a', s).length, 0);
    expect((next.aggregates as Record<string, number>).count).toBe(onTime + lateRecords.length);
  });

  it('scores the windows after the forest warm-up', () => {
    const scored = [...warm.values()].filter((i) => typeof i.score === 'number' && i.score > 0);
    expect(scored.length).toBeGreaterThan(expectedSteps.length / 2);
  });

  it('alerts and the dashboard quote the hopping window that was scored', () => {
    const owed = [...warm.values()].filter((i) => i.pendingAlert !== undefined);
    expect(owed.length).toBeGreaterThan(0);
    for (const item of owed) {
      const evaluation = evaluateItem(toPendingItem({ pk: String(item.pk), sk: String(item.sk) }, item), { defaultThreshold: 1 });
      if (!('send' in evaluation)) throw new Error(`not alerted: ${evaluation.skip}`);
      const hop = item.hop as { count: number };
      const aggregates = item.aggregates as Record<string, number>;
      expect(evaluation.send.aggregates).toEqual(aggregates);
      const text = formatGroup(groupAlerts([evaluation.send])[0]!).message;
      expect(text).toContain(`count ${hop.count}`);
      expect(text).toContain(`sum_v ${aggregates.sum_v}`);
      expect(toPoint(item).aggregates).toEqual(aggregates);
    }
  });

  it('scores identically on a container that is cold at every emission (forest and steps read back from the table)', async () => {
    const cold = await run({ coldEvery: true });
    expect(scoredView(cold)).toEqual(scoredView(warm));
  }, 300_000);

  it('learns nothing twice when every final invoke is delivered again, warm or cold', async () => {
    const again = await run({ redeliver: true });
    expect(scoredView(again)).toEqual(scoredView(warm));
  }, 300_000);

  it('a final invoke that failed after merging its late records and writing part of its steps, retried cold, ends as if it never failed', async () => {
    const retried = await run({ failAt: LATE_AT });
    expect(scoredView(retried)).toEqual(scoredView(warm));
  }, 300_000);
});
