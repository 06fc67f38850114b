import { parseDetectors, rcfDetectors } from '../../../shared/detectors';
import { RandomCutForest } from '../../../shared/rcf';
import { liveModel, replayLearned, settleSaved, type LearnedWindow, type LiveModel, type StoredModel } from '../../../shared/windows';

const [detector] = rcfDetectors(
  parseDetectors(
    `
detectors:
  - name: wind
    format: json
    key: location
    aggregates: [avg(speed), max(speed)]
    rcf: { numberOfTrees: 50, subSampleSize: 64, timeDecay: 1000, shingleSize: 1 }
`,
    'models test',
  ),
);

/** Features of window i: deterministic, with an outlier now and then. */
const features = (i: number): number[] => [10 + ((i * 37) % 11) / 3, 12 + ((i * 53) % 17) / 2 + (i % 41 === 0 ? 30 : 0)];
const T0 = Date.parse('2026-03-01T00:00:00Z');
const at = (i: number) => T0 + i * 10_000;

const save = (model: LiveModel): StoredModel => ({
  detector: 'wind',
  key: 'farm-north',
  state: model.forest.toBytes(),
  version: (model.version ?? 0) + 1,
  lastWindowMs: model.lastWindowMs!,
  params: model.params,
});

describe('a forest rebuilt from its last save plus the windows written since', () => {
  it.each([1, 29, 30, 150])(
    'is the forest a warm container kept cached since that save, %i windows before: same bytes, same scores',
    (since) => {
      const total = 200;
      // The warm container: learns every window live, saves once, takes the saved bytes back, learns on.
      const warm = liveModel(detector!, 'farm-north', undefined).model;
      let saved: StoredModel | undefined;
      const learned: LearnedWindow[] = [];
      for (let i = 0; i < total; i++) {
        warm.forest.process(features(i), { explain: true });
        warm.lastWindowMs = at(i);
        warm.sinceSave++;
        if (i === total - since - 1) settleSaved(warm, (saved = save(warm)));
        else if (i > total - since - 1) learned.push({ startMs: at(i), features: features(i) });
      }
      // A cold container: the save, then the window items since.
      const cold = liveModel(detector!, 'farm-north', saved).model;
      replayLearned(cold, learned, false);
      expect({ lastWindowMs: cold.lastWindowMs, sinceSave: cold.sinceSave, version: cold.version }).toEqual({
        lastWindowMs: warm.lastWindowMs,
        sinceSave: since,
        version: warm.version,
      });
      expect(Buffer.from(cold.forest.toBytes()).equals(Buffer.from(warm.forest.toBytes()))).toBe(true);
      for (let i = total; i < total + 50; i++) {
        expect(cold.forest.process(features(i), { explain: true })).toEqual(warm.forest.process(features(i), { explain: true }));
      }
    },
  );

  it('skips windows that were written but not learned, and after a parameter change learns none of the old windows', () => {
    const model = liveModel(detector!, 'k', undefined).model;
    replayLearned(model, [{ startMs: at(0), features: features(0) }, { startMs: at(1) }], false);
    expect(model.forest.records).toBe(1);
    expect(model.lastWindowMs).toBe(at(1));

    const old: StoredModel = {
      detector: 'wind',
      key: 'k',
      state: new RandomCutForest({ numberOfTrees: 5, subSampleSize: 16, timeDecay: 100, shingleSize: 1, dimensions: 2, seed: 3 }).toBytes(),
      version: 2,
      lastWindowMs: at(0),
      params: { numberOfTrees: 5, subSampleSize: 16, timeDecay: 100, shingleSize: 1, dimensions: 2, features: ['avg_speed', 'max_speed'] },
    };
    const { model: reset, reset: wasReset } = liveModel(detector!, 'k', old);
    expect(wasReset).toBe(true);
    replayLearned(reset, [{ startMs: at(1), features: features(1) }], true);
    expect(reset.forest.records).toBe(0);
    expect(reset.lastWindowMs).toBe(at(1));
  });
});
