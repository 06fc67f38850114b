import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Hotspot } from '../hotspots/definitions';
import type { CarriedWindow, HotspotsStore, HotspotsWindowWrite } from '../hotspots/ports';
import { expiresAt, hotspotsPk, hotspotsStatePk, isConditionalFailure, iso, windowSk } from './keys';
import { nextEmissions } from './emissions';
import { boundHotspots } from './hotspots-bound';

/**
 * The hotspots store over DynamoDB (docs/data-model.md): one item per detector and window holding every shard's
 * hotspots, and the sliding window each shard carries between tumbling windows. Item keys come from ./keys.ts.
 */

export type { CarriedWindow, HotspotsWindowWrite } from '../hotspots/ports';
/** Kept for callers of the old location; the formats live in ./keys.ts. */
export { hotspotsPk, hotspotsStatePk } from './keys';

export interface StoredHotspot extends Hotspot {
  shardId: string;
}

export interface HotspotsItem {
  pk: string;
  sk: string;
  type: 'hotspots';
  detector: string;
  windowStart: string;
  windowEnd: string;
  /** Points of the window, all shards. */
  count: number;
  /** Every shard's hotspots, densest first (what the alerts function reads). */
  hotspots: StoredHotspot[];
  /** Each shard's part: its points and its hotspots as its sliding window stood after its last point of the window. */
  shards: Record<string, { points: number; hotspots: Hotspot[]; found: number }>;
  threshold: number;
  emissions: string[];
  version: number;
  pendingAlert?: string;
  expiresAt: number;
}

export interface DynamoHotspotsStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  retentionDays: number;
  now?: () => number;
}

const MAX_ATTEMPTS = 8;

/** Hotspot items and the sliding windows carried per shard, in the data table. */
export class DynamoHotspotsStore implements HotspotsStore {
  private readonly now: () => number;
  constructor(private readonly options: DynamoHotspotsStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Writes (or updates) one window's item with this shard's hotspots. Read, merge this shard's part, write back on
   * condition of the version read: shards writing the same window never lose each other's part, a retried emission
   * changes nothing, and what the alerts function added (claims, notifications) stays. Marks the item for the alerts
   * function when one of this shard's hotspots reaches the threshold and the window has not been notified yet.
   */
  async writeWindow(w: HotspotsWindowWrite): Promise<'written' | 'duplicate'> {
    const { client, tableName } = this.options;
    const key = { pk: hotspotsPk(w.detector), sk: windowSk(w.startMs) };
    for (let attempt = 1; ; attempt++) {
      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
      const current = Item as (Partial<HotspotsItem> & { notifiedAt?: string }) | undefined;
      if (current?.emissions?.includes(w.emissionId)) return 'duplicate';
      const parts = { ...(current?.shards ?? {}) };
      const before = parts[w.shardId];
      parts[w.shardId] = { points: (before?.points ?? 0) + w.points, hotspots: w.hotspots, found: w.found };
      // Densest first within a byte budget (./hotspots-bound.ts): many shards' parts no longer pass 400 KB.
      const { shards, all } = boundHotspots(parts);
      const count = Object.values(shards).reduce((s, part) => s + part.points, 0);
      const crosses = w.hotspots.some((h) => h.density >= w.threshold) && current?.notifiedAt === undefined;
      const version = current?.version ?? 0;
      const values: Record<string, unknown> = {
        ':type': 'hotspots',
        ':detector': w.detector,
        ':ws': iso(w.startMs),
        ':we': iso(w.endMs),
        ':count': count,
        ':hotspots': all,
        ':shards': shards,
        ':threshold': w.threshold,
        // One id per shard, the last MAX_EMISSION_IDS shards (./emissions.ts): a list per emission grew without bound.
        ':emissions': nextEmissions(current?.emissions ?? [], w.emissionId, w.shardId),
        ':next': version + 1,
        ':exp': expiresAt(w.endMs, this.now(), this.options.retentionDays),
      };
      const sets = [
        '#type = :type',
        'detector = :detector',
        'windowStart = :ws',
        'windowEnd = :we',
        '#count = :count',
        'hotspots = :hotspots',
        'shards = :shards',
        'threshold = :threshold',
        'emissions = :emissions',
        'version = :next',
        'expiresAt = :exp',
      ];
      if (crosses) {
        sets.push('pendingAlert = :detector');
      }
      let condition = 'attribute_not_exists(pk)';
      if (current) {
        condition = 'version = :version';
        values[':version'] = version;
      }
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: { '#type': 'type', '#count': 'count' },
            ExpressionAttributeValues: values,
          }),
        );
        return 'written';
      } catch (error) {
        if (!isConditionalFailure(error) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  async loadCarried(detector: string, shardId: string): Promise<CarriedWindow | undefined> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: { pk: hotspotsStatePk(detector), sk: shardId }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      points: Item.points instanceof Uint8Array ? Item.points : new Uint8Array(0),
      version: typeof Item.version === 'number' ? Item.version : 0,
      ...(typeof Item.lastEmission === 'string' ? { lastEmission: Item.lastEmission } : {}),
      ...(typeof Item.lastWindow === 'string' ? { lastWindowMs: Date.parse(Item.lastWindow) } : {}),
      columns: Array.isArray(Item.columns) ? (Item.columns as string[]) : [],
    };
  }

  /**
   * Saves a shard's sliding window on condition that nobody saved it since `expectedVersion` was read (0: never
   * saved). A conflict throws, failing the invoke so that Lambda retries it against the newer state.
   */
  async saveCarried(detector: string, shardId: string, carried: Omit<CarriedWindow, 'version'>, expectedVersion: number): Promise<void> {
    const nowMs = this.now();
    await this.options.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          pk: hotspotsStatePk(detector),
          sk: shardId,
          type: 'hotspots-window',
          detector,
          shardId,
          points: carried.points,
          columns: carried.columns,
          version: expectedVersion + 1,
          ...(carried.lastEmission ? { lastEmission: carried.lastEmission } : {}),
          ...(carried.lastWindowMs !== undefined ? { lastWindow: iso(carried.lastWindowMs) } : {}),
          updatedAt: iso(nowMs),
          expiresAt: expiresAt(nowMs, nowMs, this.options.retentionDays),
        },
        ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
        ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':v': expectedVersion } }),
      }),
    );
  }
}
