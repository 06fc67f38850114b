import type { Logger } from '../lambda/logger';
import type { CompiledDetector, WindowsState } from './aggregate';
import { hopPlan, prepareHopJob } from './hopping';
import { liveModel, replayLearned, scoreWindow, settleSaved, type LiveModel, type ModelCache } from './models';
import { planEmission, type KeyRegistry, type WindowAggregate } from './plan';
import { modelId, type ModelStore, type StoredModel, type WindowStore } from './ports';
import { containerTrust, hasShardHeads, slotId, type ShardHead, type WindowSlot } from './trust';

/**
 * The windows service (pure, over the ports in ./ports.ts): what the windows function does at a Lambda window's
 * final invoke — plan the windows the state holds, score and learn each key's windows on its forest, merge late
 * ones, save each forest, record the keys seen.
 */

export interface EmitInput {
  state: WindowsState;
  compiled: readonly CompiledDetector[];
  shardId: string;
  lambdaWindow: { startMs: number; endMs: number };
  emissionId: string;
  windows: WindowStore;
  models: ModelStore;
  cache: ModelCache;
  /** Keys processed at once (I/O overlaps; scoring itself is synchronous). */
  concurrency?: number;
  /**
   * Save a key's forest once this many windows were written since its last save (default 1: every window). Between
   * saves the window items hold what the forest learned, and a forest not in the cache is rebuilt from the save plus
   * those windows; a window store without `learnedSince` gets every forest saved every window.
   */
  saveEvery?: number;
  /**
   * Each key's records arrive on one shard (WINDOW_KEYS_PARTITIONED): a forest this container kept current on a shard
   * it still holds is trusted without reading its key's items (./trust.ts). Off (default): read per key, exact for any
   * partitioning.
   */
  keysPartitioned?: boolean;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

export interface EmitStats {
  windowsWritten: number;
  anomalies: number;
  lateWindows: number;
  lateRecords: number;
  duplicates: number;
  silentWindows: number;
  modelsSaved: number;
}

/**
 * The final invoke's work: every window the state holds (plus zero-count windows of quiet keys), per key
 * oldest first — score and learn windows after the model's lastWindow, merge the others as late; then save
 * a key's forest every `saveEvery` windows, conditionally on the version read. A cached forest is taken for the
 * whole emission (never evicted under a job) and used only when it is the saved version with no window written
 * since its own last; otherwise the forest is rebuilt: the saved one plus the windows written since its save. Idempotent: a retried emission finds its own items
 * (by emission id) and the models' lastWindow, so the table ends identical and nothing is learned twice.
 * "No window written since" is read per key, except for forests this container kept current on a shard it still
 * holds (./trust.ts: the shard's head), whose planned slots alone are read, in batches.
 */
export async function emitWindows(input: EmitInput): Promise<EmitStats> {
  const { state, compiled, shardId, lambdaWindow, emissionId, windows, models, cache } = input;
  const stats: EmitStats = {
    windowsWritten: 0,
    anomalies: 0,
    lateWindows: 0,
    lateRecords: 0,
    duplicates: 0,
    silentWindows: 0,
    modelsSaved: 0,
  };
  const registries = new Map<string, KeyRegistry>();
  // With a store that keeps shard heads, a cached forest this container kept current on the shard is used without
  // reading its key's items (./trust.ts); the head is in the registry item, read for every detector then.
  const heads = windows.learnedSince && hasShardHeads(windows) ? windows : undefined;
  const trust = heads && input.keysPartitioned ? containerTrust(cache) : undefined;
  const headsRead = new Map<string, ShardHead | undefined>();
  const redelivered = new Map<string, ShardHead>();
  await Promise.all(
    compiled.map(async ({ detector: { name, silentKeys } }) => {
      if (!heads || !trust) {
        if (silentKeys) registries.set(name, await windows.getRegistry(name, shardId));
        return;
      }
      const shard = await heads.readShard(name, shardId);
      if (silentKeys) registries.set(name, shard.registry);
      const own = trust.begin(name, shardId, shard.head);
      // This very emission completed already, in another container: a redelivery writes nothing new, so it leaves the
      // head (and the table) as it is, and that container's cache stays current.
      if (!own && shard.head?.emission === emissionId) return void redelivered.set(name, shard.head);
      let expected = shard.head;
      if (!own) {
        // Marked before any window is written, so the previous head's container stops trusting its cache here.
        const claim = trust.claim(emissionId);
        if (await heads.claimShard(name, shardId, claim, shard.head)) expected = claim;
      }
      headsRead.set(name, expected);
    }),
  );
  const plan = planEmission({ state, compiled, lambdaWindow, registries });
  const byName = new Map(compiled.map((c) => [c.detector.name, c]));
  const jobs: Array<{ c: CompiledDetector; key: string; list: WindowAggregate[] }> = [];
  for (const [name, keys] of plan.byKey) for (const [key, list] of keys) if (list.length) jobs.push({ c: byName.get(name)!, key, list });

  // Each job takes its cached forest now: the forests other jobs cache while this emission runs cannot evict it.
  const pinned = new Map<string, LiveModel>();
  for (const j of jobs) {
    const id = modelId(j.c.detector.name, j.key);
    const cached = cache.get(id);
    if (cached) pinned.set(id, cached);
  }
  const learnedSince = windows.learnedSince?.bind(windows);
  const stepsSince = windows.stepsSince?.bind(windows);
  // A cached forest is used only if it is the stored version: another container may have advanced the key since.
  // With learnedSince the jobs check for windows written after the cached forest's last instead (any advance
  // writes some), which reads no model item (a forest is 7–13 KB: 2–4 read units each); without it, the models.
  if (pinned.size && !learnedSince) {
    const keys = jobs
      .filter((j) => pinned.has(modelId(j.c.detector.name, j.key)))
      .map((j) => ({ detector: j.c.detector.name, key: j.key }));
    const heads = await models.loadMany(keys);
    for (const [id, cached] of pinned) {
      const head = heads.get(id);
      if (head?.version !== cached.version || head?.lastWindowMs !== cached.savedWindowMs) pinned.delete(id);
    }
  }
  // Current forests are still checked against the slots of the windows they will write: a key another shard wrote
  // there goes the key-by-key way. The read also tells the store which slots it may fill in batches.
  const current = new Set<string>();
  if (heads && trust) {
    const slots: WindowSlot[] = [];
    for (const j of jobs) {
      const id = modelId(j.c.detector.name, j.key);
      const m = pinned.get(id);
      if (!m || !trust.current(m, j.c.detector.name, shardId)) continue;
      current.add(id);
      for (const w of j.list) {
        if (m.lastWindowMs === undefined || w.startMs > m.lastWindowMs)
          slots.push({ detector: j.c.detector.name, key: j.key, startMs: w.startMs });
      }
    }
    const taken = slots.length ? await heads.takenSlots(slots) : new Set<string>();
    for (const s of slots) if (taken.has(slotId(s))) current.delete(modelId(s.detector, s.key));
  }
  const saveEvery = learnedSince ? Math.max(1, input.saveEvery ?? 1) : 1;
  // The other models are read in batches before any scoring starts.
  const missing = jobs
    .filter((j) => !pinned.has(modelId(j.c.detector.name, j.key)))
    .map((j) => ({ detector: j.c.detector.name, key: j.key }));
  const stored = missing.length ? await models.loadMany(missing) : new Map<string, StoredModel>();

  const concurrency = input.concurrency ?? 64;
  // One key with many windows (a replay) writes them in parallel too; many keys share the budget.
  const writesPerKey = Math.max(1, Math.ceil(concurrency / Math.max(1, jobs.length)));
  const runJob = async ({ c, key, list }: (typeof jobs)[number]): Promise<void> => {
    const d = c.detector;
    const id = modelId(d.name, key);
    let model = pinned.get(id);
    // The same save, but windows written since the cached forest's last one: another container advanced the key.
    // A redelivered emission leaves out the windows it wrote itself before it failed: it writes (and learns) them again.
    const since = async (afterMs: number | undefined) => (await learnedSince!(d.name, key, afterMs)).filter((w) => w.by !== emissionId);
    if (model && learnedSince && !current.has(id) && (await since(model.lastWindowMs)).length > 0) model = undefined;
    let reset = false;
    if (!model) {
      const saved = pinned.has(id) ? (await models.loadMany([{ detector: d.name, key }])).get(id) : stored.get(id);
      const live = liveModel(d, key, saved);
      if (live.reset) input.logger?.warn('model parameters changed: starting a new forest for this key', { detector: d.name, key });
      model = live.model;
      reset = live.reset;
      if (learnedSince) replayLearned(model, await since(saved?.lastWindowMs), reset, d);
    }
    // Until the job is done, the cached forest must not be trusted: a failure evicts it.
    cache.delete(id);
    let dirty = false;
    // A window the forest learned that its item may not record (the item was there already): save the forest.
    let unrecorded = false;
    // Score and learn in window order first (in memory), then write the items, which are independent.
    const writes: Array<() => Promise<void>> = [];
    const mergeLate = async (w: WindowAggregate): Promise<void> => {
      const outcome = await windows.mergeLate(w, emissionId, shardId);
      if (outcome === 'duplicate') stats.duplicates++;
      else {
        stats.lateWindows++;
        stats.lateRecords += w.count;
      }
    };
    // A hopping detector merges its late steps first, then scores each fresh step's hopping window (./hopping.ts).
    const scored = hopPlan(d)
      ? await prepareHopJob({
          detector: d,
          key,
          list,
          model,
          mergeLate,
          ...(stepsSince ? { stepsSince: (after: number) => stepsSince(d.name, key, after) } : {}),
        })
      : list;
    for (const w of scored) {
      if (w.silent) stats.silentWindows++;
      if (model.lastWindowMs !== undefined && w.startMs <= model.lastWindowMs) {
        if (w.count === 0) continue;
        writes.push(() => mergeLate(w));
        continue;
      }
      const result = scoreWindow(model, w);
      model.lastWindowMs = w.startMs;
      model.sinceSave++;
      dirty = true;
      writes.push(async () => {
        const outcome = await windows.putFresh(result, emissionId, shardId);
        // 'duplicate': this emission wrote it before it failed, with these features; 'merged': someone else's item.
        if (outcome === 'merged') unrecorded = true;
        if (outcome === 'written') {
          stats.windowsWritten++;
          if (result.alert) stats.anomalies++;
        } else if (outcome === 'duplicate') stats.duplicates++;
        else {
          stats.lateWindows++;
          stats.lateRecords += w.count;
        }
      });
    }
    await pool(writes, writesPerKey, (write) => write());
    // Someone else's item took a fresh step: the steps its item holds are not the cached ones.
    if (unrecorded) model.hopSteps = undefined;
    if (dirty && (model.version === undefined || reset || unrecorded || model.sinceSave >= saveEvery)) {
      const saved: StoredModel = {
        detector: d.name,
        key,
        state: model.forest.toBytes(),
        version: (model.version ?? 0) + 1,
        params: model.params,
        ...(model.lastWindowMs !== undefined ? { lastWindowMs: model.lastWindowMs } : {}),
        ...(model.grade !== undefined ? { grade: model.grade } : {}),
      };
      await models.save(saved, model.version);
      // With rebuilds (learnedSince), every container's forest is the saved one read back plus what follows.
      if (learnedSince) settleSaved(model, saved);
      else Object.assign(model, { version: saved.version, savedWindowMs: saved.lastWindowMs, sinceSave: 0 });
      stats.modelsSaved++;
    }
    trust?.checked(model, d.name, shardId);
    cache.set(id, model);
  };

  await pool(jobs, concurrency, runJob);
  if (heads && trust) {
    await Promise.all(
      compiled.map(async ({ detector: { name } }) => {
        const registry = plan.registries.get(name);
        const kept = redelivered.get(name);
        if (kept) {
          if (registry) await heads.writeShard(name, shardId, registry, kept, kept);
        } else if (await heads.writeShard(name, shardId, registry, trust.head(emissionId), headsRead.get(name))) {
          trust.completed(name, shardId, emissionId);
        }
      }),
    );
  } else await Promise.all([...plan.registries].map(([name, registry]) => windows.putRegistry(name, shardId, registry)));
  return stats;
}

/** Runs `fn` over items with at most `limit` in flight; the first failure rejects (after the others settle). */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
