import { evaluateItem, type Alert, type EvaluateOptions, type Evaluation } from '../../../shared/alerts';
import { toPendingItem } from '../../../shared/store/alert-items';

/** Test factories for the alerts domain: items as the table holds them, and the alerts they become. */

/** Decides on an item given as the table holds it (read through the store's decoder, as a run does). */
export const evaluateRaw = (item: Record<string, unknown>, options: EvaluateOptions): Evaluation =>
  evaluateItem(toPendingItem({ pk: String(item.pk), sk: String(item.sk) }, item), options);

/** A pending window item of toll station 183A (score 4 against 2, count 141, driven by the count), with overrides. */
export const windowRecord = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  pk: 'W#toll#183A',
  sk: '2026-01-01T00:00:00.000Z',
  type: 'window',
  detector: 'toll',
  key: '183A',
  windowStart: '2026-01-01T00:00:00.000Z',
  windowEnd: '2026-01-01T00:00:10.000Z',
  count: 141,
  aggregates: { count: 141 },
  attribution: [{ column: 'count', score: 4, direction: 'HIGH' }],
  score: 4,
  threshold: 2,
  pendingAlert: 'toll',
  ...over,
});

/** The alert an item becomes; throws with the skip reason when it would not be sent. */
export function alertOf(item: Record<string, unknown>, defaultThreshold = 2): Alert {
  const verdict = evaluateRaw(item, { defaultThreshold });
  if (!('send' in verdict)) throw new Error(`expected an alert, got: ${verdict.skip}`);
  return verdict.send;
}
