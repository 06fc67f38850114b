/**
 * RandomCutForest: the public forest (score then update, KDA's warm-up zeros and repeated-value rule, attribution)
 * over the trees, sampler and shingle-aware point store; state format 2 with version 1 still readable (docs/rcf.md).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ByteReader, ByteWriter } from './bytes';
import { RcfInputError, RcfParameterError, RcfStateError } from './errors';
import { PointStore } from './point-store';
import { Xoshiro128 } from './random';
import { ReservoirSampler, samplerKey } from './sampler';
import { NodePool, RcfTree } from './tree';

export interface ForestOptions {
  /** Trees in the forest; the score is their average. KDA default 100, range 1–1000. */
  numberOfTrees?: number;
  /** Points kept per tree (reservoir size). KDA default 256, range 10–1000. */
  subSampleSize?: number;
  /** How far back the sample reaches (decay rate 1/timeDecay). KDA default 100000, range 1–2^31-1. */
  timeDecay?: number;
  /** Consecutive records concatenated into one point. KDA default 1, range 1–30. */
  shingleSize?: number;
  /** Numeric columns per record, 1–30. */
  dimensions: number;
  /** Makes the forest reproducible: same seed and inputs, same scores. Random when omitted. */
  seed?: number;
}

export interface ColumnAttribution {
  score: number;
  direction: 'HIGH' | 'LOW';
}

export interface ProcessResult {
  score: number;
  attribution?: ColumnAttribution[];
}

export interface ForestParameters {
  numberOfTrees: number;
  subSampleSize: number;
  timeDecay: number;
  shingleSize: number;
  dimensions: number;
}

export const DEFAULTS = { numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 } as const;

const LIMITS: Record<keyof ForestParameters, [number, number]> = {
  numberOfTrees: [1, 1000],
  subSampleSize: [10, 1000],
  timeDecay: [1, 2 ** 31 - 1],
  shingleSize: [1, 30],
  dimensions: [1, 30],
};

/** Validates and completes forest options with KDA's defaults; throws RcfParameterError naming the parameter. */
export function resolveParameters(options: ForestOptions): ForestParameters {
  if (options === null || typeof options !== 'object')
    throw new RcfParameterError('forest options must be an object with at least `dimensions`');
  const params = {
    numberOfTrees: options.numberOfTrees ?? DEFAULTS.numberOfTrees,
    subSampleSize: options.subSampleSize ?? DEFAULTS.subSampleSize,
    timeDecay: options.timeDecay ?? DEFAULTS.timeDecay,
    shingleSize: options.shingleSize ?? DEFAULTS.shingleSize,
    dimensions: options.dimensions,
  };
  for (const key of Object.keys(LIMITS) as Array<keyof ForestParameters>) {
    const [lo, hi] = LIMITS[key];
    const value: unknown = params[key];
    if (value === undefined) throw new RcfParameterError(`${key} is required (the number of numeric columns per record, ${lo}–${hi})`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
      throw new RcfParameterError(`${key} must be an integer from ${lo} to ${hi}, got ${JSON.stringify(value) ?? String(value)}`);
    }
  }
  if (options.seed !== undefined && (typeof options.seed !== 'number' || !Number.isSafeInteger(options.seed))) {
    throw new RcfParameterError(`seed must be a safe integer, got ${JSON.stringify(options.seed) ?? String(options.seed)}`);
  }
  return params;
}

const MAGIC = [0x52, 0x43, 0x46]; // "RCF"
/** 2: point values as shingle records, each stored once (1: every point's coordinates; still read). */
const FORMAT_VERSION = 2;
const READS = [1, 2];

/**
 * Random Cut Forest with the scores Amazon Kinesis Data Analytics' RANDOM_CUT_FOREST produced
 * (../shared/docs/rcf.md): time-decayed reservoir per tree, shared float32 point store, internal
 * shingling, score-then-update, zeros during warm-up, KDA's rule for repeated values.
 */
export class RandomCutForest {
  readonly parameters: ForestParameters;
  /** Coordinates of one point: dimensions × shingleSize. */
  readonly pointDimensions: number;

  private readonly lambda: number;
  private readonly normalizer: number;
  private readonly rng: Xoshiro128;
  private readonly store: PointStore;
  private readonly pool: NodePool;
  private readonly trees: RcfTree[];
  private readonly samplers: ReservoirSampler[];
  /** All samplers' keys and slots, one buffer each (sampler i uses entries i·subSampleSize onwards). */
  private readonly samplerKeys: Float64Array;
  private readonly samplerSlots: Int32Array;
  /** Last shingle, oldest record first (only valid once shingleSize records were seen). */
  private shingle: Float32Array;
  private next: Float32Array;
  private readonly path: Int32Array;
  private readonly part: Float64Array;
  private readonly parts: Float64Array;
  private updateCount = 0;
  private recordCount = 0;

