import type { RcfDetector } from '../detectors/schema';

/**
 * The byte bound of a key's model item (`M#<detector>#<key>`, docs/data-model.md): the forest state that
 * shared/rcf's `toBytes` writes (format version 2), worst case, from the detector's RCF parameters alone. Pure. The
 * state grows with the distinct points the trees hold, up to numberOfTrees × subSampleSize once the stream is long
 * (each tree samples on its own), so a detector's model may pass DynamoDB's 400 KB months after it was deployed.
 */

/** What the state may take: the item's other attributes (pk with a 512-character key, params, times) stay under 20 KB. */
export const MODEL_STATE_MAX_BYTES = 380_000;

export interface ModelShape {
  numberOfTrees: number;
  subSampleSize: number;
  shingleSize: number;
  /** Columns per record: the detector's features. */
  dimensions: number;
}

/** Updates a forest can have learned: one window a second for 30,000 years (a key learns one update per window). */
const MAX_UPDATES = 2 ** 40;

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

/** Why a detector's model could not be stored in one item, with what to change; undefined when it always fits. */
export function modelBoundProblem(d: Pick<RcfDetector, 'name' | 'rcf' | 'features'>): string | undefined {
  const shape = { ...d.rcf, dimensions: d.features.length };
  const bytes = modelStateMaxBytes(shape);
  if (bytes <= MODEL_STATE_MAX_BYTES) return undefined;
  const perTree = modelStateMaxBytes({ ...shape, numberOfTrees: 1 });
  const trees = Math.floor(MODEL_STATE_MAX_BYTES / perTree);
  return (
    `detector ${d.name}: its forest (numberOfTrees ${shape.numberOfTrees} × subSampleSize ${shape.subSampleSize}, ` +
    `${shape.dimensions} features, shingleSize ${shape.shingleSize}) may reach ${bytes} bytes, more than the ${MODEL_STATE_MAX_BYTES} ` +
    `a model may take in one DynamoDB item; lower numberOfTrees to at most ${trees}, or subSampleSize, features or shingleSize`
  );
}
