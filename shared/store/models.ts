/**
 * The model store over DynamoDB: per (detector, key) a head item holding the forest's state (or its first part), the
 * grade state, the last window learned and a version for optimistic concurrency, plus part items when the state is
 * larger than one item takes (shared/windows/model-bound.ts); saved every MODEL_SAVE_EVERY windows
 * (docs/data-model.md). Windows and per-record detectors keep their forests here.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StreamSentinelError } from '../errors';
import { mapConcurrent } from '../io/map-concurrent';
import type { Logger } from '../lambda/logger';
import { MODEL_ITEM_STATE_BYTES, MODEL_MAX_ITEMS, modelItemsFor } from '../windows/model-bound';
import { ModelConflictError, modelId, type ModelParams, type ModelStore, type StoredModel } from '../windows/ports';
import { MODEL_SK, expiresAt, isConditionalFailure, iso, modelPartSk, modelPk } from './keys';

export interface ModelItem {
  pk: string;
  sk: typeof MODEL_SK;
  type: 'model';
  detector: string;
  key: string;
  /** The whole state, or with `parts` its first MODEL_ITEM_STATE_BYTES bytes. */
  state: Uint8Array;
  version: number;
  lastWindow?: string;
  params: ModelParams;
  /** The key's anomaly grade state (shared/anomaly GradeState) as JSON text: exact numbers, no empty-map rules. */
  grade?: string;
  updatedAt: string;
  expiresAt: number;
  /** The save that wrote this head (a digest of its content); its parts carry it in their sort key. Absent in items written before. */
  saveId?: string;
  /** Part items holding the rest of the state (`PART#<version>#<saveId>#1…parts`); absent or 0: the state is whole. */
  parts?: number;
  /** With parts: the whole state's length and SHA-256 (hex), checked on every load. */
  stateBytes?: number;
  stateSha256?: string;
}

export interface ModelPartItem {
  pk: string;
  sk: string;
  type: 'model-part';
  detector: string;
  key: string;
  version: number;
  saveId: string;
  part: number;
  state: Uint8Array;
  expiresAt: number;
}

export interface DynamoModelStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  retentionDays: number;
  now?: () => number;
  /** Told of models whose state could not be read whole (started afresh) and of superseded parts left to their TTL. */
  logger?: Pick<Logger, 'warn'>;
}

/** Model items stayed unprocessed (throttled) through every retry; the invoke fails and Lambda retries the batch. */
export class ModelReadError extends StreamSentinelError {
  override readonly name = 'ModelReadError';
}

/** A state larger than MODEL_MAX_ITEMS items: the loader refuses detectors that could get there (modelBoundProblem). */
export class ModelTooLargeError extends StreamSentinelError {
  override readonly name = 'ModelTooLargeError';
}

/**
 * Parts outlive their head by this much: TTL deletes expired items in no particular order within days, and a head
 * read without its parts is read as a lost state.
 */
const PART_TTL_MARGIN_SECONDS = 3 * 86400;
/** Parts per BatchGetItem: 40 × 350 KB stays under its 16 MB answer. */
const PARTS_PER_BATCH = 40;
/** Times a load reads a head again that a concurrent save replaced (and whose parts it deleted) while it read. */
const MAX_REREADS = 5;

/**
 * A grade state that is not JSON is left out: the key is graded afresh (its warm-up again) rather than failing the
 * shard forever; a state that is JSON but not a grade state is refused by the grade itself (GradeStateError).
 */
