import { severityRank, type Severity } from './types';

/**
 * Per-key cooldown: after a message about a key, further anomalies of that key are held back until the cooldown
 * ends, unless they are more severe than what opened it. Held-back anomalies are not lost: each item is marked
 * `suppressedBy` the message that covered the key, and the next message about the key says how many were held back
 * and since when.
 *
 * The state lives in one item per key (C#<detector>#<key>) and is changed only with a write conditional on the
 * version read, so two concurrent runs cannot both open a cooldown and both send.
 */

export interface CooldownState {
  /** Optimistic-concurrency token: every write is conditional on the version read. */
  version: number;
  /** ISO: the cooldown holds until then. */
  until: string;
  /** ISO: when the run that opened it claimed the key. */
  startedAt: string;
  severity: Severity;
  /** The run that opened it (its release and confirmation are conditional on this). */
  claimId: string;
  /** Set once that run has published; absent while its publish is in flight. */
  messageId?: string;
  /** Anomalies held back by this cooldown, and the ISO time of the first. */
  suppressed: number;
  suppressedSince?: string;
}

export type CooldownDecision =
  /** No cooldown holds: send, and open a new one. */
  | { action: 'open' }
  /** A cooldown from a published message holds: hold this anomaly back. */
  | { action: 'suppress'; messageId: string; until: string }
  /** Another run is publishing about this key right now: leave the items pending, the next run decides. */
  | { action: 'wait' };

export interface CooldownOptions {
  cooldownMs: number;
  /** A cooldown opened longer ago than this without a message id belongs to a run that died: it holds nothing. */
  claimTimeoutMs: number;
}

export function decideCooldown(
  state: CooldownState | undefined,
  severity: Severity,
  nowMs: number,
  options: CooldownOptions,
): CooldownDecision {
  if (options.cooldownMs <= 0 || !state) return { action: 'open' };
  if (state.messageId === undefined) {
    return Date.parse(state.startedAt) <= nowMs - options.claimTimeoutMs ? { action: 'open' } : { action: 'wait' };
  }
  if (Date.parse(state.until) <= nowMs) return { action: 'open' };
  if (severityRank(severity) > severityRank(state.severity)) return { action: 'open' };
  return { action: 'suppress', messageId: state.messageId, until: state.until };
}

/** The state a run writes when it opens a cooldown; what the previous one held back is reported in this message. */
export function openedCooldown(
  previous: CooldownState | undefined,
  severity: Severity,
  claimId: string,
  nowMs: number,
  cooldownMs: number,
): CooldownState {
  return {
    version: (previous?.version ?? 0) + 1,
    until: new Date(nowMs + cooldownMs).toISOString(),
    startedAt: new Date(nowMs).toISOString(),
    severity,
    claimId,
    suppressed: 0,
  };
}

/** What the previous cooldown held back, for the next message about the key. */
export function heldBackBy(previous: CooldownState | undefined): { count: number; since: string } | undefined {
  return previous && previous.suppressed > 0
    ? { count: previous.suppressed, since: previous.suppressedSince ?? previous.startedAt }
    : undefined;
}
