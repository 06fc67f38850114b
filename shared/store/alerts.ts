import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AlertStore } from '../alerts/run';
import type { CooldownState } from '../alerts/cooldown';
import type { ItemRef, Severity } from '../alerts/types';
import { COOLDOWN_SK, PENDING_ALERTS_INDEX, cooldownPk, isConditionalFailure } from './keys';

export interface DynamoAlertStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Index entries per Scan page (DynamoDB's own 1 MB page limit applies as well). */
  pageSize?: number;
  /** Days a cooldown item is kept after its cooldown ends (its held-back count is reported by the next alert). */
  retentionDays?: number;
}

const conditional = async (write: () => Promise<unknown>): Promise<boolean> => {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionalFailure(error)) return false;
    throw error;
  }
};

const asState = (item: Record<string, unknown> | undefined): CooldownState | undefined => {
  if (!item || typeof item.until !== 'string') return undefined;
  return {
    version: typeof item.version === 'number' ? item.version : Number(item.version ?? 0),
    until: item.until,
    startedAt: typeof item.startedAt === 'string' ? item.startedAt : item.until,
    severity: (item.severity === 'critical' ? 'critical' : 'warning') as Severity,
    claimId: typeof item.claimId === 'string' ? item.claimId : '',
    ...(typeof item.messageId === 'string' ? { messageId: item.messageId } : {}),
    suppressed: typeof item.suppressed === 'number' ? item.suppressed : Number(item.suppressed ?? 0),
    ...(typeof item.suppressedSince === 'string' ? { suppressedSince: item.suppressedSince } : {}),
  };
};

/**
 * Pending alerts and cooldowns in the data table (docs/data-model.md). Every change to an item is a conditional
 * update, so two runs never both own an item and a run only finishes what it still owns.
 */
export class DynamoAlertStore implements AlertStore {
  constructor(private readonly options: DynamoAlertStoreOptions) {}

  private get table(): string {
    return this.options.tableName;
  }