function gradeState(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
/**
 * A save's id is a digest of everything its head says: a save sent again (a retried invoke, two containers that
 * computed the same model) writes the very same items, and a head that carries this id is this save's, whoever put it.
 */
const saveIdOf = (m: StoredModel): string =>
  createHash('sha256')
    .update(JSON.stringify([m.version, m.lastWindowMs ?? null, m.grade ?? null, m.params]))
    .update(m.state)
    .digest('hex')
    .slice(0, 16);
type Key = { pk: string; sk: string };
const keyOf = (k: Key): string => `${k.pk}\u0000${k.sk}`;
const partKeys = (h: ModelItem): Key[] =>
  Array.from({ length: h.parts ?? 0 }, (_, i) => ({ pk: h.pk, sk: modelPartSk(h.version, h.saveId ?? '', i + 1) }));
const sameSave = (a: ModelItem | undefined, b: ModelItem): boolean => a?.version === b.version && a.saveId === b.saveId;

/**
 * Parameters no detector has: a model whose state was lost is handed out with them, so the services start its key
 * afresh (as after a parameter change: a new forest, the version and lastWindow kept) and save over it.
 */
const LOST_PARAMS: ModelParams = { numberOfTrees: 0, subSampleSize: 0, timeDecay: 0, shingleSize: 0, dimensions: 0, features: [] };

/**
 * One forest per (detector, key) in the data table, read in consistent batches and saved on condition of the version
 * read, so two containers never both advance a key unseen. A state larger than MODEL_ITEM_STATE_BYTES is split: its
 * parts are put first, keyed by the version and this save's id, then the head, conditionally, naming them; so the
 * current head always names parts that are all there, and a save that loses its head write leaves only parts no head
 * names (deleted at once, else expired by TTL). A successful save deletes the parts of the head it replaced.
 */
export class DynamoModelStore implements ModelStore {
  private readonly now: () => number;
  /** Superseded or abandoned parts a delete failed on, left to their TTL (a metric's worth). */
  orphanedParts = 0;
  /** Heads read whose parts were missing or did not add up: started afresh. */
  lostModels = 0;

  constructor(private readonly options: DynamoModelStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  async loadMany(keys: ReadonlyArray<{ detector: string; key: string }>): Promise<Map<string, StoredModel>> {
    const out = new Map<string, StoredModel>();
    const unique = [...new Map(keys.map((k) => [modelId(k.detector, k.key), k])).values()];
    let heads = (await this.batchGet(
      unique.map((k) => ({ pk: modelPk(k.detector, k.key), sk: MODEL_SK })),
      100,
    )) as ModelItem[];
    for (let reread = 0; heads.length; reread++) {
      const parts = new Map<string, ModelPartItem>();
      const split = heads.filter((h) => h.parts);
      if (split.length)
        for (const p of (await this.batchGet(split.flatMap(partKeys), PARTS_PER_BATCH)) as ModelPartItem[]) parts.set(keyOf(p), p);
      const unread: ModelItem[] = [];
      for (const head of heads) {
        const state = head.parts ? this.assemble(head, parts) : head.state;
        if (state) out.set(modelId(head.detector, head.key), this.stored(head, state));
        else unread.push(head);
      }
      if (!unread.length) break;
      // A save may have replaced a head (and deleted its parts) between the two reads: read those heads again.
      const again = new Map(((await this.batchGet(unread, 100)) as ModelItem[]).map((h) => [h.pk, h]));
      heads = [];
      for (const head of unread) {
        const now = again.get(head.pk);
        if (!now) continue; // deleted meanwhile (TTL): absent
        if (sameSave(now, head)) out.set(modelId(head.detector, head.key), this.lost(now));
        else if (reread < MAX_REREADS) heads.push(now);
        else
          throw new ModelReadError(
            `model ${head.detector}/${head.key} changed ${MAX_REREADS} times while it was read; the batch will be retried`,
          );
      }
    }
    return out;
  }

  /** The head's state with its parts, or undefined when a part is missing or the whole is not what the head says. */
  private assemble(head: ModelItem, parts: ReadonlyMap<string, ModelPartItem>): Uint8Array | undefined {
    const chunks = [head.state];
    for (const k of partKeys(head)) {
      const p = parts.get(keyOf(k));
      if (!p || !(p.state instanceof Uint8Array)) return undefined;
      chunks.push(p.state);
    }
    const length = chunks.reduce((n, c) => n + c.length, 0);
    if (length !== head.stateBytes) return undefined;
    const state = new Uint8Array(length);
    let at = 0;
    for (const c of chunks) {
      state.set(c, at);
      at += c.length;
    }
    return sha256(state) === head.stateSha256 ? state : undefined;
  }

  private stored(item: ModelItem, state: Uint8Array): StoredModel {
    return {
      detector: item.detector,
      key: item.key,
      state,
      version: item.version,
      params: item.params,
      ...(item.lastWindow ? { lastWindowMs: Date.parse(item.lastWindow) } : {}),
      ...(typeof item.grade === 'string' ? { grade: gradeState(item.grade) } : {}),
    };
  }

  /**
   * A head whose parts are gone (expired by TTL with it, or removed by hand) cannot be scored from. Failing would
   * block the shard for good; the key starts afresh instead, as after a parameter change, and saves over it.
   */
  private lost(head: ModelItem): StoredModel {
    this.lostModels++;
    this.options.logger?.warn('model state incomplete: starting a new forest for this key', {
      detector: head.detector,
      key: head.key,
      version: head.version,
      parts: head.parts,
      expired: head.expiresAt * 1000 <= this.now(),
    });
    const lastWindowMs = head.lastWindow ? Date.parse(head.lastWindow) : undefined;
    return {
      detector: head.detector,
      key: head.key,
      state: new Uint8Array(0),
      version: head.version,
      params: LOST_PARAMS,
      ...(lastWindowMs !== undefined ? { lastWindowMs } : {}),
    };
  }

  /** Consistent BatchGets of `size` keys, unprocessed keys (throttled, or past the 16 MB answer) sent again. */
  private async batchGet(keys: readonly Key[], size: number): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let i = 0; i < keys.length; i += size) {
      let request: Key[] = keys.slice(i, i + size).map((k) => ({ pk: k.pk, sk: k.sk }));
      for (let attempt = 0; request.length;) {
        const res = await this.options.client.send(
          new BatchGetCommand({ RequestItems: { [this.options.tableName]: { Keys: request, ConsistentRead: true } } }),
        );
        const got = res.Responses?.[this.options.tableName] ?? [];
        out.push(...got);
        request = (res.UnprocessedKeys?.[this.options.tableName]?.Keys as Key[] | undefined) ?? [];
        // An answer cut at 16 MB makes progress; only answers with nothing in them count as throttling.
        if (!request.length || got.length) continue;
        if (++attempt > 10) throw new ModelReadError(`could not read ${request.length} model items (throttled); the batch will be retried`);
        await sleep(Math.min(1000, 25 * 2 ** attempt));
      }
    }
    return out;
  }

  async save(model: StoredModel, expectedVersion: number | undefined): Promise<void> {
    const now = this.now();
    const items = modelItemsFor(model.state.length);
    if (items > MODEL_MAX_ITEMS)
      throw new ModelTooLargeError(
        `model ${model.detector}/${model.key}: its state is ${model.state.length} bytes, more than ${MODEL_MAX_ITEMS} items of ${MODEL_ITEM_STATE_BYTES} bytes; lower the detector's rcf parameters (the detectors loader refuses those that can get here)`,
      );
    const saveId = saveIdOf(model);
    const pk = modelPk(model.detector, model.key);
    const ttl = expiresAt(model.lastWindowMs ?? now, now, this.options.retentionDays);
    const chunk = (i: number) => model.state.subarray(i * MODEL_ITEM_STATE_BYTES, (i + 1) * MODEL_ITEM_STATE_BYTES);
    const parts: ModelPartItem[] = Array.from({ length: items - 1 }, (_, j) => ({
      pk,
      sk: modelPartSk(model.version, saveId, j + 1),
      type: 'model-part',
      detector: model.detector,
      key: model.key,
      version: model.version,
      saveId,
      part: j + 1,
      state: chunk(j + 1),
      expiresAt: ttl + PART_TTL_MARGIN_SECONDS,
    }));
    const head: ModelItem = {
      pk,
      sk: MODEL_SK,
      type: 'model',
      detector: model.detector,
      key: model.key,
      state: parts.length ? chunk(0) : model.state,
      version: model.version,
      params: model.params,
      updatedAt: iso(now),
      expiresAt: ttl,
      saveId,
      ...(parts.length ? { parts: parts.length, stateBytes: model.state.length, stateSha256: sha256(model.state) } : {}),
      ...(model.lastWindowMs !== undefined ? { lastWindow: iso(model.lastWindowMs) } : {}),
      ...(model.grade !== undefined ? { grade: JSON.stringify(model.grade) } : {}),
    };
    // Parts first: a head is only ever written once everything it names is there.
    await mapConcurrent(parts, 4, (Item) => this.options.client.send(new PutCommand({ TableName: this.options.tableName, Item })));
    let replaced: ModelItem | undefined;
    try {
      const res = await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: head,
          ReturnValues: 'ALL_OLD',
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
      replaced = res.Attributes as ModelItem | undefined;
    } catch (error) {
      if (!isConditionalFailure(error)) throw error; // it may have landed: its parts stay (TTL)
      // The SDK retries a put whose answer was lost: the retry then fails the condition on this save's own head. The
      // same head put by another container that computed the same model is as good: either way the save stands.
      const current = (
        await this.options.client.send(
          new GetCommand({ TableName: this.options.tableName, Key: { pk, sk: MODEL_SK }, ConsistentRead: true }),
        )
      ).Item as ModelItem | undefined;
      if (current?.saveId === saveId && current.version === model.version) return; // the head it replaced is unknown: its parts expire
      await this.deleteParts(parts, 'lost save');
      throw new ModelConflictError(model.detector, model.key);
    }
    if (replaced?.parts && !sameSave(replaced, head)) await this.deleteParts(partKeys(replaced), 'superseded');
  }

  /** Best effort: the save stands either way, and a part left behind is named by no head and expires by TTL. */
  private async deleteParts(keys: readonly Key[], why: string): Promise<void> {
    await mapConcurrent(keys, 4, async (k) => {
      try {
        await this.options.client.send(new DeleteCommand({ TableName: this.options.tableName, Key: { pk: k.pk, sk: k.sk } }));
      } catch (error) {
        this.orphanedParts++;
        this.options.logger?.warn('model part not deleted: it expires by TTL', { pk: k.pk, sk: k.sk, why, error: String(error) });
      }
    });
  }
}
