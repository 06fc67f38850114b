import { join } from 'node:path';
import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { BUILTIN_DEFAULTS, parseDetectors } from '../../shared/detectors';
import { RandomCutForest } from '../../shared/rcf';
import { DynamoModelStore, ModelTooLargeError } from '../../shared/store/models';
import { MODEL_SK, modelPk } from '../../shared/store/keys';
import {
  MODEL_ITEM_STATE_BYTES,
  MODEL_MAX_ITEMS,
  MODEL_STATE_MAX_BYTES,
  modelBoundProblem,
  modelStateMaxBytes,
} from '../../shared/windows/model-bound';
import { ModelConflictError, type ModelParams, type StoredModel } from '../../shared/windows/ports';
import { liveModel, modelParams } from '../../shared/windows/models';
import type { RcfDetector } from '../../shared/detectors/schema';
import { loadResources } from '../../local/definitions';
import { REPO_ROOT } from '../support/sls-package';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { seededRandom, startFaultProxy, type FaultProxy } from '../support/faults';

/**
 * Models larger than one DynamoDB item (issue 13: every item bounded by bytes): the store splits a state into a head
 * and part items keyed by version and save, against dynalite (which refuses items over 400 KB). At the per-item
 * budget, just over it, at the cap and at the worst case the bound allows; a save that loses its head write never
 * disturbs the current version, and a reader never assembles parts of two versions.
 */

const DETECTOR = 'toll';
const LONG_KEY = 'k'.repeat(512); // the longest key: the head's other attributes are largest with it
const T0 = Date.parse('2026-01-01T00:00:00Z');
const KDA: Omit<ModelParams, 'dimensions' | 'features'> = { numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 };
const params = (features: number): ModelParams => ({
  ...KDA,
  dimensions: features,
  features: Array.from({ length: features }, (_, i) => `f${i}`),
});

/** Incompressible bytes, as a forest of random points is close to. */
function bytes(n: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
}

const model = (state: Uint8Array, version: number, key = LONG_KEY): StoredModel => ({
  detector: DETECTOR,
  key,
  state,
  version,
  params: params(4),
  lastWindowMs: T0 + version * 60_000,
  // A grade state near its ~1 KB worst case.
  grade: { seen: version, recent: Array.from({ length: 60 }, (_, i) => i * 1.000001) },
});

type Send = DynamoDBDocumentClient['send'];
/** A client whose calls pass through `hook` first (to fail, delay or interleave one). */
const hooked = (client: DynamoDBDocumentClient, hook: (command: unknown, send: Send) => Promise<unknown>): DynamoDBDocumentClient =>
  ({ send: ((command: unknown) => hook(command, client.send.bind(client) as Send)) as Send }) as unknown as DynamoDBDocumentClient;

const isHeadPut = (c: unknown): c is PutCommand => c instanceof PutCommand && (c.input.Item as { sk?: string }).sk === MODEL_SK;
const readsParts = (c: unknown): boolean =>
  c?.constructor?.name === 'BatchGetCommand' && JSON.stringify((c as { input: unknown }).input).includes('"sk":"PART#');

