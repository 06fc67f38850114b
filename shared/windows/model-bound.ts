import type { RcfDetector } from '../detectors/schema';

/**
 * The byte bound of a key's model (`M#<detector>#<key>`, docs/data-model.md): the forest state that shared/rcf's
 * `toBytes` writes (format version 2), worst case, from the detector's RCF parameters alone, and how many table items
 * it takes. Pure. The state grows with the distinct points the trees hold, up to numberOfTrees × subSampleSize once
 * the stream is long (each tree samples on its own), so a model may pass one DynamoDB item months after it was
 * deployed: the store splits it into a head item and part items (shared/store/models.ts), up to MODEL_MAX_ITEMS.
 */

/** State bytes one item (the head or a part) holds: the other attributes (a 512-character key, params, grade) stay under 50 KB. */
export const MODEL_ITEM_STATE_BYTES = 350_000;

/**
 * Items a model may take. Every save writes them all and deletes the previous save's parts (both cost their size in
 * write units: 8 items ≈ 5,500 WRU a save), and a container holds the state while loading: 8 × 350 KB = 2.8 MB,
 * beside a forest of that size's few MB of heap, is what a 1 GB windows function can hold for many keys at once.
 */
export const MODEL_MAX_ITEMS = 8;

/** The largest state a model may take in all its items. */
export const MODEL_STATE_MAX_BYTES = MODEL_ITEM_STATE_BYTES * MODEL_MAX_ITEMS;

/** Items (head plus parts) a state of this many bytes takes. */
export const modelItemsFor = (stateBytes: number): number => Math.max(1, Math.ceil(stateBytes / MODEL_ITEM_STATE_BYTES));

export interface ModelShape {
  numberOfTrees: number;
  subSampleSize: number;
  shingleSize: number;
  /** Columns per record: the detector's features. */
  dimensions: number;
}

/**
 * Updates a forest can have learned: the most its counters can hold, since shared/rcf writes them as varints exact up
 * to 2^53 and refuses beyond. A smaller horizon would not do: a per-record forest learns every record, and a shard of
 * small concatenated JSON objects brings ~50,000 a second (2^40 of them in under a year).
 */
const MAX_UPDATES = 2 ** 53;

/** Bytes of an unsigned varint of x (7 bits a byte). */
const varintBytes = (x: number): number => Math.max(1, Math.ceil(Math.log2(x + 1) / 7));

/**
 * The largest state `RandomCutForest.toBytes()` can write for these parameters: header, counters, generator state,
 * the shingle, then per distinct sampled point an update-number delta and up to shingleSize records of
 * float32 columns, per tree its size, oldest entry and key, and one index varint (≤ 3 bytes) per sampled point;
 * deflate may add zlib's deflateBound overhead to incompressible input.
 */
export function modelStateMaxBytes(p: ModelShape): number {
  const points = p.numberOfTrees * p.subSampleSize;
  // The deltas of the sorted update numbers add up to at most MAX_UPDATES; their varints are longest when equal.
  const deltaBytes = varintBytes(Math.ceil(MAX_UPDATES / points));
  const body =
    7 * 8 + // the parameters, update and record counts (varints)
    16 + // the generator's state
    4 * p.shingleSize * p.dimensions + // the current shingle
    8 + // the number of distinct points
    8 +
    points * (deltaBytes + 4 * p.shingleSize * p.dimensions) + // update-number deltas and record values
    p.numberOfTrees * (2 + 3 + 8) + // each tree's sample size, oldest entry and its key
    points * 3; // the sampled indexes
  return 4 + body + (body >> 12) + (body >> 14) + (body >> 25) + 7;
}

/** Items the model of these parameters may take at most (more than MODEL_MAX_ITEMS: refused). */
export const modelItemsMax = (p: ModelShape): number => modelItemsFor(modelStateMaxBytes(p));

/** Why a detector's model could not be stored, with what to change; undefined when it always fits in MODEL_MAX_ITEMS items. */
export function modelBoundProblem(d: Pick<RcfDetector, 'name' | 'rcf' | 'features'>): string | undefined {
  const shape = { ...d.rcf, dimensions: d.features.length };
  const bytes = modelStateMaxBytes(shape);
  if (bytes <= MODEL_STATE_MAX_BYTES) return undefined;
  const perTree = modelStateMaxBytes({ ...shape, numberOfTrees: 1 });
  const trees = Math.floor(MODEL_STATE_MAX_BYTES / perTree);
  return (
    `detector ${d.name}: its forest (numberOfTrees ${shape.numberOfTrees} × subSampleSize ${shape.subSampleSize}, ` +
    `${shape.dimensions} features, shingleSize ${shape.shingleSize}) may reach ${bytes} bytes, more than the ${MODEL_STATE_MAX_BYTES} ` +
    `a model may take (${MODEL_MAX_ITEMS} DynamoDB items of ${MODEL_ITEM_STATE_BYTES} bytes); lower numberOfTrees to at most ${trees}, ` +
    `or subSampleSize, features or shingleSize`
  );
}
