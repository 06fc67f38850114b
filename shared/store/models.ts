/**
 * The model store over DynamoDB: one item per (detector, key) holding the forest's state, the grade state, the last
 * window learned and a version for optimistic concurrency; saved every MODEL_SAVE_EVERY windows (docs/data-model.md).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StreamSentinelError } from '../errors';
import { ModelConflictError, modelId, type ModelParams, type ModelStore, type StoredModel } from '../windows/ports';
import { MODEL_SK, expiresAt, isConditionalFailure, iso, modelPk } from './keys';

export interface ModelItem {
  pk: string;
  sk: typeof MODEL_SK;
  type: 'model';
  detector: string;
  key: string;
  state: Uint8Array;
  version: number;
  lastWindow?: string;
  params: ModelParams;
  /** The key's anomaly grade state (shared/anomaly GradeState) as JSON text: exact numbers, no empty-map rules. */
  grade?: string;
  updatedAt: string;
  expiresAt: number;
}

export interface DynamoModelStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  retentionDays: number;
  now?: () => number;
}

/**
 * The model store over DynamoDB (docs/data-model.md): one forest per (detector, key), read in consistent batches
 * and saved on condition of the version read, so two containers never both advance a key unseen.
 */

/** Model items stayed unprocessed (throttled) through every retry; the invoke fails and Lambda retries the batch. */
export class ModelReadError extends StreamSentinelError {
  override readonly name = 'ModelReadError';
}

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

/** One forest per (detector, key) in the data table; saves are conditional on the version read. */
export class DynamoModelStore implements ModelStore {
  private readonly now: () => number;
  constructor(private readonly options: DynamoModelStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  async loadMany(keys: ReadonlyArray<{ detector: string; key: string }>): Promise<Map<string, StoredModel>> {
    const out = new Map<string, StoredModel>();
    for (const item of await this.batchGet(keys)) {
      out.set(modelId(item.detector, item.key), {
        detector: item.detector,
        key: item.key,
        state: item.state,
        version: item.version,
        params: item.params,
        ...(item.lastWindow ? { lastWindowMs: Date.parse(item.lastWindow) } : {}),
        ...(typeof item.grade === 'string' ? { grade: gradeState(item.grade) } : {}),
      });
    }
    return out;
  }

  /** Consistent BatchGets of 100, unprocessed keys retried with backoff. */
  private async batchGet(keys: ReadonlyArray<{ detector: string; key: string }>): Promise<ModelItem[]> {
    const out: ModelItem[] = [];
    const unique = [...new Map(keys.map((k) => [modelId(k.detector, k.key), k])).values()];
    for (let i = 0; i < unique.length; i += 100) {
      let request: Record<string, unknown>[] = unique.slice(i, i + 100).map((k) => ({ pk: modelPk(k.detector, k.key), sk: MODEL_SK }));
      for (let attempt = 0; request.length; attempt++) {
        if (attempt > 10) throw new ModelReadError(`could not read ${request.length} model items (throttled); the batch will be retried`);
        if (attempt) await sleep(Math.min(1000, 25 * 2 ** attempt));
        const res = await this.options.client.send(
          new BatchGetCommand({ RequestItems: { [this.options.tableName]: { Keys: request, ConsistentRead: true } } }),
        );
        for (const raw of res.Responses?.[this.options.tableName] ?? []) out.push(raw as ModelItem);
        request = (res.UnprocessedKeys?.[this.options.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return out;
  }

  async save(model: StoredModel, expectedVersion: number | undefined): Promise<void> {
    const now = this.now();
    const item: ModelItem = {
      pk: modelPk(model.detector, model.key),
      sk: MODEL_SK,
      type: 'model',
      detector: model.detector,
      key: model.key,
      state: model.state,
      version: model.version,
      params: model.params,
      updatedAt: iso(now),
      expiresAt: expiresAt(model.lastWindowMs ?? now, now, this.options.retentionDays),
      ...(model.lastWindowMs !== undefined ? { lastWindow: iso(model.lastWindowMs) } : {}),
      ...(model.grade !== undefined ? { grade: JSON.stringify(model.grade) } : {}),
    };
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: item,
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
    } catch (error) {
      if (isConditionalFailure(error)) throw new ModelConflictError(model.detector, model.key);
      throw error;
    }
  }
}
