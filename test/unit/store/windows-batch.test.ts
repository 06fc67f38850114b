import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../../../shared/aws/clients';
import { parseDetectors, type RcfDetector } from '../../../shared/detectors';
import { DynamoWindowStore } from '../../../shared/store/windows';
import { finishAggregate, type WindowResult } from '../../../shared/windows';
import { slotId } from '../../../shared/windows/trust';
import { createDataTable, startDynalite, type Emulator } from '../../support/emulators';
import { tollDetectorYaml } from '../../factories/detectors';

/**
 * The window store's batched fresh puts and shard heads (shared/store/windows.ts, shared/windows/trust.ts), against
 * dynalite: a window goes in a batch only when a consistent read just saw its slot empty and it owes no alert; every
 * other one takes the conditional put, so an item someone else wrote is merged, never overwritten.
 */

const [TOLL] = parseDetectors(
  tollDetectorYaml({ rcf: { numberOfTrees: 10, subSampleSize: 10, timeDecay: 100 }, threshold: 2.5 }),
  'store test detectors',
) as [RcfDetector];

const T0 = Date.parse('2026-03-01T12:00:00Z');
const at = (w: number) => T0 + w * 10_000;
const result = (key: string, w: number, count: number, alert = false): WindowResult => ({
  window: finishAggregate(TOLL, key, at(w), count, {}),
  score: alert ? 5 : 0.5,
  threshold: TOLL.threshold,
  features: [count],
  alert,
});

