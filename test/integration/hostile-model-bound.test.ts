import { readFileSync } from 'node:fs';
import { detectorsFilePath, parseDetectors, rcfDetectors } from '../../shared/detectors';
import { RandomCutForest } from '../../shared/rcf';
import {
  MODEL_ITEM_STATE_BYTES,
  MODEL_STATE_MAX_BYTES,
  modelBoundProblem,
  modelStateMaxBytes,
  type ModelShape,
} from '../../shared/windows/model-bound';
import { seededRandom } from '../support/faults';

/**
 * The model's byte bound (shared/windows/model-bound.ts): it holds for real forests whose trees have sampled
 * as many distinct points as they can, the shipped detectors are within it, and it says which parameters are not.
 */

const DEFAULTS = { numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 };

describe('model item byte bound', () => {
  it.each<[string, ModelShape]>([
    ['3 columns', { numberOfTrees: 5, subSampleSize: 16, shingleSize: 1, dimensions: 3 }],
    ['a shingle of 4', { numberOfTrees: 4, subSampleSize: 32, shingleSize: 4, dimensions: 2 }],
    ['30 columns', { numberOfTrees: 10, subSampleSize: 10, shingleSize: 1, dimensions: 30 }],
  ])('bounds the state of a forest full of distinct random points (%s)', (_name, shape) => {
    const random = seededRandom(13);
    const forest = new RandomCutForest({ ...shape, timeDecay: 2 ** 31 - 1, seed: 5 });
    const bound = modelStateMaxBytes(shape);
    let largest = 0;
    for (let i = 0; i < 40 * shape.numberOfTrees * shape.subSampleSize; i++) {
      forest.process(Array.from({ length: shape.dimensions }, () => (random() - 0.5) * 1e6));
      if (i % 500 === 499) largest = Math.max(largest, forest.toBytes().length);
    }
    expect(largest).toBeLessThanOrEqual(bound);
    // Not a bound by a mile: incompressible points take a good share of it.
    expect(largest).toBeGreaterThan(bound * 0.4);
  });

  it('lets every shipped detector through', () => {
    const detectors = rcfDetectors(parseDetectors(readFileSync(detectorsFilePath(), 'utf8'), 'detectors.yml'));
    expect(detectors.length).toBeGreaterThan(0);
    for (const d of detectors) expect({ name: d.name, problem: modelBoundProblem(d) }).toEqual({ name: d.name, problem: undefined });
  });

  it('says which parameters may pass what a model may take and what to lower', () => {
    const detector = (features: number, rcf = DEFAULTS) => ({
      name: 'd',
      rcf,
      features: Array.from({ length: features }, (_, i) => `f${i}`),
    });
    // The schema's defaults fit one item with one feature and the store's cap of items with up to 25.
    expect(modelStateMaxBytes({ ...DEFAULTS, dimensions: 1 })).toBeLessThanOrEqual(MODEL_ITEM_STATE_BYTES);
    expect(modelBoundProblem(detector(25))).toBeUndefined();
    expect(modelBoundProblem(detector(26))).toMatch(
      /^detector d: its forest \(numberOfTrees 100 × subSampleSize 256, 26 features, shingleSize 1\) may reach \d+ bytes, more than the 2800000 .* lower numberOfTrees to at most \d+/,
    );
    // The schema's maxima are far past it.
    const max = { numberOfTrees: 1000, subSampleSize: 1000, timeDecay: 1, shingleSize: 30 };
    expect(modelStateMaxBytes({ ...max, dimensions: 30 })).toBeGreaterThan(100 * MODEL_STATE_MAX_BYTES);
    const suggested = Number(/at most (\d+)/.exec(modelBoundProblem(detector(26)) ?? '')![1]);
    expect(modelBoundProblem(detector(26, { ...DEFAULTS, numberOfTrees: suggested }))).toBeUndefined();
  });
});
