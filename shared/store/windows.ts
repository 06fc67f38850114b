import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { StreamSentinelError } from '../errors';
import { retryFailedEntries, sdkAttempts } from '../io/retry';
import { MAX_SAFE_SUM } from '../records/limits';
import { mergeLateWindow } from '../windows/merge';
import type { KeyRegistry, WindowAggregate } from '../windows/plan';
import { boundRegistryBytes } from '../windows/registry';
import type { FreshOutcome, LateOutcome, LearnedWindow, WindowResult, WindowStore } from '../windows/ports';
import { slotId, type ShardHead, type ShardHeadStore, type ShardState, type WindowSlot } from '../windows/trust';
import type { StepAggregate } from '../windows/hopping';
import { nextEmissions } from './emissions';
import { expiresAt, isConditionalFailure, iso, registryPk, windowPk, windowSk } from './keys';

export { MAX_EMISSION_IDS, nextEmissions } from './emissions';

/**
 * The window store over DynamoDB (docs/data-model.md): window items and per-shard key registries. Fresh windows
 * are put once (a retried emission finds its own id); late records are merged by read, pure merge
 * (shared/windows/merge.ts), conditional write on the item's merge counter. Every item it writes is bounded in bytes:
 * a window keeps the last emission id of at most MAX_EMISSION_IDS shards, a registry at most REGISTRY_MAX_BYTES of keys.
 *
 * Fresh windows in batches: a final invoke writes one window item per key, and one request per item was most of its
 * CPU (the SDK's per-request work, not the item). `learnedSince` reads every item of the key after the forest's last
 * window, consistently, just before the key's windows are scored; a fresh window whose slot that read saw empty, and
 * that owes no alert, is put with BatchWriteItem (25 a request, no condition) instead of a conditional PutItem.
 * What the condition guarded still holds: this emission's own items (a redelivery) and anyone else's (a late merge
 * that created the item, another container's or shard's fresh write) were in that read, so those windows take the
 * conditional path as before. What a batch put cannot see is an item created between the read and the write (tens of
 * ms): only another shard emitting the same key's same window at that moment, which partitioning by key excludes.
 * Windows that owe an alert are always put conditionally, so a retried invoke never re-marks a notified window.
 */

export interface WindowItem {
  pk: string;
  sk: string;
  type: 'window';
  detector: string;
  key: string;
  windowStart: string;
  windowEnd: string;
  count: number;
  aggregates: Record<string, number>;
  partials: Record<string, { sum: number; min: number; max: number }>;
  /** count_distinct sketches by aggregate name (shared/sketches/hll.ts). */
  sketches?: Record<string, string>;
  score?: number;
  attribution?: Array<{ column: string; score: number; direction: 'HIGH' | 'LOW' }>;
  threshold: number;
  scored: boolean;
  late: boolean;
  lateRecords: number;
  silent: boolean;
  /**
   * The emission that wrote the item fresh (scored in order, not by a late merge): the windows a model rebuild
   * replays. Never changed by merges (`emissions` is), so a redelivered emission can tell its own windows.
   */
  fresh?: string;
  /** The features the forest learned from this window, as learned (late merges never change them). */
  features?: number[];
  /** The last emission id of each of the last MAX_EMISSION_IDS shards that wrote the item, oldest first. */
  emissions: string[];
  /**
   * Records of late merges refused because a field's sum would pass 2^53 (lib-dynamodb refuses such a number, and
   * every later write of the item would fail): counted here, not in `count`.
   */
  refusedRecords?: number;
  /** Late merges so far: the optimistic token of the next one (items written before it have none; size(emissions) was). */
  merges?: number;
  shardId: string;
  pendingAlert?: string;
  /** The key's anomaly grade for this window in [0, 1] (shared/anomaly), written beside the score. */
  grade?: number;
  /** Usual value of each feature before this window (null until known): "count 141, usually about 12". */
  expected?: Record<string, number | null>;
  /** The rule that decided pendingAlert: `grade` (the default) or `score` (score ≥ threshold). */
  alertOn?: 'grade' | 'score';
  /** The rule fired but a suppression rule silenced it: why (no pendingAlert then). */
  suppressed?: string;
  /**
   * Hopping detectors: the hopping window this step's item scored. count/partials/sketches are the step's (late records
   * add to them); aggregates and features are this hopping window's, as scored (shared/windows/hopping.ts).
   */
  hop?: { windowStart: string; windowEnd: string; count: number };
  expiresAt: number;
}