  constructor(options: ForestOptions) {
    this.parameters = resolveParameters(options);
    const { numberOfTrees, subSampleSize, timeDecay, shingleSize, dimensions } = this.parameters;
    const dims = dimensions * shingleSize;
    this.pointDimensions = dims;
    this.lambda = 1 / timeDecay;
    this.normalizer = Math.log2(subSampleSize);
    this.rng = new Xoshiro128(options.seed ?? Math.floor(Math.random() * 2 ** 53));
    // Memory is sized to what the forest holds and grows by doubling: a cached forest of repeated counts keeps a
    // few distinct points and a few leaves per tree, not the worst case (issue 14: 10,000 forests in one Lambda).
    // Distinct points alive are bounded by the samplers' entries.
    this.store = new PointStore(dims, Math.min(numberOfTrees * subSampleSize + 1, Math.max(64, 2 * subSampleSize)), dimensions);
    // A tree holds at most subSampleSize leaves and one node fewer.
    this.pool = new NodePool(this.store, 4 * numberOfTrees, numberOfTrees * subSampleSize);
    this.samplerKeys = new Float64Array(numberOfTrees * subSampleSize);
    this.samplerSlots = new Int32Array(numberOfTrees * subSampleSize);
    this.trees = [];
    this.samplers = [];
    for (let i = 0; i < numberOfTrees; i++) {
      this.trees.push(new RcfTree(subSampleSize, this.store, this.rng, this.pool));
      this.samplers.push(new ReservoirSampler(subSampleSize, this.samplerKeys, this.samplerSlots, i * subSampleSize));
    }
    this.shingle = new Float32Array(dims);
    this.next = new Float32Array(dims);
    this.path = new Int32Array(subSampleSize + 1);
    this.part = new Float64Array(2 * dims);
    this.parts = new Float64Array(2 * dims);
  }

  /** Full shingles the forest has learned from (each one an update of every sampler). */
  get updates(): number {
    return this.updateCount;
  }

  /** Records seen, including those before the first full shingle. */
  get records(): number {
    return this.recordCount;
  }

  /** Scores the record against the forest as it is, then learns it (KDA's score-then-update). */
  process(record: ArrayLike<number>, opts?: { explain?: boolean }): ProcessResult {
    const point = this.nextShingle(record);
    const explain = opts?.explain === true;
    const full = this.recordCount + 1 >= this.parameters.shingleSize;
    let result: ProcessResult;
    if (full && this.updateCount >= this.parameters.subSampleSize) {
      result = explain ? this.explainPoint(point) : { score: this.scorePoint(point) };
    } else {
      result = explain ? { score: 0, attribution: this.zeroAttribution() } : { score: 0 };
    }
    if (full) this.update(point);
    this.next = this.shingle;
    this.shingle = point;
    this.recordCount++;
    return result;
  }

  /** Score the record would get from `process`, without learning it or advancing the shingle. */
  score(record: ArrayLike<number>): number {
    const point = this.nextShingle(record);
    const full = this.recordCount + 1 >= this.parameters.shingleSize;
    if (!full || this.updateCount < this.parameters.subSampleSize) return 0;
    return this.scorePoint(point);
  }

  /** Bytes held by the forest's typed arrays (trees, samplers, point store). */
  get byteLength(): number {
    return this.store.byteLength + this.pool.byteLength + this.samplerKeys.byteLength + this.samplerSlots.byteLength;
  }

  /** Distinct points held in the point store. */
  get storedPoints(): number {
    return this.store.size;
  }

  /** Validates the record and writes the shingle it completes into `this.next` (not yet committed). */
  private nextShingle(record: ArrayLike<number>): Float32Array {
    const cols = this.parameters.dimensions;
    if (record === null || typeof record !== 'object' || record.length !== cols) {
      const got =
        record !== null && typeof record === 'object' && typeof record.length === 'number' ? `${record.length} values` : String(record);
      throw new RcfInputError(`a record must have ${cols} numeric value${cols === 1 ? '' : 's'}, got ${got}`);
    }
    const out = this.next;
    const dims = this.pointDimensions;
    const keep = dims - cols;
    for (let i = 0; i < cols; i++) {
      const v = record[i];
      const f = typeof v === 'number' ? Math.fround(v) : Number.NaN;
      if (!Number.isFinite(f)) {
        throw new RcfInputError(
          `column ${i} of the record is ${typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v))}: RCF needs finite numbers within float32 range`,
        );
      }
      out[keep + i] = f === 0 ? 0 : f; // -0 → 0 so equal values compare and serialize alike
    }
    if (keep > 0) out.set(this.shingle.subarray(cols), 0);
    return out;
  }

