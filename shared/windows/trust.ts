import { randomUUID } from 'node:crypto';
import type { LiveModel } from './models';
import type { KeyRegistry } from './plan';
import type { WindowStore } from './ports';

/**
 * When a warm container may score with a cached forest without first reading its key's window items (./emit.ts).
 * A forest is stale when someone else advanced its key since it was cached; reading the key's items after the
 * forest's last window tells (one Query per key), but at 10,000 keys those reads were most of the final invoke.
 * A shard's emissions run one at a time, so the shard's head — the last emission that completed on it and the
 * container that ran it, kept beside the shard's key registry — tells the same for every key at once: when the head
 * is this container's own last emission on the shard, nobody else emitted there since, and every forest this
 * container used or checked on that shard since it last saw a foreign head is current. Any other head starts a new
 * epoch: those forests are checked key by key again (and tagged with the new epoch once checked).
 * A key's windows written from another shard are not in the head: the planned windows' own slots are read (a batch
 * read, 100 keys a request) and a key with any of them taken is checked key by key. Pure bookkeeping, no I/O.
 */

/** The last emission that completed on a shard for a detector, and the container that ran it. */
export interface ShardHead {
  container: string;
  emission: string;
}

/** What a shard keeps per detector: its silent-key registry (empty without silentKeys) and its head. */
export interface ShardState {
  registry: KeyRegistry;
  head?: ShardHead;
}

/** A window slot: one (detector, key, window start). */
export interface WindowSlot {
  detector: string;
  key: string;
  startMs: number;
}

export const slotId = (s: WindowSlot): string => `${s.detector}\u0000${s.key}\u0000${s.startMs}`;

/** The window-store capabilities the trusted path needs (shared/store/windows.ts has them; other stores need not). */
export interface ShardHeadStore {
  readShard(detector: string, shardId: string): Promise<ShardState>;
  /** Sets the head (the registry untouched) only if it is still `expected`; false when it was not. */
  claimShard(detector: string, shardId: string, head: ShardHead, expected: ShardHead | undefined): Promise<boolean>;
  /**
   * Saves the registry (when the detector keeps one) and the new head, only if the head is still `expected`; false
   * when it was not (the registry is saved anyway, without a head, so the next emission checks every key).
   */
  writeShard(
    detector: string,
    shardId: string,
    registry: KeyRegistry | undefined,
    head: ShardHead,
    expected: ShardHead | undefined,
  ): Promise<boolean>;
  /** Which of these slots hold an item (slotId), read consistently; the others are known empty to the store's next writes. */
  takenSlots(slots: readonly WindowSlot[]): Promise<Set<string>>;
}

export const hasShardHeads = (store: WindowStore): store is WindowStore & ShardHeadStore =>
  typeof (store as Partial<ShardHeadStore>).readShard === 'function' &&
  typeof (store as Partial<ShardHeadStore>).writeShard === 'function' &&
  typeof (store as Partial<ShardHeadStore>).claimShard === 'function' &&
  typeof (store as Partial<ShardHeadStore>).takenSlots === 'function';

const shardKey = (detector: string, shardId: string) => `${detector}\u0000${shardId}`;

/** One container's (one model cache's) record of which cached forests are current. */
export class ContainerTrust {
  readonly id = randomUUID();
  private readonly last = new Map<string, string>();
  private readonly epochs = new Map<string, number>();
  private readonly tags = new WeakMap<LiveModel, { shard: string; epoch: number }>();

  /** At an emission's start: a head that is not this container's own last emission on the shard starts a new epoch. */
  begin(detector: string, shardId: string, head: ShardHead | undefined): boolean {
    const k = shardKey(detector, shardId);
    const own = head !== undefined && head.container === this.id && head.emission === this.last.get(k);
    if (!own) this.epochs.set(k, (this.epochs.get(k) ?? 0) + 1);
    return own;
  }

  /** True when the forest was used or checked on this shard in the current epoch. */
  current(model: LiveModel, detector: string, shardId: string): boolean {
    const k = shardKey(detector, shardId);
    const tag = this.tags.get(model);
    return tag !== undefined && tag.shard === k && tag.epoch === this.epochs.get(k);
  }

  /** After a key's job: its forest is current on this shard as of this emission. */
  checked(model: LiveModel, detector: string, shardId: string): void {
    const k = shardKey(detector, shardId);
    const epoch = this.epochs.get(k);
    if (epoch !== undefined) this.tags.set(model, { shard: k, epoch });
  }

  /** The emission completed and its head was written. */
  completed(detector: string, shardId: string, emissionId: string): void {
    this.last.set(shardKey(detector, shardId), emissionId);
  }

  head(emissionId: string): ShardHead {
    return { container: this.id, emission: emissionId };
  }

  /** The head an emission sets when it starts on a shard whose head is not this container's: never a completed one. */
  claim(emissionId: string): ShardHead {
    return { container: this.id, emission: `running:${emissionId}` };
  }
}

const byCache = new WeakMap<object, ContainerTrust>();

/** The trust record that goes with a model cache (a cache is one container's, or one test's stand-in for one). */
export function containerTrust(cache: object): ContainerTrust {
  let t = byCache.get(cache);
  if (!t) byCache.set(cache, (t = new ContainerTrust()));
  return t;
}
