import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CarryConflictError, type Carry, type CarryStore } from '../windows/watermark';
import { carryPk, expiresAt, isConditionalFailure } from './keys';

/**
 * Carry items over DynamoDB (docs/data-model.md): per event-time detector and shard, the windows held until their
 * watermark (shared/windows/watermark.ts). The partials are one JSON string attribute, so the item's size is what
 * the watermark module bounds (CARRY_MAX_BYTES) and nothing in the partials (±Infinity, odd keys) meets marshalling.
 * Written conditionally on the emission id read, so a redelivered or concurrent invoke never overwrites a newer carry.
 */

export interface DynamoCarryStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  retentionDays: number;
  now?: () => number;
}

export interface CarryItem {
  pk: string;
  sk: string;
  type: 'carry';
  detector: string;
  shardId: string;
  emission: string;
  /** JSON of `{ w, s? }`: entries in the windows state's format (shared/windows/aggregate.ts). */
  partials: string;
  /** Windows held (for people reading the table). */
  windows: number;
  expiresAt: number;
}

// JSON cannot carry ±Infinity (a plain field's empty extreme); null is what the state's own JSON round trip makes of it.
const finite = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);

export class DynamoCarryStore implements CarryStore {
  private readonly now: () => number;
  constructor(private readonly options: DynamoCarryStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  async get(detector: string, shardId: string): Promise<Carry | undefined> {
    const got = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: { pk: carryPk(detector), sk: shardId }, ConsistentRead: true }),
    );
    const item = got.Item as Partial<CarryItem> | undefined;
    if (!item || typeof item.emission !== 'string' || typeof item.partials !== 'string') return undefined;
    const parsed = JSON.parse(item.partials) as { w?: Record<string, number[]>; s?: Record<string, string[]> };
    return { emission: item.emission, w: parsed.w ?? {}, ...(parsed.s ? { s: parsed.s } : {}) };
  }

  async put(detector: string, shardId: string, carry: Carry, expected: string | undefined): Promise<void> {
    const item: CarryItem = {
      pk: carryPk(detector),
      sk: shardId,
      type: 'carry',
      detector,
      shardId,
      emission: carry.emission,
      partials: JSON.stringify(carry.s ? { w: carry.w, s: carry.s } : { w: carry.w }, finite),
      windows: Object.keys(carry.w).length,
      // A shard that stops (closed, resharded) leaves its carry; it expires with the windows it would have made.
      expiresAt: expiresAt(this.now(), this.now(), this.options.retentionDays),
    };
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: item,
          ...(expected === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'emission = :expected', ExpressionAttributeValues: { ':expected': expected } }),
        }),
      );
    } catch (error) {
      if (isConditionalFailure(error)) throw new CarryConflictError(detector, shardId, { cause: error });
      throw error;
    }
  }
}