describe('model items past one DynamoDB item (head and parts)', () => {
  let db: Emulator;
  let client: DynamoDBDocumentClient;
  let tableName: string;
  const store = (c = client, extra: Partial<ConstructorParameters<typeof DynamoModelStore>[0]> = {}) =>
    new DynamoModelStore({ client: c, tableName, retentionDays: 7, now: () => T0, ...extra });

  beforeAll(async () => {
    db = await startDynalite();
    client = dynamoDocumentClient({ endpoint: db.endpoint });
  });
  afterAll(async () => {
    client.destroy();
    await db.close();
  });
  beforeEach(async () => {
    tableName = await createDataTable(db.endpoint);
  });

  /** The sort keys of the model's items (a Query answers in pages of 1 MB). */
  const itemsOf = async (key = LONG_KEY) => {
    const sks: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': modelPk(DETECTOR, key) },
          ProjectionExpression: 'sk',
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      sks.push(...(out.Items ?? []).map((i) => i.sk as string));
      start = out.LastEvaluatedKey;
    } while (start);
    return sks.sort();
  };
  const load = async (s: DynamoModelStore, key = LONG_KEY) => (await s.loadMany([{ detector: DETECTOR, key }])).values().next().value;

  it.each([
    ['at the per-item budget in the head alone', MODEL_ITEM_STATE_BYTES, 1],
    ['one byte over it in a head and one part', MODEL_ITEM_STATE_BYTES + 1, 2],
    ['at the cap in the most items a model may take', MODEL_STATE_MAX_BYTES, MODEL_MAX_ITEMS],
  ])('saves and loads a state %s', async (_name, size, items) => {
    const state = bytes(size, size);
    await store().save(model(state, 1), undefined);
    expect(await itemsOf()).toHaveLength(items);
    const loaded = await load(store());
    expect(loaded?.version).toBe(1);
    expect(loaded?.state.length).toBe(size);
    expect(Buffer.from(loaded!.state).equals(Buffer.from(state))).toBe(true);
    expect(loaded?.grade).toEqual(model(state, 1).grade);
  });

  it('holds the largest state the bound allows for the largest configuration the loader accepts', async () => {
    // KDA's default forest with 25 features: the most the cap admits (26 are refused, see the loader test below).
    const worst = modelStateMaxBytes({ ...KDA, dimensions: 25 });
    expect(worst).toBeLessThanOrEqual(MODEL_STATE_MAX_BYTES);
    expect(modelStateMaxBytes({ ...KDA, dimensions: 26 })).toBeGreaterThan(MODEL_STATE_MAX_BYTES);
    const state = bytes(worst, 25);
    await store().save({ ...model(state, 1), params: params(25) }, undefined);
    expect(await itemsOf()).toHaveLength(MODEL_MAX_ITEMS);
    expect(Buffer.from((await load(store()))!.state).equals(Buffer.from(state))).toBe(true);
  });

  it('has the detectors loader refuse a configuration whose model may pass the cap, saying what to lower', () => {
    const yaml = (features: number) =>
      [
        'detectors:',
        '  - name: wide',
        '    format: json',
        '    key: k',
        `    aggregates: [${Array.from({ length: features }, (_, i) => `sum(c${i})`).join(', ')}]`,
        '    rcf: { numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 }',
        '  - name: wide-records',
        '    kind: records',
        '    format: json',
        `    features: [${Array.from({ length: features }, (_, i) => `c${i}`).join(', ')}]`,
        '    rcf: { numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 }',
      ].join('\n');
    expect(parseDetectors(yaml(25))).toHaveLength(2);
    let message = '';
    try {
      parseDetectors(yaml(26));
    } catch (error) {
      message = (error as Error).message;
    }
    for (const name of ['wide', 'wide-records']) {
      const problem = modelBoundProblem({ name, rcf: { ...KDA }, features: Array.from({ length: 26 }, (_, i) => `c${i}`) })!;
      expect(problem).toMatch(
        /may reach \d+ bytes, more than the 2800000 a model may take \(8 DynamoDB items of 350000 bytes\); lower numberOfTrees to at most \d+,/,
      );
      expect(message).toContain(problem);
    }
    // Its suggestion is enough.
    const trees = Number(/at most (\d+)/.exec(message)![1]);
    expect(parseDetectors(yaml(26).replaceAll('numberOfTrees: 100', `numberOfTrees: ${trees}`))).toHaveLength(2);
    // Schema-only validation (import-sql, compare) still reads it.
    expect(parseDetectors(yaml(26), 'x', BUILTIN_DEFAULTS, { schemaOnly: true })).toHaveLength(2);
  });

  it('refuses a state past the cap and writes nothing', async () => {
    await expect(store().save(model(bytes(MODEL_STATE_MAX_BYTES + 1, 3), 1), undefined)).rejects.toBeInstanceOf(ModelTooLargeError);
    expect(await itemsOf()).toEqual([]);
  });

  it('saves and reloads a real forest of KDA defaults with 4 features through parts', async () => {
    const [detector] = parseDetectors(
      [
        'detectors:',
        `  - name: ${DETECTOR}`,
        '    format: json',
        '    key: k',
        '    aggregates: [count, sum(a), sum(b), sum(c)]',
        '    rcf: { numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 }',
      ].join('\n'),
    ) as [RcfDetector];
    expect(detector.features).toHaveLength(4);
    const random = seededRandom(4);
    // Values over many magnitudes: the float planes compress as little as real readings at their worst.
    const value = () => (random() - 0.5) * 2 ** (random() * 40 - 20);
    const forest = new RandomCutForest({ ...detector.rcf, dimensions: 4, seed: 4 });
    let state = forest.toBytes();
    for (let i = 0; state.length <= MODEL_ITEM_STATE_BYTES; i++) {
      forest.process([value(), value(), value(), value()]);
      if (i % 10_000 === 9_999) state = forest.toBytes();
      if (i > 400_000) throw new Error(`the forest stays at ${state.length} bytes`);
    }
    expect(state.length).toBeLessThanOrEqual(modelStateMaxBytes({ ...detector.rcf, dimensions: 4 }));
    await store().save({ ...model(state, 1, 'S1'), params: modelParams(detector) }, undefined);
    const sks = await itemsOf('S1');
    expect(sks).toHaveLength(2);
    expect(sks).toContain(MODEL_SK);
    expect(sks.find((sk) => sk !== MODEL_SK)).toMatch(/^PART#1#[0-9a-f]+#1$/);
    const loaded = (await load(store(), 'S1'))!;
    expect(Buffer.from(loaded.state).equals(Buffer.from(state))).toBe(true);
    // The windows service takes it as the key's forest: the parameters match, nothing starts afresh.
    const { model: live, reset } = liveModel(detector, 'S1', loaded);
    expect(reset).toBe(false);
    expect(live.forest.updates).toBe(forest.updates);
    expect(live.forest.storedPoints).toBe(forest.storedPoints);
  });

  it('deletes the parts of the version a save replaces', async () => {
    await store().save(model(bytes(2 * MODEL_ITEM_STATE_BYTES + 1, 1), 1), undefined);
    expect(await itemsOf()).toHaveLength(3);
    await store().save(model(bytes(MODEL_ITEM_STATE_BYTES + 1, 2), 2), 1);
    const second = await itemsOf();
    expect(second).toHaveLength(2);
    expect(second.filter((sk) => sk !== MODEL_SK).every((sk) => sk.startsWith('PART#2#'))).toBe(true);
    const third = bytes(1000, 3);
    await store().save(model(third, 3), 2);
    expect(await itemsOf()).toEqual([MODEL_SK]);
    expect(Buffer.from((await load(store()))!.state).equals(Buffer.from(third))).toBe(true);
  });

  it('leaves the current version loadable when a save fails after its parts and before its head', async () => {
    const current = bytes(MODEL_ITEM_STATE_BYTES + 10, 1);
    await store().save(model(current, 1), undefined);
    const crashing = hooked(client, async (command, send) => {
      if (isHeadPut(command)) throw Object.assign(new Error('connection reset'), { name: 'TimeoutError' });
      return send(command as never);
    });
    await expect(store(crashing).save(model(bytes(2 * MODEL_ITEM_STATE_BYTES, 2), 2), 1)).rejects.toThrow('connection reset');
    // The failed save's part is there, named by no head; the current version reads whole.
    expect((await itemsOf()).filter((sk) => sk.startsWith('PART#2#'))).toHaveLength(1);
    const loaded = (await load(store()))!;
    expect(loaded.version).toBe(1);
    expect(Buffer.from(loaded.state).equals(Buffer.from(current))).toBe(true);
    // The retried save (another save id) goes through; the abandoned part is left to its TTL, after the head's.
    const retried = bytes(2 * MODEL_ITEM_STATE_BYTES, 3);
    await store().save(model(retried, 2), 1);
    expect(Buffer.from((await load(store()))!.state).equals(Buffer.from(retried))).toBe(true);
    const all = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': modelPk(DETECTOR, LONG_KEY) },
        ProjectionExpression: 'sk, expiresAt, saveId',
        ConsistentRead: true,
      }),
    );
    const head = all.Items!.find((i) => i.sk === MODEL_SK)!;
    const parts = all.Items!.filter((i) => i.sk !== MODEL_SK);
    expect(parts).toHaveLength(2); // the retried save's one part and the abandoned one
    for (const p of parts) expect(p.expiresAt).toBeGreaterThan(head.expiresAt as number);
  });

  it('lets the first of two saves of one version win and removes the loser’s parts', async () => {
    await store().save(model(bytes(100, 1), 1), undefined);
    const winner = bytes(MODEL_ITEM_STATE_BYTES * 2 + 5, 2);
    await store().save(model(winner, 2), 1);
    await expect(store().save(model(bytes(MODEL_ITEM_STATE_BYTES * 3, 3), 2), 1)).rejects.toBeInstanceOf(ModelConflictError);
    const sks = await itemsOf();
    expect(sks).toHaveLength(3);
    const loaded = (await load(store()))!;
    expect(loaded.version).toBe(2);
    expect(Buffer.from(loaded.state).equals(Buffer.from(winner))).toBe(true);
  });

  it('takes the same model saved by two containers as one save, with no parts left over', async () => {
    await store().save(model(bytes(100, 1), 1), undefined);
    const same = model(bytes(2 * MODEL_ITEM_STATE_BYTES + 1, 2), 2);
    await store().save(same, 1);
    await store().save({ ...same, state: same.state.slice() }, 1);
    expect(await itemsOf()).toHaveLength(3);
    expect(Buffer.from((await load(store()))!.state).equals(Buffer.from(same.state))).toBe(true);
  });

  it('takes a save whose head write landed but whose answer was lost as saved', async () => {
    await store().save(model(bytes(MODEL_ITEM_STATE_BYTES + 1, 1), 1), undefined);
    // The SDK sends the put again when the answer is lost; the second try then fails the condition on its own head.
    const lostAnswer = hooked(client, async (command, send) => {
      if (!isHeadPut(command)) return send(command as never);
      await send(command as never);
      throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    });
    const state = bytes(MODEL_ITEM_STATE_BYTES + 2, 2);
    await store(lostAnswer).save(model(state, 2), 1);
    const loaded = (await load(store()))!;
    expect(loaded.version).toBe(2);
    expect(Buffer.from(loaded.state).equals(Buffer.from(state))).toBe(true);
  });

  it.each([
    ['a save in parts', 2 * MODEL_ITEM_STATE_BYTES + 7],
    ['a save in one item', 1000],
  ])('reads one whole version when %s replaces the model between its head and part reads', async (_name, size) => {
    const old = bytes(3 * MODEL_ITEM_STATE_BYTES - 1, 1);
    await store().save(model(old, 1), undefined);
    const next = bytes(size, 2);
    let raced = false;
    let partReads = 0;
    const racing = hooked(client, async (command, send) => {
      // The save lands (and deletes version 1's parts) after the head was read and before its parts are.
      if (readsParts(command)) partReads++;
      if (readsParts(command) && !raced) {
        raced = true;
        await store().save(model(next, 2), 1);
      }
      return send(command as never);
    });
    const reader = store(racing);
    const loaded = (await load(reader))!;
    // The parts of version 1 were gone: the head was read again, then version 2's parts if it has any.
    expect(partReads).toBe(size > MODEL_ITEM_STATE_BYTES ? 2 : 1);
    expect(loaded.version).toBe(2);
    expect(Buffer.from(loaded.state).equals(Buffer.from(next))).toBe(true);
    expect(reader.lostModels).toBe(0);
  });

  it.each([
    [
      'altered',
      async (sk: string) => {
        const part = bytes(MODEL_ITEM_STATE_BYTES - 3, 9);
        await client.send(
          new PutCommand({ TableName: tableName, Item: { pk: modelPk(DETECTOR, LONG_KEY), sk, type: 'model-part', state: part } }),
        );
      },
    ],
    [
      'gone (expired)',
      async (sk: string) => {
        await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: modelPk(DETECTOR, LONG_KEY), sk } }));
      },
    ],
  ])('starts a key afresh whose part is %s, never reading a mixed state', async (_name, spoil) => {
    await store().save(model(bytes(2 * MODEL_ITEM_STATE_BYTES - 3, 1), 1), undefined);
    const part = (await itemsOf()).find((sk) => sk !== MODEL_SK)!;
    await spoil(part);
    const reader = store();
    const loaded = (await load(reader))!;
    expect(reader.lostModels).toBe(1);
    // Kept: the version (so the next save replaces the head) and lastWindow (old windows are not learned again).
    expect(loaded).toMatchObject({ version: 1, lastWindowMs: T0 + 60_000, state: new Uint8Array(0) });
    const [detector] = parseDetectors(
      `detectors:\n  - name: ${DETECTOR}\n    format: json\n    key: k\n    aggregates: [count, sum(a), sum(b), sum(c)]\n`,
    ) as [RcfDetector];
    expect(liveModel(detector, LONG_KEY, loaded).reset).toBe(true);
    await store().save(model(bytes(10, 2), 2), 1);
    expect((await load(store()))!.version).toBe(2);
  });

  it('makes only requests the windows role allows on model items', async () => {
    const actions = new Set<string>();
    const recording = hooked(client, (command, send) => {
      actions.add(command!.constructor.name.replace(/Command$/, ''));
      return send(command as never);
    });
    const s = store(recording);
    await s.save(model(bytes(2 * MODEL_ITEM_STATE_BYTES, 1), 1), undefined);
    await s.loadMany([{ detector: DETECTOR, key: LONG_KEY }]);
    await s.save(model(bytes(MODEL_ITEM_STATE_BYTES + 1, 2), 2), 1);
    await expect(s.save(model(bytes(MODEL_ITEM_STATE_BYTES + 1, 3), 2), 1)).rejects.toBeInstanceOf(ModelConflictError);
    const toAction = (name: string) =>
      `dynamodb:${{ BatchGet: 'BatchGetItem', Put: 'PutItem', Get: 'GetItem', Delete: 'DeleteItem' }[name] ?? name}`;
    expect([...actions].map(toAction).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
    ]);
    const role = loadResources(join(REPO_ROOT, 'functions', 'windows')).WindowsRole!;
    type Statement = { Effect: string; Action: string | string[]; Condition?: Record<string, Record<string, string[]>> };
    const statements = (role.Properties!.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap(
      (p) => p.PolicyDocument.Statement,
    );
    const grants = (action: string) =>
      statements.some(
        (st) =>
          st.Effect === 'Allow' &&
          [st.Action].flat().includes(action) &&
          (st.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? []).includes(`${modelPk('', '').slice(0, 2)}*`),
      );
    for (const action of [...actions].map(toAction)) expect([action, grants(action)]).toEqual([action, true]);
  });
});

