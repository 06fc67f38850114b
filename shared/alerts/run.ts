import { randomUUID } from 'node:crypto';
import { mapConcurrent } from '../io/map-concurrent';
import { silentLogger, type Logger } from '../lambda/logger';
import { countHeldBack, decideCooldown, heldBackBy, openedCooldown, type CooldownState, type HeldBackCount } from './cooldown';
import { formatDigest, formatGroup, type DetectorText } from './format';
import { evaluateItem, groupAlerts, sortGroups } from './select';
import type { Alert, AlertGroup, AlertMessage, AlertPublisher, ItemRef, PendingItem } from './types';

/**
 * One scheduled run of the alerts function, over two ports (the table and the topic):
 *
 *   scan the pending-alerts index → claim each item (conditional) → re-check it → group per key →
 *   cooldown per key (conditional) → one message per key, or one digest → publish → mark notified.
 *
 * Claims make a run the only sender of an item; a claim older than the claim timeout is taken over, so an item
 * is never lost to a run that died (it may then be sent twice: at-least-once under crashes, exactly once otherwise).
 */

/** The table, as the run needs it (implemented over DynamoDB in shared/store/alerts.ts). */
export interface AlertStore {
  /** Pages of the sparse index: only items that still carry the marker. */
  scanPending(): AsyncIterable<ItemRef[]>;
  /** Claims an item that has the marker and no live claim; returns the item, or undefined if not claimable. */
  claim(ref: ItemRef, claimId: string, nowIso: string, staleBeforeIso: string): Promise<PendingItem | undefined>;
  /** Done: marker and claim removed, notifiedAt and messageId set. False when the claim was no longer ours. */
  complete(ref: ItemRef, claimId: string, notifiedAt: string, messageId: string): Promise<boolean>;
  /** Held back by a cooldown: marker and claim removed, suppressedAt and suppressedBy set. */
  suppress(ref: ItemRef, claimId: string, suppressedAt: string, suppressedBy: string): Promise<boolean>;
  /** No longer owed (e.g. below the threshold): marker and claim removed, the reason recorded. */
  skip(ref: ItemRef, claimId: string, at: string, reason: string): Promise<boolean>;
  /** Back to pending for the next run: the claim removed, the marker kept. */
  release(ref: ItemRef, claimId: string): Promise<boolean>;
  getCooldown(detector: string, key: string): Promise<CooldownState | undefined>;
  /** Writes `next` if the stored version is still `expectedVersion` (0 = no item); false otherwise. */
  putCooldown(detector: string, key: string, next: CooldownState, expectedVersion: number): Promise<boolean>;
  /** Records the message that opened the cooldown (only if the cooldown is still this run's). */
  confirmCooldown(detector: string, key: string, claimId: string, messageId: string): Promise<void>;
  /** Puts back what was there before this run opened the cooldown (undefined: none), if it is still this run's. */
  restoreCooldown(detector: string, key: string, claimId: string, previous: CooldownState | undefined): Promise<void>;
  /**
   * Adds held-back windows to the cooldown's count (for the next message about the key) if the stored version is
   * still `expectedVersion`; false otherwise (the caller re-reads: its windows may have been counted already).
   */
  addSuppressed(detector: string, key: string, held: HeldBackCount, expectedVersion: number): Promise<boolean>;
}

export interface RunOptions {
  store: AlertStore;
  publisher: AlertPublisher;
  cooldownSeconds: number;
  /** More messages than this due in one run are sent as one digest. */
  digestThreshold: number;
  claimTimeoutSeconds: number;
  defaultThreshold: number;
  detectors?: ReadonlyMap<string, DetectorText & { threshold?: number }>;
  tableName?: string;
  /** Items claimed per run at most; the rest wait for the next run (keeps a run within the function timeout). */
  maxItems?: number;
  /** Conditional writes in flight at once. */
  concurrency?: number;
  smsReserved?: number;
  now?: () => number;
  runId?: string;
  logger?: Logger;
}

export interface RunSummary {
  runId: string;
  /** Index pages read. */
  pages: number;
  /** Index entries seen. */
  seen: number;
  claimed: number;
  /** Claimed by another run (or gone) when this run tried. */
  notClaimed: number;
  /** Items cleared without a message (no longer over the threshold, not alertable). */
  skipped: number;
  suppressed: number;
  /** Items left pending for the next run (a concurrent run was publishing about their key). */
  deferred: number;
  /** Items marked notified. */
  notified: number;
  /** Messages published. */
  sent: number;
  digests: number;
  /** Messages whose publish failed; their items stay pending. */
  failed: number;
  /** Items whose claim had been taken over by another run when this run tried to finish them. */
  lostClaims: number;
  messageIds: string[];
}