  private scorePoint(point: Float32Array): number {
    const trees = this.trees;
    const path = this.path;
    let sum = 0;
    // Two loops rather than a branch inside the tree's score, so each stays small enough for the JIT to inline.
    if (this.pointDimensions >= 8 && trees[0]!.wide) for (let i = 0; i < trees.length; i++) sum += trees[i]!.scoreWide(point, path);
    else for (let i = 0; i < trees.length; i++) sum += trees[i]!.score(point, path);
    return (sum / trees.length) * this.normalizer;
  }

  private explainPoint(point: Float32Array): ProcessResult {
    const dims = this.pointDimensions;
    const parts = this.parts;
    parts.fill(0);
    const weight = this.normalizer / this.trees.length;
    let sum = 0;
    for (const tree of this.trees) sum += tree.attribute(point, this.path, this.part, parts, weight);
    const cols = this.parameters.dimensions;
    const attribution: ColumnAttribution[] = [];
    for (let c = 0; c < cols; c++) {
      let high = 0;
      let low = 0;
      for (let i = c; i < dims; i += cols) {
        high += parts[i]!;
        low += parts[dims + i]!;
      }
      attribution.push({ score: high + low, direction: high > low ? 'HIGH' : 'LOW' });
    }
    return { score: (sum / this.trees.length) * this.normalizer, attribution };
  }

  private zeroAttribution(): ColumnAttribution[] {
    return Array.from({ length: this.parameters.dimensions }, () => ({ score: 0, direction: 'LOW' as const }));
  }

  /** Offers the point to every tree's sampler; accepted points are inserted (after the evicted one is deleted). */
  private update(point: Float32Array): void {
    const t = this.updateCount;
    const rng = this.rng;
    const store = this.store;
    let slot = -1;
    for (let j = 0; j < this.samplers.length; j++) {
      const sampler = this.samplers[j]!;
      const key = samplerKey(this.lambda, t, rng.nextOpen());
      if (!sampler.accepts(key)) continue;
      if (slot < 0) {
        const compactions = store.compactions;
        slot = store.add(point, t);
        if (store.compactions !== compactions) this.pool.refreshOffsets();
      }
      store.incRef(slot);
      const evicted = sampler.add(key, slot);
      const tree = this.trees[j]!;
      if (evicted >= 0) {
        tree.delete(evicted);
        store.decRef(evicted);
      }
      tree.insert(slot);
    }
    this.updateCount = t + 1;
  }

  /**
   * Compact, versioned state: the point store and each sampler's entries, not the trees (rebuilt on load
   * with fresh cuts, statistically identical). Sampler keys are not stored either: given the sample and
   * its largest key W, the other keys are independent draws from their distributions truncated below W,
   * so they are redrawn on load (exact in distribution) — only W per full sampler is kept.
   * Layout (after a 4-byte header "RCF" + version, the rest deflate-raw compressed): parameters, counters,
   * RNG state, last shingle, points (update numbers delta-coded, float32 coordinates in byte planes),
   * then per tree its entry count, [position and relative value of the largest key], entry indexes delta-coded.
   */
  toBytes(): Uint8Array {
    const p = this.parameters;
    const store = this.store;
    const w = new ByteWriter();
    w.varint(p.numberOfTrees);
    w.varint(p.subSampleSize);
    w.varint(p.timeDecay);
    w.varint(p.shingleSize);
    w.varint(p.dimensions);
    w.varint(this.updateCount);
    w.varint(this.recordCount);
    for (const s of this.rng.getState()) w.u32(s);
    w.f32Planes(this.shingle);

    // Renumber the slots the samplers use in update order, so indexes and update numbers delta-code small.
    const used = new Int32Array(store.capacity).fill(-1);
    const slots: number[] = [];
    for (const s of this.samplers) {
      for (let i = 0; i < s.size; i++) {
        const slot = s.slot(i);
        if (used[slot] === -1) {
          used[slot] = 0;
          slots.push(slot);
        }
      }
    }
    slots.sort((a, b) => store.seq[a]! - store.seq[b]!);
    slots.forEach((slot, index) => (used[slot] = index));
    w.varint(slots.length);
    let prev = 0;
    for (const slot of slots) {
      const seq = store.seq[slot]!;
      w.varint(seq - prev);
      prev = seq;
    }
    w.f32Planes(this.recordValues(slots));

    const shift = this.lambda * this.updateCount;
    for (const s of this.samplers) {
      const indexes = Array.from(s.slots.subarray(s.base, s.base + s.size), (slot) => used[slot]!).sort((a, b) => a - b);
      w.varint(s.size);
      if (s.isFull) {
        w.varint(indexes.indexOf(used[s.slot(0)]!));
        w.f64(s.maxKey + shift);
      }
      let last = 0;
      for (const index of indexes) {
        w.varint(index - last);
        last = index;
      }
    }
    const body = deflateRawSync(w.bytes(), { level: 9 });
    const out = new Uint8Array(4 + body.length);
    out.set(MAGIC, 0);
    out[3] = FORMAT_VERSION;
    out.set(body, 4);
    return out;
  }

