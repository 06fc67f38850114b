import type { Attribution, Hotspot, ItemRef, PendingItem } from '../alerts/types';
import { alertableFamily, parsePk } from './keys';

/**
 * What a pending item's attributes mean (docs/data-model.md, "Alert fields"): a claimed DynamoDB item in, a typed
 * PendingItem out. Lenient where older writers were (numbers as numeric strings), strict where it matters (no
 * non-finite number passes). The decision about the item is not taken here but in shared/alerts/select.ts.
 * Pure: no AWS imports (the DynamoDB calls are in ./alerts.ts).
 */

/** A finite number from a DynamoDB attribute (numbers, or numeric strings written by older code). */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

const records = (value: unknown): Array<Record<string, unknown>> =>
  Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object') : [];

function numberMap(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [name, v] of Object.entries(value)) {
    const n = toNumber(v);
    if (n !== undefined) out[name] = n;
  }
  return out;
}

const numberList = (value: unknown): number[] | undefined => {
  if (!Array.isArray(value)) return undefined;
  const list = value.map(toNumber);
  return list.every((n): n is number => n !== undefined) ? list : undefined;
};

function attribution(value: unknown): Attribution[] {
  const out: Attribution[] = [];
  for (const r of records(value)) {
    const score = toNumber(r.score);
    const column = str(r.column);
    if (score !== undefined && column) out.push({ column, score, direction: r.direction === 'LOW' ? 'LOW' : 'HIGH' });
  }
  return out.sort((x, y) => y.score - x.score);
}

function hotspots(value: unknown): Hotspot[] {
  const out: Hotspot[] = [];
  for (const r of records(value)) {
    const density = toNumber(r.density);
    if (density === undefined) continue;
    const count = toNumber(r.count);
    const minValues = numberList(r.minValues);
    const maxValues = numberList(r.maxValues);
    const centroid = numberList(r.centroid);
    out.push({
      density,
      ...(count !== undefined ? { count } : {}),
      ...(minValues ? { minValues } : {}),
      ...(maxValues ? { maxValues } : {}),
      ...(centroid ? { centroid } : {}),
    });
  }
  return out;
}

/** A grade is a probability-like number: anything outside [0, 1] is not one. */
const grade = (value: unknown): number | undefined => {
  const n = toNumber(value);
  return n !== undefined && n >= 0 && n <= 1 ? n : undefined;
};

/** The typed view of a claimed item (`ref` is the key it was claimed by). */
export function toPendingItem(ref: ItemRef, item: Readonly<Record<string, unknown>>): PendingItem {
  const parsed = parsePk(ref.pk);
  const type = str(item.type) ?? alertableFamily(ref.pk);
  const detector = str(item.detector) ?? str(item.pendingAlert) ?? parsed?.detector;
  const key = str(item.key) ?? parsed?.key;
  const windowEnd = str(item.windowEnd);
  const threshold = toNumber(item.threshold);
  const score = toNumber(item.score);
  const count = toNumber(item.count);
  const expected = numberMap(item.expected);
  const features = numberMap(item.features);
  const g = grade(item.grade);
  return {
    ref: { pk: ref.pk, sk: ref.sk },
    ...(type ? { type } : {}),
    ...(detector ? { detector } : {}),
    ...(key ? { key } : {}),
    // Per-record items (P#) have the record's `time` instead of a window.
    windowStart: str(item.windowStart) ?? str(item.time) ?? ref.sk,
    ...(windowEnd ? { windowEnd } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    ...(score !== undefined ? { score } : {}),
    ...(count !== undefined ? { count } : {}),
    aggregates: numberMap(item.aggregates),
    attribution: attribution(item.attribution),
    hotspots: hotspots(item.hotspots),
    late: item.late === true,
    silent: item.silent === true,
    ...(Object.keys(expected).length ? { expected } : {}),
    ...(Object.keys(features).length ? { features } : {}),
    ...(g !== undefined ? { grade: g } : {}),
    ...(item.alertOn === 'grade' || item.alertOn === 'score' ? { alertOn: item.alertOn } : {}),
  };
}