export const DEFAULT_MAX_ITEMS = 1000;
const DEFAULT_CONCURRENCY = 16;
const MAX_COOLDOWN_ATTEMPTS = 5;

interface Outgoing {
  groups: AlertGroup[];
  message: AlertMessage;
  digest: boolean;
}

interface OpenedCooldown {
  detector: string;
  key: string;
  previous: CooldownState | undefined;
}

export async function runAlerts(options: RunOptions): Promise<RunSummary> {
  const { store, publisher } = options;
  const now = options.now ?? Date.now;
  const runId = options.runId ?? randomUUID();
  const logger = options.logger ?? silentLogger;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const maxItems = options.maxItems ?? DEFAULT_MAX_ITEMS;
  const cooldownMs = Math.max(0, options.cooldownSeconds * 1000);
  const claimTimeoutMs = options.claimTimeoutSeconds * 1000;
  const summary: RunSummary = {
    runId,
    pages: 0,
    seen: 0,
    claimed: 0,
    notClaimed: 0,
    skipped: 0,
    suppressed: 0,
    deferred: 0,
    notified: 0,
    sent: 0,
    digests: 0,
    failed: 0,
    lostClaims: 0,
    messageIds: [],
  };
  const lost = (ok: boolean, ref: ItemRef, step: string) => {
    if (!ok) {
      summary.lostClaims++;
      logger.warn('claim taken over by another run before this one finished the item', { ...ref, step });
    }
  };

  // 1. Claim. The index is eventually consistent and keys-only: the claim reads the item itself (ALL_NEW).
  const claimed: PendingItem[] = [];
  const seenRefs = new Set<string>();
  for await (const page of store.scanPending()) {
    summary.pages++;
    const fresh = page.filter((ref) => {
      const id = `${ref.pk}\u0000${ref.sk}`;
      if (seenRefs.has(id)) return false;
      seenRefs.add(id);
      return true;
    });
    summary.seen += fresh.length;
    const room = maxItems - claimed.length;
    const nowMs = now();
    const results = await mapConcurrent(fresh.slice(0, Math.max(0, room)), concurrency, (ref) =>
      store.claim(ref, runId, new Date(nowMs).toISOString(), new Date(nowMs - claimTimeoutMs).toISOString()),
    );
    for (const item of results) {
      if (item) claimed.push(item);
      else summary.notClaimed++;
    }
    if (claimed.length >= maxItems) {
      logger.info('claimed the most items one run takes; the rest wait for the next run', { maxItems });
      break;
    }
  }
  summary.claimed = claimed.length;
  if (!claimed.length) return summary;

  // 2. Re-check each claimed item: the marker is a promise made when the item was written, not a fact now.
  const thresholds = new Map<string, number>();
  for (const [name, d] of options.detectors ?? []) if (d.threshold !== undefined) thresholds.set(name, d.threshold);
  const alerts: Alert[] = [];
  const skips: Array<{ ref: ItemRef; reason: string }> = [];
  for (const item of claimed) {
    const verdict = evaluateItem(item, { thresholds, defaultThreshold: options.defaultThreshold });
    if ('send' in verdict) alerts.push(verdict.send);
    else skips.push({ ref: item.ref, reason: verdict.skip });
  }
  const checkedAt = new Date(now()).toISOString();
  await mapConcurrent(skips, concurrency, async ({ ref, reason }) => {
    lost(await store.skip(ref, runId, checkedAt, reason), ref, 'skip');
    logger.info('pending alert cleared without a message', { ...ref, reason });
  });
  summary.skipped = skips.length;

  // 3. Cooldown per key: open one (and send), hold back, or leave for the next run.
  const toSend: AlertGroup[] = [];
  const opened = new Map<AlertGroup, OpenedCooldown>();
  await mapConcurrent(groupAlerts(alerts), concurrency, async (group) => {
    if (cooldownMs <= 0) {
      toSend.push(group);
      return;
    }
    for (let attempt = 0; attempt < MAX_COOLDOWN_ATTEMPTS; attempt++) {
      const state = await store.getCooldown(group.detector, group.key);
      const nowMs = now();
      const decision = decideCooldown(state, group.severity, nowMs, { cooldownMs, claimTimeoutMs });
      if (decision.action === 'open') {
        const next = openedCooldown(state, group.severity, runId, nowMs, cooldownMs);
        if (!(await store.putCooldown(group.detector, group.key, next, state?.version ?? 0))) continue;
        const held = heldBackBy(state);
        if (held) group.heldBack = held;
        opened.set(group, { detector: group.detector, key: group.key, previous: state });
        toSend.push(group);
        return;
      }
      if (decision.action === 'suppress') {
        const at = new Date(nowMs).toISOString();
        // Windows already counted (a retry whose first answer was lost, a takeover of a dead run) add nothing.
        const held = countHeldBack(state!, group.alerts.map((a) => a.ref), at);
        if (held && !(await store.addSuppressed(group.detector, group.key, held, state!.version))) continue;
        await Promise.all(
          group.alerts.map(async (a) => lost(await store.suppress(a.ref, runId, at, decision.messageId), a.ref, 'suppress')),
        );
        summary.suppressed += group.alerts.length;
        logger.info('anomalies held back by the key cooldown', {
          detector: group.detector,
          key: group.key,
          windows: group.alerts.length,
          until: decision.until,
          suppressedBy: decision.messageId,
        });
        return;
      }
      break;
    }
    // Another run is publishing about this key (or the cooldown item kept changing under us): try next run.
    await Promise.all(group.alerts.map(async (a) => lost(await store.release(a.ref, runId), a.ref, 'release')));
    summary.deferred += group.alerts.length;
    logger.info('anomalies left pending: another run is alerting about the key', {
      detector: group.detector,
      key: group.key,
      windows: group.alerts.length,
    });
  });

  // 4. Messages: one per key, or one digest when more are due than a subscriber should get at once.
  const format = {
    ...(options.detectors ? { detectors: options.detectors } : {}),
    ...(options.tableName ? { tableName: options.tableName } : {}),
    ...(options.smsReserved !== undefined ? { smsReserved: options.smsReserved } : {}),
  };
  // Groups were decided concurrently: put them back in severity order (the digest lists the worst first).
  const ordered = sortGroups(toSend);
  const outgoing: Outgoing[] =
    ordered.length > options.digestThreshold
      ? [
          {
            groups: ordered,
            digest: true,
            message: formatDigest(ordered, { ...format, digestReason: `more than ${options.digestThreshold} alerts were due at once` }),
          },
        ]
      : ordered.map((g) => ({ groups: [g], digest: false, message: formatGroup(g, format) }));

  // 5. Publish, then finish the items (or give them back to the next run on failure).
  await mapConcurrent(outgoing, concurrency, async (out) => {
    const items = out.groups.flatMap((g) => g.alerts);
    let messageId: string;
    try {
      ({ messageId } = await publisher.publish(out.message));
    } catch (error) {
      summary.failed++;
      logger.error('publish failed; the anomalies stay pending for the next run', {
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
        anomalies: items.length,
        keys: out.groups.map((g) => `${g.detector}/${g.key}`),
      });
      await Promise.all(items.map(async (a) => lost(await store.release(a.ref, runId), a.ref, 'release')));
      await Promise.all(
        out.groups.map((g) => {
          const c = opened.get(g);
          return c ? store.restoreCooldown(c.detector, c.key, runId, c.previous) : undefined;
        }),
      );
      summary.deferred += items.length;
      return;
    }
    summary.sent++;
    if (out.digest) summary.digests++;
    summary.messageIds.push(messageId);
    const at = new Date(now()).toISOString();
    await mapConcurrent(items, concurrency, async (a) => lost(await store.complete(a.ref, runId, at, messageId), a.ref, 'complete'));
    summary.notified += items.length;
    // After the items: a crash before this line leaves the cooldown unconfirmed, so the retry is not suppressed.
    await Promise.all(
      out.groups.map((g) => {
        const c = opened.get(g);
        return c ? store.confirmCooldown(c.detector, c.key, runId, messageId) : undefined;
      }),
    );
    logger.info(out.digest ? 'digest sent' : 'alert sent', {
      messageId,
      subject: out.message.subject,
      anomalies: items.length,
      keys: out.groups.length,
      attributes: out.message.attributes,
    });
  });
  return summary;
}