describe('window store: batched fresh puts and shard heads', () => {
  let db: Emulator;
  let client: DynamoDBDocumentClient;
  let tableName: string;
  let store: DynamoWindowStore;
  const calls: string[] = [];
  beforeAll(async () => {
    db = await startDynalite();
    client = dynamoDocumentClient({ endpoint: db.endpoint });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(context.commandName ?? '?');
        return next(args);
      },
      { step: 'initialize', name: 'record' },
    );
  });
  beforeEach(async () => {
    tableName = await createDataTable(db.endpoint);
    store = new DynamoWindowStore({ client, tableName, retentionDays: 7, now: () => T0, batchFreshPuts: true });
    calls.length = 0;
  });
  afterAll(async () => {
    client.destroy();
    await db.close();
  });
  const item = async (key: string, w: number) =>
    (await client.send(new GetCommand({ TableName: tableName, Key: { pk: `W#toll#${key}`, sk: new Date(at(w)).toISOString() } }))).Item;

  it('puts windows whose slots a learnedSince read saw empty in one batch, and alerting ones alone and conditionally', async () => {
    for (const k of ['A', 'B', 'C']) await store.learnedSince('toll', k, at(0));
    calls.length = 0;
    const outcomes = await Promise.all([
      store.putFresh(result('A', 1, 3), 'e1', 's0'),
      store.putFresh(result('B', 1, 4), 'e1', 's0'),
      store.putFresh(result('C', 1, 9, true), 'e1', 's0'),
    ]);
    expect(outcomes).toEqual(['written', 'written', 'written']);
    expect(calls.sort()).toEqual(['BatchWriteItemCommand', 'PutItemCommand']);
    expect(await item('A', 1)).toMatchObject({ count: 3, fresh: 'e1', emissions: ['e1'] });
    expect(await item('C', 1)).toMatchObject({ count: 9, pendingAlert: 'toll' });
  });

  it('puts every fresh window alone and conditionally unless keys are partitioned by shard (the default)', async () => {
    const exact = new DynamoWindowStore({ client, tableName, retentionDays: 7, now: () => T0 });
    for (const k of ['A', 'B']) await exact.learnedSince('toll', k, at(0));
    calls.length = 0;
    await Promise.all([exact.putFresh(result('A', 1, 3), 'e1', 's0'), exact.putFresh(result('B', 1, 4), 'e1', 's0')]);
    expect(calls).toEqual(['PutItemCommand', 'PutItemCommand']);
    // Another shard's emission of the same window merges into the item instead of overwriting it.
    expect(
      await new DynamoWindowStore({ client, tableName, retentionDays: 7, now: () => T0 }).putFresh(result('A', 1, 2), 'e2', 's1'),
    ).toBe('merged');
    expect(await item('A', 1)).toMatchObject({ count: 5 });
  });

  it('merges into an item another emission wrote after the read saw it, and never batches a slot twice', async () => {
    await store.putFresh(result('A', 1, 3), 'other', 's1');
    await store.learnedSince('toll', 'A', at(0));
    expect(await store.putFresh(result('A', 1, 2), 'e1', 's0')).toBe('merged');
    expect(await item('A', 1)).toMatchObject({ count: 5, late: true, lateRecords: 2, fresh: 'other' });
    // A slot seen empty is taken by the first put only; a second put of it goes the conditional way and finds its own.
    await store.learnedSince('toll', 'B', at(0));
    expect(await store.putFresh(result('B', 1, 4), 'e1', 's0')).toBe('written');
    calls.length = 0;
    expect(await store.putFresh(result('B', 1, 4), 'e1', 's0')).toBe('duplicate');
    expect(calls).not.toContain('BatchWriteItemCommand');
    expect(await item('B', 1)).toMatchObject({ count: 4, late: false });
  });

  it('puts conditionally a window no read covered', async () => {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: 'W#toll#A', sk: new Date(at(1)).toISOString(), type: 'window', count: 1, emissions: ['x'], merges: 0, expiresAt: 1 },
      }),
    );
    calls.length = 0;
    expect(await store.putFresh(result('A', 1, 2), 'e1', 's0')).toBe('merged');
    expect(calls[0]).toBe('PutItemCommand');
    expect(await item('A', 1)).toMatchObject({ count: 3 });
  });

  it('takenSlots names the slots that hold an item and lets the empty ones go in batches', async () => {
    await store.putFresh(result('A', 2, 1), 'other', 's1');
    const slots = [
      { detector: 'toll', key: 'A', startMs: at(2) },
      { detector: 'toll', key: 'B', startMs: at(2) },
    ];
    const taken = await store.takenSlots(slots);
    expect([...taken]).toEqual([slotId(slots[0]!)]);
    calls.length = 0;
    expect(await store.putFresh(result('B', 2, 7), 'e1', 's0')).toBe('written');
    expect(calls).toEqual(['BatchWriteItemCommand']);
    calls.length = 0;
    expect(await store.putFresh(result('A', 2, 7), 'e1', 's0')).toBe('merged');
    expect(calls).not.toContain('BatchWriteItemCommand');
    expect(await item('A', 2)).toMatchObject({ count: 8 });
  });

  it('keeps a shard head beside the registry, claimed and written only over the head read', async () => {
    expect(await store.readShard('toll', 's0')).toEqual({ registry: new Map() });
    const mine = { container: 'c1', emission: 'running:e1' };
    expect(await store.claimShard('toll', 's0', mine, undefined)).toBe(true);
    // The claim made the item; a second claim over the old (absent) head loses.
    expect(await store.claimShard('toll', 's0', { container: 'c2', emission: 'running:e1' }, undefined)).toBe(false);
    const registry = new Map([['A', at(3)]]);
    expect(await store.writeShard('toll', 's0', registry, { container: 'c1', emission: 'e1' }, mine)).toBe(true);
    expect(await store.readShard('toll', 's0')).toEqual({ registry, head: { container: 'c1', emission: 'e1' } });
    // Written over a head that changed: the registry is saved, the head dropped (everyone reads every key next time).
    const newer = new Map([['B', at(4)]]);
    expect(await store.writeShard('toll', 's0', newer, { container: 'c3', emission: 'e2' }, mine)).toBe(false);
    expect(await store.readShard('toll', 's0')).toEqual({ registry: newer });
    // A detector without a registry gets its head only; losing leaves no item behind where there was none.
    expect(await store.writeShard('wind', 's0', undefined, { container: 'c1', emission: 'e1' }, mine)).toBe(false);
    expect(await store.readShard('wind', 's0')).toEqual({ registry: new Map() });
  });
});
