import type { AggregateSpec, RcfDetector } from '../detectors/schema';
import { estimateSerialized, mergeSerialized } from '../sketches/hll';

/**
 * A window's aggregates from its partials — the one place that knows what each aggregate function means:
 * count, sum, avg, min, max; conditional count/sum (`where`), whose partials live in a slot of their own named
 * `|<aggregate name>` (a record field name never holds `|`, so the slot cannot meet a real field); count_distinct
 * from its sketch (shared/sketches/hll.ts); and ratios of two other aggregates, computed last.
 *
 * A ratio whose denominator is 0 is 0 (no impressions, no click-through), so no NaN or ±Infinity reaches the forest
 * (it throws on non-finite input); a ratio of an aggregate that is undefined (the avg of an empty window) is undefined
 * too, and the window is written unscored like any window whose feature is undefined.
 */

export type PartialsMap = Record<string, { sum: number; min: number; max: number }>;

/** The partials slot of a conditional aggregate. */
export const whereSlot = (aggregateName: string): string => `|${aggregateName}`;

/** The detector's count_distinct aggregates, in order: the positions of its sketches in the state. */
export const distinctAggregates = (d: RcfDetector): AggregateSpec[] => d.aggregates.filter((a) => a.fn === 'count_distinct');

/** Does the detector need the per-object work of conditional or distinct aggregates (the plain path skips it)? */
export const needsObjectFields = (d: RcfDetector): boolean => d.aggregates.some((a) => a.where !== undefined || a.fn === 'count_distinct');

/** Names a state entry's sketch list by its aggregates (absent when the detector has no count_distinct). */
export function sketchRecord(d: RcfDetector, list: readonly string[] | undefined): Record<string, string> | undefined {
  const distinct = distinctAggregates(d);
  if (!distinct.length || !list) return undefined;
  const out: Record<string, string> = {};
  distinct.forEach((a, i) => {
    const s = list[i];
    if (typeof s === 'string') out[a.name] = s;
  });
  return out;
}

/** Late records meet a stored window: sketches merge by union (register-wise maximum). */
export function mergeSketches(
  stored: Record<string, string> | undefined,
  late: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (!stored) return late;
  if (!late) return stored;
  const out: Record<string, string> = { ...stored };
  for (const [name, s] of Object.entries(late)) out[name] = mergeSerialized(out[name], s)!;
  return out;
}

/** Aggregate name → value; avg/min/max (and ratios of them) are absent for an empty window. */
export function computeAggregates(
  d: RcfDetector,
  count: number,
  partials: PartialsMap,
  sketches?: Record<string, string>,
): Record<string, number> {
  const aggregates: Record<string, number> = {};
  let ratios = false;
  for (const a of d.aggregates) {
    switch (a.fn) {
      case 'count':
        aggregates[a.name] = a.where ? (partials[whereSlot(a.name)]?.sum ?? 0) : count;
        break;
      case 'sum': {
        const part = partials[a.where ? whereSlot(a.name) : a.field!];
        aggregates[a.name] = part ? part.sum : 0;
        break;
      }
      case 'count_distinct':
        aggregates[a.name] = estimateSerialized(sketches?.[a.name]);
        break;
      case 'ratio':
        ratios = true;
        break;
      default: {
        const part = partials[a.field!];
        if (part && count > 0) aggregates[a.name] = a.fn === 'avg' ? part.sum / count : a.fn === 'min' ? part.min : part.max;
      }
    }
  }
  if (ratios)
    for (const a of d.aggregates) {
      if (a.fn !== 'ratio') continue;
      const r = ratio(aggregates[a.ratio![0]], aggregates[a.ratio![1]]);
      if (r !== undefined) aggregates[a.name] = r;
    }
  return aggregates;
}

/** a / b; 0 when b is 0; undefined when either is undefined or the quotient is not a finite number. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  if (b === 0) return 0;
  const q = a / b;
  return Number.isFinite(q) ? q : undefined;
}
