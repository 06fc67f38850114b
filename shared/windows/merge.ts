import { mergeSketches } from './features';
import { finishAggregate, type WindowAggregate } from './plan';

/**
 * Late records meet a stored window: the arithmetic of merging them, kept pure and apart from the table adapter
 * (shared/store/windows.ts only reads, calls this, and writes conditionally). Count adds; each field's partials
 * add their sums and keep the extremes; the aggregates are recomputed from the merged partials, so an `avg` stays
 * the mean of all the window's records. A late merge never rescores: the stored score stays as it was.
 * A hopping detector's step item (./hopping.ts) holds the step's count and partials but the aggregates of the hopping
 * window it scored (`hop`): late records add to the step, and those aggregates stay as scored.
 */

export type Partials = WindowAggregate['partials'];

export interface StoredWindowCounts {
  count?: number;
  partials?: Partials;
  sketches?: Record<string, string>;
  /** The aggregates written with the item. */
  aggregates?: Record<string, number>;
  /** Present on a hopping detector's step item that was written fresh: its aggregates are the hopping window's. */
  hop?: unknown;
}

export interface MergedWindow {
  count: number;
  partials: Partials;
  aggregates: Record<string, number>;
  sketches?: Record<string, string>;
}

export function mergeLateWindow(stored: StoredWindowCounts, late: WindowAggregate): MergedWindow {
  const partials: Partials = { ...(stored.partials ?? {}) };
  for (const [field, p] of Object.entries(late.partials)) {
    const o = partials[field];
    partials[field] = o ? { sum: o.sum + p.sum, min: Math.min(o.min, p.min), max: Math.max(o.max, p.max) } : p;
  }
  const count = (stored.count ?? 0) + late.count;
  const sketches = mergeSketches(stored.sketches, late.sketches);
  const merged = finishAggregate(late.detector, late.key, late.startMs, count, partials, false, sketches);
  const aggregates = stored.hop !== undefined && stored.aggregates ? stored.aggregates : merged.aggregates;
  return { count, partials, aggregates, ...(sketches ? { sketches } : {}) };
}
