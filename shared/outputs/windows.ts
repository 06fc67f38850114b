import type { WindowResult, WindowStore } from '../windows/ports';
import { windowRow } from './format';
import type { Emission, Outputs } from './outbox';

/**
 * Window results to outputs without touching the windows service: a WindowStore that passes every call through and
 * adds each freshly scored window of a detector with outputs to the emission's outbox. A window this emission had
 * already written ('duplicate': a retried invoke) is added again, so a retry re-delivers what a failed delivery
 * lost (at least once). Windows without a score (a feature was not a finite number) and late merges are not
 * results: KDA emitted a row per scored window.
 */
export function withOutputs(store: WindowStore, emission: Emission, has: (detector: string) => boolean): WindowStore {
  const putFresh = async (result: WindowResult, emissionId: string, shardId: string) => {
    const outcome = await store.putFresh(result, emissionId, shardId);
    const w = result.window;
    if (outcome !== 'merged' && result.score !== undefined && has(w.detector.name)) {
      emission.add(
        windowRow(w.detector, {
          key: w.key,
          startMs: w.startMs,
          endMs: w.endMs,
          aggregates: w.aggregates,
          score: result.score,
          ...(w.detector.explain && result.attribution ? { attribution: result.attribution } : {}),
        }),
      );
    }
    return outcome;
  };
  // Everything else passes through, including optional methods (learnedSince) and any the port gains later.
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'putFresh') return putFresh;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * One emission with outputs: `run` gets the store to write windows through, then what it added is delivered.
 * Without outputs `run` gets `store` itself and nothing is delivered.
 */
export async function deliveringOutputs<T>(
  outputs: Outputs | undefined,
  store: WindowStore,
  run: (store: WindowStore) => Promise<T>,
): Promise<{ result: T; delivered: number }> {
  if (!outputs?.any) return { result: await run(store), delivered: 0 };
  const emission = outputs.emission();
  const result = await run(withOutputs(store, emission, (name) => outputs.has(name)));
  return { result, delivered: (await emission.flush()).total };
}
