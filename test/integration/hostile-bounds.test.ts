import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient, dynamoDocumentClient } from '../../shared/aws/clients';
import { parseDetectors, rcfDetectors } from '../../shared/detectors';
import { DynamoHotspotsStore } from '../../shared/store/hotspots';
import { DynamoWindowStore, MAX_EMISSION_IDS, nextEmissions } from '../../shared/store/windows';
import { hotspotsPk, hotspotsStatePk, registryPk, windowPk, windowSk } from '../../shared/store/keys';
import { MAX_CARRIED_BYTES, checkCarriable } from '../../shared/hotspots';
import { encodeWindowPoints } from '../../shared/hotspots/byte-format';
import { compileDetector, toAggregate, type KeyRegistry } from '../../shared/windows';
import { REGISTRY_MAX_BYTES, boundRegistryBytes, registryEntryBytes } from '../../shared/windows/registry';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { DYNAMODB_MAX_ITEM_BYTES, itemBytes, seededRandom, startPipeline, type Pipeline } from '../support/faults';
import { tollDetectorItem } from '../factories/detectors';
import { windowEvent } from '../factories/kinesis';

/**
 * Items the windows function writes stay bounded in bytes whatever the keys and however many late merges: the
 * silent-key registry by REGISTRY_MAX_BYTES (oldest keys dropped first), a window's idempotency ids by
 * MAX_EMISSION_IDS (one per shard), each checked at its bound against dynalite with DynamoDB's size rules.
 */

const TOLL = `
detectors:
${tollDetectorItem({ rcf: { numberOfTrees: 10, subSampleSize: 16, timeDecay: 1000 }, silentKeysWindows: 5 })}
  - name: wind
    format: json
    key: location
    time: { field: ts, format: epochMillis }
    windowSeconds: 60
    aggregates: [sum(speed), count]
    features: [sum_speed]
    rcf: { numberOfTrees: 10, subSampleSize: 16, timeDecay: 1000 }
`;
const T0 = Date.parse('2026-03-01T12:00:00Z');
const NOW = () => T0 + 3_600_000;
const isoAt = (ms: number) => new Date(ms).toISOString();
/** A 512-character key of 3-byte UTF-8 characters (1,536 bytes): the longest the record kernel lets through. */
const longKey = (i: number) =>
  `${'€'.repeat(506)}${[...String(i).padStart(6, '0')].map((d) => String.fromCharCode(0x4e00 + Number(d))).join('')}`;

