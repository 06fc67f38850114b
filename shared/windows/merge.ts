import { mergeSketches } from './features';
import { finishAggregate, type WindowAggregate } from './plan';

/**
 * Late records meet a stored window: the arithmetic of merging them, kept pure and apart from the table adapter
 * (shared/store/windows.ts only reads, calls this, and writes conditionally). Count adds; each field's partials
 * add their sums and keep the extremes; the aggregates are recomputed from the merged partials, so an `avg` stays
 * the mean of all the window's records. A late merge never rescores: the stored score stays as it was.
 */

export type Partials = WindowAggregate['partials'];

export interface StoredWindowCounts {
  count?: number;
  partials?: Partials;
  sketches?: Record<string, string>;
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
  return { count, partials, aggregates: merged.aggregates, ...(sketches ? { sketches } : {}) };
}