export interface DynamoWindowStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  retentionDays: number;
  now?: () => number;
  /**
   * Put fresh windows whose slot a consistent read just saw empty in BatchWriteItem batches (no condition). Only when
   * each key's records arrive on one shard (WINDOW_KEYS_PARTITIONED): two shards emitting one key's window at the same
   * moment could otherwise overwrite each other's item. Off: every fresh window is put conditionally.
   */
  batchFreshPuts?: boolean;
}

const MAX_MERGE_ATTEMPTS = 8;

/** BatchWriteItem's limit. */
const BATCH_PUT_MAX = 25;

/** A key's consistent read of its slots is trusted for a batch put only this long (its job writes right after it). */
const SLOTS_TRUSTED_MS = 30_000;

/**
 * What the key's last consistent read saw: learnedSince reads every item after `after.sk` (all of them when
 * undefined) and lists them in `occupied`; takenSlots reads given slots and lists the empty ones in `vacant`.
 */
interface SeenSlots {
  after?: { sk: string | undefined };
  occupied: Set<string>;
  vacant: Set<string>;
  readAt: number;
}

/** BatchGetItem's limit. */
const BATCH_GET_MAX = 100;

/** Keys whose slot reads are kept for the batch path; beyond it the oldest are dropped (they then put conditionally). */
const SEEN_MAX_KEYS = 50_000;

/** Late records could not be merged into a window item that other writers kept changing; the invoke fails and is retried. */
export class WindowMergeError extends StreamSentinelError {
  override readonly name = 'WindowMergeError';
}

/** Window items and per-shard key registries in the data table. */
export class DynamoWindowStore implements WindowStore, ShardHeadStore {
  private readonly now: () => number;
  /** By window pk: what learnedSince last read (see the module header). */
  private readonly seen = new Map<string, SeenSlots>();
  private queued: Array<{ item: WindowItem; done: (error?: unknown) => void }> = [];
  private flushTimer: ReturnType<typeof setImmediate> | undefined;

  constructor(private readonly options: DynamoWindowStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** True (and the slot taken) when the key's last consistent read saw this window's slot empty, recently. */
  private takeVacantSlot(pk: string, sk: string): boolean {
    const seen = this.seen.get(pk);
    if (!seen || performance.now() - seen.readAt > SLOTS_TRUSTED_MS || seen.occupied.has(sk)) return false;
    const vacant = seen.vacant.has(sk) || (seen.after !== undefined && (seen.after.sk === undefined || sk > seen.after.sk));
    if (!vacant) return false;
    seen.vacant.delete(sk);
    seen.occupied.add(sk);
    return true;
  }

  private remember(pk: string, seen: SeenSlots): void {
    this.seen.delete(pk);
    if (this.seen.size >= SEEN_MAX_KEYS) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(pk, seen);
  }

  /**
   * Queues a fresh item for the next BatchWriteItem: a full batch goes at once, the rest once the jobs in flight have
   * queued theirs (setImmediate: after the I/O callbacks of this turn), so a batch never waits on a timer.
   */
  private batchPut(item: WindowItem): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ item, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (this.queued.length >= BATCH_PUT_MAX) this.flush();
      else this.flushTimer ??= setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    while (this.queued.length) {
      const batch = this.queued.splice(0, BATCH_PUT_MAX);
      const { client, tableName } = this.options;
      retryFailedEntries(
        batch.map((b) => b.item),
        async (pending) => {
          const out = await client.send(
            new BatchWriteCommand({ RequestItems: { [tableName]: pending.map((Item) => ({ PutRequest: { Item } })) } }),
          );
          const left = new Set(
            (out.UnprocessedItems?.[tableName] ?? []).map((r) => `${r.PutRequest!.Item!.pk}\u0000${r.PutRequest!.Item!.sk}`),
          );
          return {
            failed: pending.filter((p) => left.has(`${p.pk}\u0000${p.sk}`)).map((entry) => ({ entry, code: 'Unprocessed' })),
            attempts: sdkAttempts(out),
          };
        },
      ).then(
        () => batch.forEach((b) => b.done()),
        (error: unknown) => batch.forEach((b) => b.done(error ?? new Error('BatchWriteItem failed'))),
      );
    }
  }

