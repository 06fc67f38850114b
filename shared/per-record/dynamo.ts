import { BatchWriteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { retryFailedEntries, sdkAttempts } from '../io/retry';
import { mapConcurrent } from '../io/map-concurrent';
import { expiresAt, isConditionalFailure, iso, PK_PREFIX } from '../store/keys';
import type { RecordAnomaly, RecordResultStore, RecordSummary } from './ports';

/**
 * The per-record results over DynamoDB: anomalous records as `P#<detector>#<forest key>` / `<time>#<sequence>#<index>`
 * items and summaries as `PS#<detector>#<forest key>` / `<window start>#<shard>[#<part>]` items, in BatchWriteItem calls of
 * 25 (unprocessed items sent again, shared/io/retry). Both are plain puts of fixed keys: a retried invoke writes the
 * same items again, never a second copy. Each item is well under 1 KB: one write unit.
 *
 * A record that crosses its detector's alert rule is the exception: its item carries `pendingAlert` (the sparse
 * pending-alerts index, as window items do) and is put on its own, only if it is not there yet. A retried invoke
 * must not put the marker back on an item the alerts function has already notified (that would alert twice), and
 * BatchWriteItem has no conditions. Such records are rare (the threshold is the point), so the extra calls are few.
 */

export const PER_RECORD_PK = { anomaly: PK_PREFIX.record, summary: PK_PREFIX.recordSummary } as const;

export interface DynamoRecordResultStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  retentionDays: number;
  now?: () => number;
}

type Item = Record<string, unknown>;

export class DynamoRecordResultStore implements RecordResultStore {
  /** Write units the puts cost (one per item): the bench's measure. */
  writeUnits = 0;

  constructor(private readonly options: DynamoRecordResultStoreOptions) {}

  private ttl(ms: number): number {
    return expiresAt(ms, (this.options.now ?? Date.now)(), this.options.retentionDays);
  }

  async putAnomalies(items: readonly RecordAnomaly[]): Promise<void> {
    const toItem = (a: RecordAnomaly): Item => ({
      pk: `${PER_RECORD_PK.anomaly}${a.detector}#${a.forestKey}`,
      sk: `${iso(a.timeMs)}#${a.sequenceNumber}#${a.index}`,
      type: 'record',
      detector: a.detector,
      key: a.forestKey,
      time: iso(a.timeMs),
      shardId: a.shardId,
      sequenceNumber: a.sequenceNumber,
      score: a.score,
      threshold: a.threshold,
      features: a.features,
      ...(a.attribution ? { attribution: a.attribution } : {}),
      ...(a.alert ? { pendingAlert: a.detector } : {}),
      expiresAt: this.ttl(a.timeMs),
    });
    await this.write(items.filter((a) => !a.alert).map(toItem));
    await this.putOnce(items.filter((a) => a.alert).map(toItem));
  }

  /** Conditional puts: an item already written (by an earlier try of this invoke) is left as it is. */
  private async putOnce(items: Item[]): Promise<void> {
    await mapConcurrent(items, 8, async (Item) => {
      try {
        await this.options.client.send(
          new PutCommand({ TableName: this.options.tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' }),
        );
        this.writeUnits++;
      } catch (error) {
        if (!isConditionalFailure(error)) throw error;
      }
    });
  }

  putSummaries(items: readonly RecordSummary[]): Promise<void> {
    return this.write(
      items.map((s) => ({
        pk: `${PER_RECORD_PK.summary}${s.detector}#${s.forestKey}`,
        sk: `${iso(s.windowStartMs)}#${s.shardId}${s.part !== undefined ? `#${s.part}` : ''}`,
        type: 'record-summary',
        detector: s.detector,
        key: s.forestKey,
        windowStart: iso(s.windowStartMs),
        windowEnd: iso(s.windowEndMs),
        shardId: s.shardId,
        ...(s.part !== undefined ? { part: s.part } : {}),
        records: s.records,
        scored: s.scored,
        meanScore: s.records ? s.scoreSum / s.records : 0,
        maxScore: s.maxScore,
        ...(s.maxScoreAtMs !== undefined ? { maxScoreAt: iso(s.maxScoreAtMs) } : {}),
        anomalies: s.anomalies,
        stored: s.stored,
        expiresAt: this.ttl(s.windowEndMs),
      })),
    );
  }

  private async write(items: Item[]): Promise<void> {
    for (let i = 0; i < items.length; i += 25) {
      const batch = items.slice(i, i + 25);
      await retryFailedEntries(batch, async (pending) => {
        const out = await this.options.client.send(
          new BatchWriteCommand({ RequestItems: { [this.options.tableName]: pending.map((Item) => ({ PutRequest: { Item } })) } }),
        );
        const unprocessed = (out.UnprocessedItems?.[this.options.tableName] ?? []).map((r) => r.PutRequest!.Item as Item);
        this.writeUnits += pending.length - unprocessed.length;
        const left = new Set(unprocessed.map((u) => `${u.pk as string}\u0000${u.sk as string}`));
        return {
          failed: pending
            .filter((p) => left.has(`${p.pk as string}\u0000${p.sk as string}`))
            .map((entry) => ({ entry, code: 'Unprocessed' })),
          attempts: sdkAttempts(out),
        };
      });
    }
  }
}