describe('model parts through throttles, server errors and lost answers', () => {
  let db: Emulator;
  let proxy: FaultProxy;
  let client: DynamoDBDocumentClient;
  let tableName: string;
  const seed = Number(process.env.FAULT_SEED ?? 20261201);

  beforeAll(async () => {
    db = await startDynalite();
    tableName = await createDataTable(db.endpoint);
    proxy = await startFaultProxy(db.endpoint, { rate: 0.2, seed });
    client = dynamoDocumentClient({ endpoint: proxy.endpoint });
  });
  afterAll(async () => {
    client.destroy();
    await proxy.close();
    await db.close();
  });

  it(`saves versions of 1 to 4 items in turn, each load whole and exact (FAULT_SEED=${seed} replays it)`, async () => {
    const s = new DynamoModelStore({ client, tableName, retentionDays: 7, now: () => T0 });
    const key = 'faulty';
    // A load that fails is the invoke failing: Lambda retries it.
    const load = async (): Promise<StoredModel | undefined> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return (await s.loadMany([{ detector: DETECTOR, key }])).get(`${DETECTOR}\u0000${key}`);
        } catch (error) {
          if (attempt > 20) throw error;
        }
      }
    };
    const sizes = [100, MODEL_ITEM_STATE_BYTES + 1, 2 * MODEL_ITEM_STATE_BYTES + 1, 3 * MODEL_ITEM_STATE_BYTES + 1];
    for (let v = 1; v <= 12; v++) {
      const state = bytes(sizes[v % sizes.length]!, v);
      for (let attempt = 0; ; attempt++) {
        try {
          await s.save(model(state, v, key), v === 1 ? undefined : v - 1);
          break;
        } catch (error) {
          if (attempt > 20) throw error;
          // What a redelivered invoke does: read what is stored; the save either landed whole or not at all.
          const now = await load();
          if (now?.version === v) {
            expect(Buffer.from(now.state).equals(Buffer.from(state))).toBe(true);
            break;
          }
          expect(error).not.toBeInstanceOf(ModelConflictError);
          expect(now?.version).toBe(v === 1 ? undefined : v - 1);
        }
      }
      const loaded = (await load())!;
      expect(loaded.version).toBe(v);
      expect(Buffer.from(loaded.state).equals(Buffer.from(state))).toBe(true);
    }
    expect(s.lostModels).toBe(0);
    // The faults happened: throttles and 500s the SDK retried, and answers lost after the write.
    expect(proxy.counts['lost-answer']).toBeGreaterThan(0);
    expect(proxy.counts.throttle + proxy.counts['server-error']).toBeGreaterThan(0);
  });
});