  private baseItem(w: WindowAggregate, emissionId: string, shardId: string): WindowItem {
    return {
      pk: windowPk(w.detector.name, w.key),
      sk: windowSk(w.startMs),
      type: 'window',
      detector: w.detector.name,
      key: w.key,
      windowStart: iso(w.startMs),
      windowEnd: iso(w.endMs),
      count: w.count,
      aggregates: w.aggregates,
      partials: w.partials,
      ...(w.sketches ? { sketches: w.sketches } : {}),
      threshold: w.detector.threshold,
      scored: false,
      late: false,
      lateRecords: 0,
      silent: w.silent,
      emissions: [emissionId],
      merges: 0,
      shardId,
      expiresAt: expiresAt(w.endMs, this.now(), this.options.retentionDays),
    };
  }

  async putFresh(result: WindowResult, emissionId: string, shardId: string): Promise<FreshOutcome> {
    const item: WindowItem = { ...this.baseItem(result.window, emissionId, shardId), fresh: emissionId };
    if (result.features) item.features = result.features;
    if (result.hop) item.hop = { windowStart: iso(result.hop.startMs), windowEnd: iso(result.hop.endMs), count: result.hop.count };
    if (result.score !== undefined) {
      item.score = result.score;
      item.attribution = result.attribution ?? [];
      item.scored = true;
      if (result.grade !== undefined) item.grade = result.grade;
      if (result.expected) item.expected = result.expected;
      if (result.alertOn) item.alertOn = result.alertOn;
      if (result.suppressed) item.suppressed = result.suppressed;
      // decideAlert's decision (shared/windows/models.ts scoreWindow); a result without one alerts on score as KDA did.
      if (result.alert ?? result.score >= result.threshold) item.pendingAlert = result.window.detector.name;
    }
    if (this.options.batchFreshPuts && item.pendingAlert === undefined && this.takeVacantSlot(item.pk, item.sk)) {
      await this.batchPut(item);
      return 'written';
    }
    try {
      await this.options.client.send(
        new PutCommand({ TableName: this.options.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return 'written';
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
    }
    // The item exists: written by this same emission before a retry, or by an earlier emission of the window.
    const outcome = await this.mergeLate(result.window, emissionId, shardId);
    return outcome === 'duplicate' ? 'duplicate' : 'merged';
  }

  async mergeLate(w: WindowAggregate, emissionId: string, shardId: string): Promise<LateOutcome> {
    const { client, tableName } = this.options;
    const Key = { pk: windowPk(w.detector.name, w.key), sk: windowSk(w.startMs) };
    for (let attempt = 0; attempt < MAX_MERGE_ATTEMPTS; attempt++) {
      const got = await client.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }));
      const old = got.Item as WindowItem | undefined;
      if (!old) {
        // The window's item is gone (TTL) or was never written: keep the records as an unscored late window.
        const item = { ...this.baseItem(w, emissionId, shardId), late: true, lateRecords: w.count };
        try {
          await client.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
          return 'created';
        } catch (error) {
          if (!isConditionalFailure(error)) throw error;
          continue;
        }
      }
      const emissions = old.emissions ?? [];
      if (emissions.includes(emissionId)) return 'duplicate';
      const merged = mergeLateWindow(old, w);
      // Each emission's sums were checked (checkSum), but two emissions of one window can still pass 2^53 together.
      const exact = Object.values(merged.partials).every((p) => Math.abs(p.sum) <= MAX_SAFE_SUM);
      // The merge counter is the optimistic token; an item from before it is still guarded by its list's length.
      const counted = typeof old.merges === 'number';
      // DynamoDB refuses names and values an expression does not use: the refused form carries only its own.
      const token = {
        ':zero': 0,
        ':n': w.count,
        ':emissions': nextEmissions(emissions, emissionId, shardId),
        ':merges': (counted ? old.merges! : 0) + 1,
        ':expected': counted ? old.merges : emissions.length,
        ':expiresAt': Math.max(old.expiresAt ?? 0, expiresAt(w.endMs, this.now(), this.options.retentionDays)),
      };
      const ConditionExpression = counted
        ? 'merges = :expected'
        : 'attribute_exists(pk) AND attribute_not_exists(merges) AND size(emissions) = :expected';
      const update = exact
        ? {
            UpdateExpression: `SET #count = :count, aggregates = :aggregates, partials = :partials${merged.sketches ? ', sketches = :sketches' : ''}, late = :true, lateRecords = if_not_exists(lateRecords, :zero) + :n, emissions = :emissions, merges = :merges, silent = :false, expiresAt = :expiresAt`,
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: {
              ...token,
              ':count': merged.count,
              ':aggregates': merged.aggregates,
              ':partials': merged.partials,
              ...(merged.sketches ? { ':sketches': merged.sketches } : {}),
              ':true': true,
              ':false': false,
            },
          }
        : {
            UpdateExpression:
              'SET refusedRecords = if_not_exists(refusedRecords, :zero) + :n, emissions = :emissions, merges = :merges, expiresAt = :expiresAt',
            ExpressionAttributeValues: token,
          };
      try {
        await client.send(new UpdateCommand({ TableName: tableName, Key, ConditionExpression, ...update }));
        return 'merged';
      } catch (error) {
        if (!isConditionalFailure(error)) throw error;
      }
    }
    throw new WindowMergeError(
      `window ${Key.pk} ${Key.sk}: could not merge late records after ${MAX_MERGE_ATTEMPTS} attempts (concurrent writers); the batch will be retried`,
    );
  }