  async *scanPending(): AsyncIterable<ItemRef[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.options.client.send(
        new ScanCommand({
          TableName: this.table,
          IndexName: PENDING_ALERTS_INDEX,
          ExclusiveStartKey: start,
          ...(this.options.pageSize ? { Limit: this.options.pageSize } : {}),
        }),
      );
      const refs = (res.Items ?? [])
        .filter((i) => typeof i.pk === 'string' && typeof i.sk === 'string')
        .map((i) => ({ pk: i.pk as string, sk: i.sk as string }));
      start = res.LastEvaluatedKey;
      yield refs;
    } while (start);
  }

  async claim(ref: ItemRef, claimId: string, nowIso: string, staleBeforeIso: string): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await this.options.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: ref,
          UpdateExpression: 'SET claimedAt = :now, claimId = :id',
          // ISO-8601 UTC strings of one format order as the times they name.
          ConditionExpression: 'attribute_exists(pendingAlert) AND (attribute_not_exists(claimedAt) OR claimedAt < :stale)',
          ExpressionAttributeValues: { ':now': nowIso, ':id': claimId, ':stale': staleBeforeIso },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return res.Attributes;
    } catch (error) {
      if (isConditionalFailure(error)) return undefined;
      throw error;
    }
  }

  private finish(ref: ItemRef, claimId: string, set: string, values: Record<string, unknown>): Promise<boolean> {
    return conditional(() =>
      this.options.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: ref,
          UpdateExpression: `REMOVE pendingAlert, claimedAt, claimId SET ${set}`,
          ConditionExpression: 'claimId = :claim',
          ExpressionAttributeValues: { ':claim': claimId, ...values },
        }),
      ),
    );
  }

  complete(ref: ItemRef, claimId: string, notifiedAt: string, messageId: string): Promise<boolean> {
    return this.finish(ref, claimId, 'notifiedAt = :at, messageId = :mid', { ':at': notifiedAt, ':mid': messageId });
  }

  suppress(ref: ItemRef, claimId: string, suppressedAt: string, suppressedBy: string): Promise<boolean> {
    return this.finish(ref, claimId, 'suppressedAt = :at, suppressedBy = :by', { ':at': suppressedAt, ':by': suppressedBy });
  }

  skip(ref: ItemRef, claimId: string, at: string, reason: string): Promise<boolean> {
    return this.finish(ref, claimId, 'alertSkipped = :reason, alertCheckedAt = :at', { ':at': at, ':reason': reason });
  }

  release(ref: ItemRef, claimId: string): Promise<boolean> {
    return conditional(() =>
      this.options.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: ref,
          UpdateExpression: 'REMOVE claimedAt, claimId',
          ConditionExpression: 'claimId = :claim',
          ExpressionAttributeValues: { ':claim': claimId },
        }),
      ),
    );
  }

  async getCooldown(detector: string, key: string): Promise<CooldownState | undefined> {
    const res = await this.options.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: cooldownPk(detector, key), sk: COOLDOWN_SK }, ConsistentRead: true }),
    );
    return asState(res.Item);
  }

  private cooldownItem(detector: string, key: string, state: CooldownState): Record<string, unknown> {
    const keepSeconds = Math.round((this.options.retentionDays ?? 30) * 86400);
    return {
      pk: cooldownPk(detector, key),
      sk: COOLDOWN_SK,
      type: 'cooldown',
      detector,
      key,
      ...state,
      expiresAt: Math.floor(Date.parse(state.until) / 1000) + keepSeconds,
    };
  }

  putCooldown(detector: string, key: string, next: CooldownState, expectedVersion: number): Promise<boolean> {
    return conditional(() =>
      this.options.client.send(
        new PutCommand({
          TableName: this.table,
          Item: this.cooldownItem(detector, key, next),
          ...(expectedVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#version = :v',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':v': expectedVersion },
              }),
        }),
      ),
    );
  }

  async confirmCooldown(detector: string, key: string, claimId: string, messageId: string): Promise<void> {
    // Bumps the version: a run that read the unconfirmed state must not then overwrite the confirmed one.
    await conditional(() =>
      this.options.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: cooldownPk(detector, key), sk: COOLDOWN_SK },
          UpdateExpression: 'SET messageId = :mid ADD #version :one',
          ConditionExpression: 'claimId = :claim',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':mid': messageId, ':one': 1, ':claim': claimId },
        }),
      ),
    );
  }

  async restoreCooldown(detector: string, key: string, claimId: string, previous: CooldownState | undefined): Promise<void> {
    const Key = { pk: cooldownPk(detector, key), sk: COOLDOWN_SK };
    if (!previous) {
      await conditional(() =>
        this.options.client.send(
          new DeleteCommand({
            TableName: this.table,
            Key,
            ConditionExpression: 'claimId = :claim',
            ExpressionAttributeValues: { ':claim': claimId },
          }),
        ),
      );
      return;
    }
    // An update, not a put: the version moves on, so no run holding an older read can write over the restored state.
    const set = [
      '#until = :until',
      'startedAt = :startedAt',
      'severity = :severity',
      'claimId = :previousClaim',
      'suppressed = :suppressed',
      'expiresAt = :expiresAt',
    ];
    const remove: string[] = [];
    const values: Record<string, unknown> = {
      ':until': previous.until,
      ':startedAt': previous.startedAt,
      ':severity': previous.severity,
      ':previousClaim': previous.claimId,
      ':suppressed': previous.suppressed,
      ':expiresAt': this.cooldownItem(detector, key, previous).expiresAt,
      ':claim': claimId,
      ':one': 1,
    };
    if (previous.messageId !== undefined) {
      set.push('messageId = :mid');
      values[':mid'] = previous.messageId;
    } else remove.push('messageId');
    if (previous.suppressedSince !== undefined) {
      set.push('suppressedSince = :since');
      values[':since'] = previous.suppressedSince;
    } else remove.push('suppressedSince');
    await conditional(() =>
      this.options.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key,
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''} ADD #version :one`,
          ConditionExpression: 'claimId = :claim',
          ExpressionAttributeNames: { '#until': 'until', '#version': 'version' },
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  async addSuppressed(detector: string, key: string, count: number, sinceIso: string): Promise<void> {
    // Bumps the version: a run about to open a new cooldown re-reads, and reports this count as held back.
    await conditional(() =>
      this.options.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: cooldownPk(detector, key), sk: COOLDOWN_SK },
          UpdateExpression: 'SET suppressedSince = if_not_exists(suppressedSince, :since) ADD suppressed :n, #version :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':since': sinceIso, ':n': count, ':one': 1 },
        }),
      ),
    );
  }
}