describe('item byte bounds of the windows function', () => {
  let db: Emulator;
  let tableName: string;
  const client = () => dynamoDocumentClient({ endpoint: db.endpoint });
  let doc: ReturnType<typeof client>;
  let low: ReturnType<typeof dynamoClient>;
  let store: DynamoWindowStore;
  const [detector] = rcfDetectors(parseDetectors(TOLL, 'test')).filter((d) => d.name === 'toll');
  const compiled = compileDetector(detector!);

  beforeAll(async () => {
    db = await startDynalite();
    tableName = await createDataTable(db.endpoint);
    doc = client();
    low = dynamoClient({ endpoint: db.endpoint });
    store = new DynamoWindowStore({ client: doc, tableName, retentionDays: 7, now: NOW });
  });
  afterAll(async () => {
    doc.destroy();
    low.destroy();
    await db.close();
  });

  const rawItem = async (pk: string, sk: string) =>
    (await low.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }))).Item!;

  describe('silent-key registry', () => {
    it('keeps every key while their bytes fit, and drops the keys seen longest ago once they do not', () => {
      const perKey = registryEntryBytes(longKey(0));
      expect(perKey).toBe(1536 + 32);
      const fit = Math.floor(REGISTRY_MAX_BYTES / perKey);
      const registry: KeyRegistry = new Map(Array.from({ length: fit }, (_, i) => [longKey(i), T0 + i * 10_000]));
      boundRegistryBytes(registry);
      expect(registry.size).toBe(fit);
      // One more (the newest): the oldest key goes, nothing else.
      registry.set(longKey(fit), T0 + fit * 10_000);
      boundRegistryBytes(registry);
      expect(registry.size).toBe(fit);
      expect(registry.has(longKey(0))).toBe(false);
      expect(registry.has(longKey(1))).toBe(true);
      expect(registry.has(longKey(fit))).toBe(true);
    });

    it('writes 2,000 keys of 512 three-byte characters (maxKeys) as an item under 400 KB, the newest keys kept', async () => {
      const registry: KeyRegistry = new Map(Array.from({ length: 2000 }, (_, i) => [longKey(i), T0 + i * 10_000]));
      await store.putRegistry('toll', 'shardId-000000000001', registry);
      const raw = await rawItem(registryPk('toll'), 'shardId-000000000001');
      const bytes = itemBytes(raw);
      expect(bytes).toBeLessThan(DYNAMODB_MAX_ITEM_BYTES);
      // Close to the budget: the bound is what limits the item, not an accident of this input.
      expect(bytes).toBeGreaterThan(REGISTRY_MAX_BYTES * 0.9);
      const back = await store.getRegistry('toll', 'shardId-000000000001');
      const kept = Math.floor(REGISTRY_MAX_BYTES / registryEntryBytes(longKey(0)));
      expect(back.size).toBe(kept);
      expect([...back.keys()].sort()).toEqual(Array.from({ length: kept }, (_, i) => longKey(2000 - kept + i)).sort());
      expect(back.get(longKey(1999))).toBe(T0 + 1999 * 10_000);
    });

    it('reads the map form written before keys became pairs', async () => {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: registryPk('toll'), sk: 'old-shard', type: 'keys', keys: { A: T0 / 1000, B: T0 / 1000 + 10 } },
        }),
      );
      expect(await store.getRegistry('toll', 'old-shard')).toEqual(
        new Map([
          ['A', T0],
          ['B', T0 + 10_000],
        ]),
      );
    });

    it('keeps keys named __proto__, constructor and toString through a write and a read', async () => {
      const registry: KeyRegistry = new Map([
        ['__proto__', T0],
        ['constructor', T0 + 10_000],
        ['toString', T0 + 20_000],
        ['hasOwnProperty', T0],
      ]);
      await store.putRegistry('toll', 'proto-shard', registry);
      expect(await store.getRegistry('toll', 'proto-shard')).toEqual(registry);
    });
  });

  describe('window idempotency ids', () => {
    const window = (count: number) => toAggregate(compiled, 'A', T0, [count]);
    const windowItem = async (start: number) =>
      (
        await doc.send(
          new GetCommand({ TableName: tableName, Key: { pk: windowPk('toll', 'A'), sk: windowSk(start) }, ConsistentRead: true }),
        )
      ).Item!;
    const read = async () => ({ bytes: itemBytes(await rawItem(windowPk('toll', 'A'), windowSk(T0))), item: await windowItem(T0) });

    it('keeps one id per shard, the last MAX_EMISSION_IDS shards, newest last', () => {
      const ids = Array.from({ length: MAX_EMISSION_IDS }, (_, i) => `shard-${i}:1`);
      expect(nextEmissions(ids, 'shard-3:2', 'shard-3')).toEqual([...ids.filter((id) => id !== 'shard-3:1'), 'shard-3:2']);
      expect(nextEmissions(ids, 'shard-99:1', 'shard-99')).toEqual([...ids.slice(1), 'shard-99:1']);
      // A shard id that is a prefix of another's is not mistaken for it.
      expect(nextEmissions(['shard-1:5', 'shard-10:5'], 'shard-1:6', 'shard-1')).toEqual(['shard-10:5', 'shard-1:6']);
    });

    it('stays the same size after 150 late merges (a producer with a stuck clock), counting every record once', async () => {
      await store.putFresh({ window: window(1), threshold: 3 }, 'shard-0:0', 'shard-0');
      const small = (await read()).bytes;
      let expected = 1;
      for (let i = 1; i <= 150; i++) {
        const shard = `shardId-${String(i % 24).padStart(12, '0')}`;
        // Sequence numbers as Kinesis gives them: 56 digits.
        const id = `${shard}:${String(49_590_000_000 + i).padEnd(56, '7')}`;
        expect(await store.mergeLate(window(2), id, shard)).toBe('merged');
        expected += 2;
        // A retry of the emission just merged (its answer lost) is a duplicate.
        if (i % 50 === 0) expect(await store.mergeLate(window(2), id, shard)).toBe('duplicate');
      }
      const { bytes, item } = await read();
      expect(item.count).toBe(expected);
      expect(item.lateRecords).toBe(300);
      expect(item.merges).toBe(150);
      expect(item.emissions).toHaveLength(MAX_EMISSION_IDS);
      // Fixed: the ids take at most MAX_EMISSION_IDS × ~80 bytes whatever the number of merges.
      expect(bytes - small).toBeLessThan(MAX_EMISSION_IDS * 90);
      expect(bytes).toBeLessThan(4096);
    });

    it('still recognises the retry of each of the last MAX_EMISSION_IDS shards, and merges a 17th shard', async () => {
      const start = T0 + 10_000;
      const at = (count: number) => toAggregate(compiled, 'A', start, [count]);
      await store.putFresh({ window: at(1), threshold: 3 }, 'shard-fresh:1', 'shard-fresh');
      const shards = Array.from({ length: MAX_EMISSION_IDS }, (_, i) => `shard-${i}`);
      for (const s of shards) expect(await store.mergeLate(at(1), `${s}:1`, s)).toBe('merged');
      for (const s of shards) expect(await store.mergeLate(at(1), `${s}:1`, s)).toBe('duplicate');
      expect(await store.mergeLate(at(1), 'shard-new:1', 'shard-new')).toBe('merged');
      const got = await windowItem(start);
      expect(got).toMatchObject({ count: 1 + MAX_EMISSION_IDS + 1, merges: MAX_EMISSION_IDS + 1 });
      expect(got.emissions).toEqual([...shards.slice(1).map((s) => `${s}:1`), 'shard-new:1']);
    });

    it('keeps a hotspots item the same size after 100 emissions from 24 shards into one window, each counted once', async () => {
      const hotspots = new DynamoHotspotsStore({ client: doc, tableName, retentionDays: 7, now: NOW });
      const write = (shard: string, id: string) =>
        hotspots.writeWindow({
          detector: 'players',
          startMs: T0,
          endMs: T0 + 10_000,
          shardId: shard,
          emissionId: id,
          threshold: 20,
          points: 2,
          hotspots: [],
          found: 0,
        });
      for (let i = 1; i <= 100; i++) {
        const shard = `shardId-${String(i % 24).padStart(12, '0')}`;
        const id = `${shard}:${String(49_590_000_000 + i).padEnd(56, '7')}`;
        expect(await write(shard, id)).toBe('written');
        if (i % 50 === 0) expect(await write(shard, id)).toBe('duplicate');
      }
      const raw = await rawItem(hotspotsPk('players'), windowSk(T0));
      const item = (
        await doc.send(new GetCommand({ TableName: tableName, Key: { pk: hotspotsPk('players'), sk: windowSk(T0) }, ConsistentRead: true }))
      ).Item!;
      expect(item.count).toBe(200);
      expect(item.emissions).toHaveLength(MAX_EMISSION_IDS);
      expect(itemBytes(raw)).toBeLessThan(8192);
    });

    it.each([
      [2, 40],
      [10, 15],
    ])(
      'keeps a hotspots item under 400 KB when %i-column hotspots come from %i shards, densest kept, points all counted',
      async (columns, shardCount) => {
        const hotspots = new DynamoHotspotsStore({ client: doc, tableName, retentionDays: 7, now: NOW });
        const start = T0 + columns * 10_000;
        const random = seededRandom(columns);
        const densities: number[] = [];
        for (let s = 0; s < shardCount; s++) {
          const shard = `shardId-${String(s).padStart(12, '0')}`;
          const list = Array.from({ length: 50 }, () => {
            const v = () => 40.75 + random() * 1e-3;
            return {
              density: random() * 100,
              count: 15 + Math.floor(random() * 50),
              centroid: Array.from({ length: columns }, v),
              minValues: Array.from({ length: columns }, v),
              maxValues: Array.from({ length: columns }, v),
            };
          }).sort((a, b) => b.density - a.density);
          densities.push(...list.map((h) => h.density));
          const write = {
            detector: 'players',
            startMs: start,
            endMs: start + 10_000,
            shardId: shard,
            emissionId: `${shard}:1`,
            threshold: 1000,
            points: 300,
            hotspots: list,
            found: 50,
          };
          expect(await hotspots.writeWindow(write)).toBe('written');
        }
        const bytes = itemBytes(await rawItem(hotspotsPk('players'), windowSk(start)));
        expect(bytes).toBeLessThan(DYNAMODB_MAX_ITEM_BYTES);
        const item = (
          await doc.send(
            new GetCommand({ TableName: tableName, Key: { pk: hotspotsPk('players'), sk: windowSk(start) }, ConsistentRead: true }),
          )
        ).Item!;
        expect(item.count).toBe(300 * shardCount);
        expect(Object.keys(item.shards as object)).toHaveLength(shardCount);
        const kept = (item.hotspots as Array<{ density: number }>).map((h) => h.density);
        // The densest of all shards, in order; cut only because all of them would not fit.
        expect(kept).toEqual(densities.sort((a, b) => b - a).slice(0, kept.length));
        expect(kept.length).toBeLessThan(densities.length);
        expect(kept.length).toBeGreaterThan(100);
      },
    );

    it("keeps a shard's carried hotspots window under 400 KB at the largest window checkCarriable allows", async () => {
      const hotspots = new DynamoHotspotsStore({ client: doc, tableName, retentionDays: 7, now: NOW });
      const columns = Array.from({ length: 10 }, (_, i) => `${'c'.repeat(62)}${i}`);
      const windowSize = Math.floor(MAX_CARRIED_BYTES / (columns.length * 8));
      expect(() => checkCarriable({ name: 'players', columns, windowSize } as Parameters<typeof checkCarriable>[0])).not.toThrow();
      expect(() =>
        checkCarriable({ name: 'players', columns, windowSize: windowSize + 1 } as Parameters<typeof checkCarriable>[0]),
      ).toThrow(/lower windowSize/);
      const points = encodeWindowPoints(windowSize, columns.length, windowSize, (k, i) => k * 1e-7 + i);
      const shard = 'shardId-000000000000';
      await hotspots.saveCarried('players', shard, { points, columns, lastEmission: `${shard}:${'9'.repeat(56)}`, lastWindowMs: T0 }, 0);
      const bytes = itemBytes(await rawItem(hotspotsStatePk('players'), shard));
      expect(bytes).toBeGreaterThan(MAX_CARRIED_BYTES);
      expect(bytes).toBeLessThan(DYNAMODB_MAX_ITEM_BYTES);
    });

    it('merges into an item written before the merge counter, trimming its long list', async () => {
      const start = T0 + 20_000;
      const old = Array.from({ length: 300 }, (_, i) => `shard-0:${i}`);
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: windowPk('toll', 'A'),
            sk: windowSk(start),
            type: 'window',
            detector: 'toll',
            key: 'A',
            count: 300,
            emissions: old,
            lateRecords: 299,
          },
        }),
      );
      const at = toAggregate(compiled, 'A', start, [1]);
      expect(await store.mergeLate(at, 'shard-0:17', 'shard-0')).toBe('duplicate');
      expect(await store.mergeLate(at, 'shard-0:300', 'shard-0')).toBe('merged');
      expect(await store.mergeLate(at, 'shard-0:300', 'shard-0')).toBe('duplicate');
      expect(await windowItem(start)).toMatchObject({ count: 301, lateRecords: 300, merges: 1, emissions: ['shard-0:300'] });
    });
  });
});

