import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AlertStore } from '../alerts/run';
import type { CooldownState, HeldBackCount } from '../alerts/cooldown';
import type { ItemRef, PendingItem, Severity } from '../alerts/types';
import { toNumber, toPendingItem } from './alert-items';
import { COOLDOWN_SK, PENDING_ALERTS_INDEX, cooldownPk, isConditionalFailure } from './keys';

/**
 * The alert store over DynamoDB (docs/data-model.md): pending alerts (the sparse index, claims, outcomes) and the
 * per-key cooldown items. Every change to an item is a conditional update, so two runs never both own an item and
 * a run only finishes what it still owns. Hands out typed domain objects (PendingItem, CooldownState), never raw
 * items.
 */

export interface DynamoAlertStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Index entries per Scan page (DynamoDB's own 1 MB page limit applies as well). */
  pageSize?: number;
  /** Days a cooldown item is kept after its cooldown ends (its held-back count is reported by the next alert). */
  retentionDays?: number;
}

interface Update {
  set?: string[];
  remove?: string[];
  add?: string[];
  condition: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

const expression = (u: Update): string =>
  [
    u.remove?.length ? `REMOVE ${u.remove.join(', ')}` : '',
    u.set?.length ? `SET ${u.set.join(', ')}` : '',
    u.add?.length ? `ADD ${u.add.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;

/** The cooldown item as its domain state. */
export function toCooldownState(item: Record<string, unknown> | undefined): CooldownState | undefined {
  if (!item || typeof item.until !== 'string') return undefined;
  const counted = strings(item.counted);
  return {
    version: toNumber(item.version) ?? 0,
    until: item.until,
    startedAt: typeof item.startedAt === 'string' ? item.startedAt : item.until,
    severity: (item.severity === 'critical' ? 'critical' : 'warning') as Severity,
    claimId: typeof item.claimId === 'string' ? item.claimId : '',
    ...(typeof item.messageId === 'string' ? { messageId: item.messageId } : {}),
    suppressed: toNumber(item.suppressed) ?? 0,
    ...(typeof item.suppressedSince === 'string' ? { suppressedSince: item.suppressedSince } : {}),
    ...(counted ? { counted } : {}),
  };
}

export class DynamoAlertStore implements AlertStore {
  constructor(private readonly options: DynamoAlertStoreOptions) {}

  private get table(): string {
    return this.options.tableName;
  }

  /**
   * A conditional update: the item's new attributes if it was applied (`returnNew`; else an empty object),
   * undefined if its condition did not hold.
   */
  private async update(Key: ItemRef, u: Update, returnNew = false): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await this.options.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key,
          UpdateExpression: expression(u),
          ConditionExpression: u.condition,
          ...(u.names ? { ExpressionAttributeNames: u.names } : {}),
          ...(u.values ? { ExpressionAttributeValues: u.values } : {}),
          ...(returnNew ? { ReturnValues: 'ALL_NEW' } : {}),
        }),
      );
      return res.Attributes ?? {};
    } catch (error) {
      if (isConditionalFailure(error)) return undefined;
      throw error;
    }
  }

  private async applied(Key: ItemRef, u: Update): Promise<boolean> {
    return (await this.update(Key, u)) !== undefined;
  }

  private async conditional(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  private cooldownKey(detector: string, key: string): ItemRef {
    return { pk: cooldownPk(detector, key), sk: COOLDOWN_SK };
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

  async claim(ref: ItemRef, claimId: string, nowIso: string, staleBeforeIso: string): Promise<PendingItem | undefined> {
    const item = await this.update(
      ref,
      {
        set: ['claimedAt = :now', 'claimId = :id'],
        // ISO-8601 UTC strings of one format order as the times they name.
        condition: 'attribute_exists(pendingAlert) AND (attribute_not_exists(claimedAt) OR claimedAt < :stale)',
        values: { ':now': nowIso, ':id': claimId, ':stale': staleBeforeIso },
      },
      true,
    );
    return item && toPendingItem(ref, item);
  }

  private finish(ref: ItemRef, claimId: string, set: string[], values: Record<string, unknown>): Promise<boolean> {
    return this.applied(ref, {
      remove: ['pendingAlert', 'claimedAt', 'claimId'],
      set,
      condition: 'claimId = :claim',
      values: { ':claim': claimId, ...values },
    });
  }

  complete(ref: ItemRef, claimId: string, notifiedAt: string, messageId: string): Promise<boolean> {
    return this.finish(ref, claimId, ['notifiedAt = :at', 'messageId = :mid'], { ':at': notifiedAt, ':mid': messageId });
  }

  suppress(ref: ItemRef, claimId: string, suppressedAt: string, suppressedBy: string): Promise<boolean> {
    return this.finish(ref, claimId, ['suppressedAt = :at', 'suppressedBy = :by'], { ':at': suppressedAt, ':by': suppressedBy });
  }

  skip(ref: ItemRef, claimId: string, at: string, reason: string): Promise<boolean> {
    return this.finish(ref, claimId, ['alertSkipped = :reason', 'alertCheckedAt = :at'], { ':at': at, ':reason': reason });
  }

  release(ref: ItemRef, claimId: string): Promise<boolean> {
    return this.applied(ref, { remove: ['claimedAt', 'claimId'], condition: 'claimId = :claim', values: { ':claim': claimId } });
  }

  async getCooldown(detector: string, key: string): Promise<CooldownState | undefined> {
    const res = await this.options.client.send(
      new GetCommand({ TableName: this.table, Key: this.cooldownKey(detector, key), ConsistentRead: true }),
    );
    return toCooldownState(res.Item);
  }

  private expiresAt(state: CooldownState): number {
    return Math.floor(Date.parse(state.until) / 1000) + Math.round((this.options.retentionDays ?? 30) * 86400);
  }

  putCooldown(detector: string, key: string, next: CooldownState, expectedVersion: number): Promise<boolean> {
    return this.conditional(() =>
      this.options.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...this.cooldownKey(detector, key), type: 'cooldown', detector, key, ...next, expiresAt: this.expiresAt(next) },
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
    await this.update(this.cooldownKey(detector, key), {
      set: ['messageId = :mid'],
      add: ['#version :one'],
      condition: 'claimId = :claim',
      names: { '#version': 'version' },
      values: { ':mid': messageId, ':one': 1, ':claim': claimId },
    });
  }

  async restoreCooldown(detector: string, key: string, claimId: string, previous: CooldownState | undefined): Promise<void> {
    const Key = this.cooldownKey(detector, key);
    if (!previous) {
      await this.conditional(() =>
        this.options.client.send(
          new DeleteCommand({ TableName: this.table, Key, ConditionExpression: 'claimId = :claim', ExpressionAttributeValues: { ':claim': claimId } }),
        ),
      );
      return;
    }
    // An update, not a put: the version moves on, so no run holding an older read can write over the restored state.
    const set = ['#until = :until', 'startedAt = :startedAt', 'severity = :severity', 'claimId = :previousClaim', 'suppressed = :suppressed', 'expiresAt = :expiresAt'];
    const remove: string[] = [];
    const values: Record<string, unknown> = {
      ':until': previous.until,
      ':startedAt': previous.startedAt,
      ':severity': previous.severity,
      ':previousClaim': previous.claimId,
      ':suppressed': previous.suppressed,
      ':expiresAt': this.expiresAt(previous),
      ':claim': claimId,
      ':one': 1,
    };
    const names: Record<string, string> = { '#until': 'until', '#version': 'version' };
    const optional = { messageId: previous.messageId, suppressedSince: previous.suppressedSince, counted: previous.counted };
    for (const [name, value] of Object.entries(optional)) {
      names[`#${name}`] = name;
      if (value === undefined) remove.push(`#${name}`);
      else {
        set.push(`#${name} = :${name}`);
        values[`:${name}`] = value;
      }
    }
    await this.update(Key, { set, remove, add: ['#version :one'], condition: 'claimId = :claim', names, values });
  }

  addSuppressed(detector: string, key: string, held: HeldBackCount, expectedVersion: number): Promise<boolean> {
    // Conditional on the version read (whose `counted` list `held` extends), so the count is applied at most once
    // per window: a retry of this very request after a lost answer fails here, and the caller's re-read finds its
    // windows counted. Bumps the version: a run about to open a new cooldown re-reads and reports the count.
    return this.applied(this.cooldownKey(detector, key), {
      set: ['suppressedSince = if_not_exists(suppressedSince, :since)', 'counted = :counted'],
      add: ['suppressed :n', '#version :one'],
      condition: '#version = :v',
      names: { '#version': 'version' },
      values: { ':since': held.since, ':n': held.count, ':counted': held.counted, ':one': 1, ':v': expectedVersion },
    });
  }
}
