import { evaluateItem, type EvaluateOptions, type Evaluation } from '../../../shared/alerts';
import { toPendingItem } from '../../../shared/store/alert-items';

/** Decides on an item given as the table holds it (read through the store's decoder, as a run does). */
export const evaluateRaw = (item: Record<string, unknown>, options: EvaluateOptions): Evaluation =>
  evaluateItem(toPendingItem({ pk: String(item.pk), sk: String(item.sk) }, item), options);