describe('a key named __proto__ through the windows function', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ detectorsYaml: TOLL, now: NOW });
  });
  afterAll(async () => {
    await p.close();
  });

  it('enters the silent-key registry and gets zero-count windows when it goes quiet, like any key', async () => {
    const toll = (ms: number, station: string) => `${isoAt(ms)},${station},ABC123`;
    await p.windows(
      windowEvent({ windowStart: T0, final: true, records: [toll(T0 + 1, '__proto__'), toll(T0 + 2, 'constructor'), toll(T0 + 3, 'A')] }),
    );
    await p.windows(windowEvent({ windowStart: T0 + 10_000, final: true, records: [toll(T0 + 10_001, 'A')] }));
    const items = (await p.items()).map((i) => i.item);
    const registry = items.find((i) => i.pk === registryPk('toll'))!;
    expect((registry.keys as Array<[string, number]>).map(([k]) => k).sort()).toEqual(['A', '__proto__', 'constructor']);
    for (const key of ['__proto__', 'constructor']) {
      const quiet = items.find((i) => i.pk === windowPk('toll', key) && i.sk === isoAt(T0 + 10_000));
      expect(quiet).toMatchObject({ count: 0, silent: true, scored: true });
    }
    expect(p.rejects.all).toEqual([]);
  });

  it('refuses, counts and does not block on a late merge whose sum would pass 2^53 (each emission alone is exact)', async () => {
    const t = T0 + 120_000;
    const wind = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ location: 'gusty', speed: 1e12, ts: t + i }));
    // 5,000 values of 1e12 (the kernel's largest) per emission: 5e15 each, 1e16 together.
    const first = await p.windows(windowEvent({ windowStart: t, windowSeconds: 10, final: true, records: wind(5000) }));
    expect(first.batchItemFailures).toEqual([]);
    const late = windowEvent({ windowStart: t + 10_000, windowSeconds: 10, final: true, records: wind(5000) });
    await p.windows(structuredClone(late));
    await p.windows(structuredClone(late));
    const { item, bytes } = (await p.items()).find((i) => i.item.pk === windowPk('wind', 'gusty'))!;
    expect(item).toMatchObject({ count: 5000, aggregates: { sum_speed: 5e15, count: 5000 }, refusedRecords: 5000, merges: 1 });
    expect(bytes).toBeLessThan(4096);
    // The window stays writable: a small late merge after the refused one is counted.
    await p.windows(
      windowEvent({
        windowStart: t + 20_000,
        windowSeconds: 10,
        final: true,
        records: [JSON.stringify({ location: 'gusty', speed: 1, ts: t + 1 })],
      }),
    );
    const after = (await p.items()).find((i) => i.item.pk === windowPk('wind', 'gusty'))!.item;
    expect(after).toMatchObject({ count: 5001, lateRecords: 1, refusedRecords: 5000, merges: 2 });
  });
});