  /** Rebuilds a forest saved by `toBytes`; throws RcfStateError on bytes it cannot read. */
  static fromBytes(bytes: Uint8Array): RandomCutForest {
    if (!(bytes instanceof Uint8Array) || bytes.length < 4 || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1] || bytes[2] !== MAGIC[2]) {
      throw new RcfStateError('not a stream-sentinel RCF state (bad header)');
    }
    const version = bytes[3]!;
    if (!READS.includes(version))
      throw new RcfStateError(`RCF state format version ${version} is not supported (this build reads ${READS.join(' and ')})`);
    let body: Uint8Array;
    try {
      body = inflateRawSync(bytes.subarray(4));
    } catch {
      throw new RcfStateError('RCF state is corrupt (cannot be decompressed)');
    }
    const r = new ByteReader(body);
    let forest: RandomCutForest;
    try {
      forest = new RandomCutForest({
        numberOfTrees: r.varint(),
        subSampleSize: r.varint(),
        timeDecay: r.varint(),
        shingleSize: r.varint(),
        dimensions: r.varint(),
        seed: 0,
      });
    } catch (error) {
      throw new RcfStateError(`RCF state has invalid parameters: ${error instanceof Error ? error.message : String(error)}`);
    }
    forest.readState(r, version);
    return forest;
  }

  /**
   * Values of the records the points cover, each record once, column by column (a column's values in a row
   * compress far better than interleaved columns). Point t is the shingle of records t … t+S−1, so points
   * sorted by update number overlap when they are less than S apart; the reader rebuilds the same layout
   * from the update numbers alone (`recordStarts`).
   */
  private recordValues(slots: readonly number[]): Float32Array {
    const store = this.store;
    const cols = this.parameters.dimensions;
    const S = this.parameters.shingleSize;
    const starts = recordStarts(
      slots.map((slot) => store.seq[slot]!),
      S,
    );
    const records = slots.length === 0 ? 0 : starts[starts.length - 1]! + S;
    const out = new Float32Array(records * cols);
    slots.forEach((slot, i) => {
      const o = store.offsets[slot]!;
      for (let k = 0; k < S; k++) {
        const record = starts[i]! + k;
        for (let c = 0; c < cols; c++) out[c * records + record] = store.coords[o + k * cols + c]!;
      }
    });
    return out;
  }

  /**
   * Reads the record values of a version-2 state and adds every point to the store, in update order (so the
   * shingled store shares the records consecutive points have in common, as when they were first added).
   */
  private addPointsFromRecords(r: ByteReader, seqs: Float64Array, slotOf: Int32Array): void {
    const cols = this.parameters.dimensions;
    const S = this.parameters.shingleSize;
    for (let i = 1; i < seqs.length; i++)
      if (!(seqs[i]! > seqs[i - 1]!)) throw new RcfStateError('RCF state has point update numbers out of order');
    const starts = recordStarts(seqs, S);
    const records = seqs.length === 0 ? 0 : starts[starts.length - 1]! + S;
    const values = r.f32Planes(records * cols);
    for (let k = 0; k < values.length; k++) if (!Number.isFinite(values[k]!)) throw new RcfStateError('RCF state holds a non-finite point');
    this.store.reserve(seqs.length, records * cols + this.pointDimensions);
    const point = new Float32Array(this.pointDimensions);
    for (let i = 0; i < seqs.length; i++) {
      for (let k = 0; k < S; k++) {
        const record = starts[i]! + k;
        for (let c = 0; c < cols; c++) point[k * cols + c] = values[c * records + record]!;
      }
      slotOf[i] = this.store.add(point, seqs[i]!);
      this.store.incRef(slotOf[i]!); // held until every sampler took its references
    }
  }

  /** Reads a version-1 state's points (every coordinate of every point) and adds them to the store. */
  private addPoints(r: ByteReader, seqs: Float64Array, slotOf: Int32Array): void {
    const dims = this.pointDimensions;
    const coords = r.f32Planes(seqs.length * dims);
    for (let k = 0; k < coords.length; k++) if (!Number.isFinite(coords[k]!)) throw new RcfStateError('RCF state holds a non-finite point');
    for (let i = 0; i < seqs.length; i++) {
      slotOf[i] = this.store.add(coords.subarray(i * dims, i * dims + dims), seqs[i]!);
      this.store.incRef(slotOf[i]!); // held until every sampler took its references
    }
  }

  private readState(r: ByteReader, version: number): void {
    const N = this.parameters.subSampleSize;
    const dims = this.pointDimensions;
    this.updateCount = r.varint();
    this.recordCount = r.varint();
    this.rng.setState([r.u32(), r.u32(), r.u32(), r.u32()]);
    this.shingle.set(r.f32Planes(dims));
    const count = r.varint();
    if (count > this.parameters.numberOfTrees * N)
      throw new RcfStateError(`RCF state has ${count} points, more than its samplers can hold`);
    const seqs = new Float64Array(count);
    let prev = 0;
    for (let i = 0; i < count; i++) seqs[i] = prev += r.varint();
    const slotOf = new Int32Array(count);
    if (version === 1) this.addPoints(r, seqs, slotOf);
    else this.addPointsFromRecords(r, seqs, slotOf);
    const lambda = this.lambda;
    const now = lambda * this.updateCount;
    for (let j = 0; j < this.samplers.length; j++) {
      const sampler = this.samplers[j]!;
      const size = r.varint();
      if (size > N) throw new RcfStateError(`RCF state has ${size} points in a sampler of size ${N}`);
      let maxPos = -1;
      let maxRel = 0;
      if (size === N) {
        maxPos = r.varint();
        maxRel = r.f64();
      }
      let index = 0;
      for (let i = 0; i < size; i++) {
        index += r.varint();
        if (index >= count || (i > 0 && index === sampler.slot(i - 1))) throw new RcfStateError('RCF state has a bad point index');
        sampler.slots[sampler.base + i] = index;
      }
      for (let i = 0; i < size; i++) {
        const index = sampler.slot(i);
        const seq = seqs[index]!;
        let key: number;
        if (i === maxPos) key = maxRel - now;
        else if (maxPos < 0) key = samplerKey(lambda, seq, this.rng.nextOpen());
        else key = truncatedKey(maxRel - lambda * (this.updateCount - seq), this.rng.nextOpen()) - lambda * seq;
        sampler.keys[sampler.base + i] = key;
        sampler.slots[sampler.base + i] = slotOf[index]!;
        this.store.incRef(slotOf[index]!);
      }
      sampler.heapify(size);
      this.trees[j]!.build(sampler.slots.subarray(sampler.base, sampler.base + size), size);
    }
    this.pool.releaseScratch();
    if (!r.done) throw new RcfStateError('RCF state has trailing bytes');
    for (let i = 0; i < count; i++) this.store.decRef(slotOf[i]!);
  }
}

/**
 * Where each point's first record sits in the record list of a state, for update numbers in increasing order:
 * right after the previous point's first record when the two overlap (less than S apart), else after its last.
 */
function recordStarts(seqs: ArrayLike<number>, S: number): number[] {
  const starts: number[] = [];
  for (let i = 0; i < seqs.length; i++) {
    if (i === 0) starts.push(0);
    else {
      const step = seqs[i]! - seqs[i - 1]!;
      starts.push(starts[i - 1]! + (step < S ? step : S));
    }
  }
  return starts;
}

/**
 * ln E for E ~ Exp(1) conditioned on E < e^lnc, by inversion with uniform v: the log of a sampled entry's
 * key offset given that its key is below the sampler's largest key.
 */
function truncatedKey(lnc: number, v: number): number {
  if (lnc < -30) return Math.log(v) + lnc; // E ≈ v·c when c is tiny
  const c = Math.exp(lnc);
  const e = -Math.log1p(v * Math.expm1(-c));
  return e > 0 ? Math.log(e) : Math.log(v) + lnc;
}
