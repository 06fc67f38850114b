import { createHash } from 'node:crypto';
import { severityRank, type ItemRef, type Severity } from './types';

/**
 * Per-key cooldown: after a message about a key, further anomalies of that key are held back until the cooldown
 * ends, unless they are more severe than what opened it. Held-back anomalies are not lost: each item is marked
 * `suppressedBy` the message that covered the key, and the next message about the key says how many were held back
 * and since when.
 *
 * The state lives in one item per key (C#<detector>#<key>) and is changed only with a write conditional on the
 * version read, so two concurrent runs cannot both open a cooldown and both send. The held-back count is idempotent
 * per window: the state keeps a fixed-size list of the windows it counted last, so a count retried after its answer
 * was lost (or redone by a run that took over a dead run's claims) adds nothing for a window already counted.
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
  /** Tokens (windowToken) of the windows most recently counted in `suppressed`, newest last, at most COUNTED_WINDOWS. */
  counted?: string[];
}

/**
 * Windows remembered as counted. A retry comes within seconds and a takeover after the claim timeout (minutes), while
 * one key holds back at most one window per window length: 64 covers both for windows of 10 s and up, in about 1 KB.
 */
export const COUNTED_WINDOWS = 64;

/** A short, fixed-size id of a window item (48 bits of SHA-256: collisions among 64 are not a concern). */
export const windowToken = (ref: ItemRef): string =>
  createHash('sha256').update(`${ref.pk}\u0000${ref.sk}`).digest('base64url').slice(0, 8);

/** What holding back some windows adds to a cooldown's count, or undefined when every one was counted already. */
export interface HeldBackCount {
  /** Windows not yet counted. */
  count: number;
  /** ISO: when the first held-back anomaly was seen (kept if the state has one). */
  since: string;
  /** The new list of counted windows (the state's, plus these, cut to the newest COUNTED_WINDOWS). */
  counted: string[];
}

export function countHeldBack(state: CooldownState, refs: readonly ItemRef[], atIso: string): HeldBackCount | undefined {
  const known = new Set(state.counted ?? []);
  const fresh = [...new Set(refs.map(windowToken))].filter((t) => !known.has(t));
  if (!fresh.length) return undefined;
  return { count: fresh.length, since: atIso, counted: [...(state.counted ?? []), ...fresh].slice(-COUNTED_WINDOWS) };
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
    // Carried over: a count of the old cooldown retried now must still find its windows counted.
    ...(previous?.counted ? { counted: previous.counted } : {}),
  };
}

/** What the previous cooldown held back, for the next message about the key. */
export function heldBackBy(previous: CooldownState | undefined): { count: number; since: string } | undefined {
  return previous && previous.suppressed > 0
    ? { count: previous.suppressed, since: previous.suppressedSince ?? previous.startedAt }
    : undefined;
}