  async learnedSince(detector: string, key: string, afterMs: number | undefined): Promise<LearnedWindow[]> {
    const out: LearnedWindow[] = [];
    const pk = windowPk(detector, key);
    const afterSk = afterMs === undefined ? undefined : windowSk(afterMs);
    const seen: SeenSlots = { after: { sk: afterSk }, occupied: new Set(), vacant: new Set(), readAt: performance.now() };
    // Dropped while reading: a read that fails leaves no trusted slots behind.
    this.seen.delete(pk);
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: afterMs === undefined ? 'pk = :pk' : 'pk = :pk AND sk > :after',
          ExpressionAttributeValues: { ':pk': windowPk(detector, key), ...(afterMs === undefined ? {} : { ':after': windowSk(afterMs) }) },
          ProjectionExpression: 'sk, fresh, features',
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of res.Items ?? []) {
        seen.occupied.add(item.sk as string);
        if (typeof item.fresh !== 'string') continue;
        out.push({
          startMs: Date.parse(item.sk as string),
          by: item.fresh,
          ...(Array.isArray(item.features) ? { features: item.features as number[] } : {}),
        });
      }
      start = res.LastEvaluatedKey;
    } while (start);
    this.remember(pk, seen);
    return out;
  }

  async stepsSince(detector: string, key: string, afterMs: number): Promise<StepAggregate[]> {
    const out: StepAggregate[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk AND sk > :after',
          ExpressionAttributeValues: { ':pk': windowPk(detector, key), ':after': windowSk(afterMs) },
          ExpressionAttributeNames: { '#count': 'count' },
          ProjectionExpression: 'sk, #count, partials, sketches',
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of res.Items ?? []) {
        out.push({
          startMs: Date.parse(item.sk as string),
          count: typeof item.count === 'number' ? item.count : 0,
          partials: (item.partials ?? {}) as StepAggregate['partials'],
          ...(item.sketches ? { sketches: item.sketches as Record<string, string> } : {}),
        });
      }
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async getRegistry(detector: string, shardId: string): Promise<KeyRegistry> {
    return (await this.readShard(detector, shardId)).registry;
  }

  /** The shard's registry item: its keys and its head (shared/windows/trust.ts). */
  async readShard(detector: string, shardId: string): Promise<ShardState> {
    const got = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: { pk: registryPk(detector), sk: shardId }, ConsistentRead: true }),
    );
    const h = got.Item?.head as Partial<ShardHead> | undefined;
    const head =
      typeof h?.container === 'string' && typeof h.emission === 'string' ? { container: h.container, emission: h.emission } : undefined;
    return { registry: registryOf(got.Item?.keys), ...(head ? { head } : {}) };
  }

  async putRegistry(detector: string, shardId: string, registry: KeyRegistry): Promise<void> {
    await this.options.client.send(
      new PutCommand({ TableName: this.options.tableName, Item: this.registryItem(detector, shardId, registry) }),
    );
  }

  /**
   * The registry item (keys and head) conditionally on the head read: a detector without silentKeys gets one too, with
   * no keys, for its head. When the head changed meanwhile the registry is saved without one.
   */
  async writeShard(
    detector: string,
    shardId: string,
    registry: KeyRegistry | undefined,
    head: ShardHead,
    expected: ShardHead | undefined,
  ): Promise<boolean> {
    const Item = { ...this.registryItem(detector, shardId, registry ?? new Map()), head };
    try {
      await this.options.client.send(new PutCommand({ TableName: this.options.tableName, Item, ...headCondition(expected) }));
      return true;
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
    }
    if (registry) await this.putRegistry(detector, shardId, registry);
    else {
      try {
        await this.options.client.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: { pk: registryPk(detector), sk: shardId },
            UpdateExpression: 'REMOVE head',
            // No item, no head: nothing to create.
            ConditionExpression: 'attribute_exists(pk)',
          }),
        );
      } catch (error) {
        if (!isConditionalFailure(error)) throw error;
      }
    }
    return false;
  }

  /**
   * Sets the shard's head (keys untouched), only if it is still `expected`: an emission by a container other than the
   * head's marks the shard before it writes any window, so the head's container stops trusting its cache there even
   * if this emission never completes.
   */
  async claimShard(detector: string, shardId: string, head: ShardHead, expected: ShardHead | undefined): Promise<boolean> {
    const condition = headCondition(expected);
    const now = this.now();
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: registryPk(detector), sk: shardId },
          UpdateExpression:
            'SET head = :head, #type = if_not_exists(#type, :type), detector = :detector, shardId = :shardId, expiresAt = :expiresAt',
          ExpressionAttributeNames: { '#type': 'type' },
          ...condition,
          ExpressionAttributeValues: {
            ...condition.ExpressionAttributeValues,
            ':head': head,
            ':type': 'keys',
            ':detector': detector,
            ':shardId': shardId,
            ':expiresAt': expiresAt(now, now, this.options.retentionDays),
          },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
      return false;
    }
  }

  /**
   * Which slots hold an item, by consistent batch reads (keys only); the empty ones are remembered so the fresh
   * windows written there right after go in batches (see the module header).
   */
  async takenSlots(slots: readonly WindowSlot[]): Promise<Set<string>> {
    const { client, tableName } = this.options;
    const taken = new Set<string>();
    const readAt = performance.now();
    const byKey = new Map<string, WindowSlot>();
    for (const slot of slots) byKey.set(`${windowPk(slot.detector, slot.key)}\u0000${windowSk(slot.startMs)}`, slot);
    const found = new Set<string>();
    const keys = [...byKey.keys()].map((k) => {
      const [pk, sk] = k.split('\u0000') as [string, string];
      return { pk, sk };
    });
    const batches: Array<typeof keys> = [];
    for (let i = 0; i < keys.length; i += BATCH_GET_MAX) batches.push(keys.slice(i, i + BATCH_GET_MAX));
    await Promise.all(
      batches.map((batch) =>
        retryFailedEntries(batch, async (pending) => {
          const out = await client.send(
            new BatchGetCommand({
              RequestItems: { [tableName]: { Keys: [...pending], ConsistentRead: true, ProjectionExpression: 'pk, sk' } },
            }),
          );
          for (const item of out.Responses?.[tableName] ?? []) found.add(`${item.pk as string}\u0000${item.sk as string}`);
          const left = new Set((out.UnprocessedKeys?.[tableName]?.Keys ?? []).map((k) => `${k.pk as string}\u0000${k.sk as string}`));
          return {
            failed: pending.filter((k) => left.has(`${k.pk}\u0000${k.sk}`)).map((entry) => ({ entry, code: 'Unprocessed' })),
            attempts: sdkAttempts(out),
          };
        }),
      ),
    );
    const byPk = new Map<string, SeenSlots>();
    for (const { pk, sk } of keys) {
      let seen = byPk.get(pk);
      if (!seen) byPk.set(pk, (seen = { occupied: new Set(), vacant: new Set(), readAt }));
      if (found.has(`${pk}\u0000${sk}`)) {
        seen.occupied.add(sk);
        taken.add(slotId(byKey.get(`${pk}\u0000${sk}`)!));
      } else seen.vacant.add(sk);
    }
    for (const [pk, seen] of byPk) this.remember(pk, seen);
    return taken;
  }

  private registryItem(detector: string, shardId: string, registry: KeyRegistry) {
    const bounded = new Map(registry);
    boundRegistryBytes(bounded);
    // [key, epoch seconds] pairs, not a map: lib-dynamodb's marshalling silently drops a map entry named __proto__.
    const keys: Array<[string, number]> = [...bounded].map(([k, ms]) => [k, ms / 1000]);
    const now = this.now();
    return {
      pk: registryPk(detector),
      sk: shardId,
      type: 'keys',
      detector,
      shardId,
      keys,
      expiresAt: expiresAt(now, now, this.options.retentionDays),
    };
  }
}

/** The condition that the registry item's head is still `expected` (no head at all when undefined). */
function headCondition(expected: ShardHead | undefined) {
  return expected === undefined
    ? { ConditionExpression: 'attribute_not_exists(head)' }
    : {
        ConditionExpression: 'head.container = :container AND head.emission = :emission',
        ExpressionAttributeValues: { ':container': expected.container, ':emission': expected.emission },
      };
}

/** A registry item's keys: [key, epoch seconds] pairs, or the map form written before pairs. */
function registryOf(keys: unknown): KeyRegistry {
  const out: KeyRegistry = new Map();
  if (Array.isArray(keys)) {
    for (const pair of keys) {
      if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'number') out.set(pair[0], pair[1] * 1000);
    }
  } else if (keys && typeof keys === 'object') {
    // The map form written before keys became pairs (a map cannot hold a key named __proto__ through lib-dynamodb).
    for (const [k, seconds] of Object.entries(keys)) if (typeof seconds === 'number') out.set(k, seconds * 1000);
  }
  return out;
}
