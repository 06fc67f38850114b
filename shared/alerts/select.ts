import { alertableFamily, parsePk } from '../store/keys';
import {
  CRITICAL_RATIO,
  HOTSPOTS_KEY,
  severityRank,
  type Alert,
  type AlertGroup,
  type Attribution,
  type Hotspot,
  type Severity,
} from './types';

/**
 * Which claimed items are owed an alert. The marker only says an item was over its threshold when written;
 * the decision is taken again here on the claimed item, numbers compared as numbers (the seed compared strings,
 * so "10" < "3"), and anything that no longer qualifies is cleared without a message.
 */

export type Evaluation = { send: Alert } | { skip: string };

export interface EvaluateOptions {
  /** Thresholds by detector name (detectors.yml), for items written without one. */
  thresholds?: ReadonlyMap<string, number>;
  /** ANOMALY_THRESHOLD: the last resort when neither the item nor its detector has one. */
  defaultThreshold: number;
}

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

export const severityOf = (score: number, threshold: number): Severity =>
  threshold > 0 && score >= threshold * CRITICAL_RATIO ? 'critical' : 'warning';


function numbersOf(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const n = toNumber(v);
      if (n !== undefined) out[k] = n;
    }
  }
  return out;
}

function attributionOf(value: unknown): Attribution[] {
  if (!Array.isArray(value)) return [];
  const out: Attribution[] = [];
  for (const a of value) {
    if (!a || typeof a !== 'object') continue;
    const r = a as Record<string, unknown>;
    const score = toNumber(r.score);
    const column = str(r.column);
    if (score === undefined || !column) continue;
    out.push({ column, score, direction: r.direction === 'LOW' ? 'LOW' : 'HIGH' });
  }
  return out.sort((x, y) => y.score - x.score);
}

const numberList = (value: unknown): number[] | undefined => {
  if (!Array.isArray(value)) return undefined;
  const list = value.map(toNumber);
  return list.every((n): n is number => n !== undefined) ? list : undefined;
};

function hotspotsOf(value: unknown): Hotspot[] {
  if (!Array.isArray(value)) return [];
  const out: Hotspot[] = [];
  for (const h of value) {
    if (!h || typeof h !== 'object') continue;
    const r = h as Record<string, unknown>;
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

/** Decides whether a claimed item (as DynamoDB returned it) is owed an alert, and builds the alert. */
export function evaluateItem(item: Record<string, unknown>, options: EvaluateOptions): Evaluation {
  const pk = str(item.pk);
  const sk = str(item.sk);
  if (!pk || !sk) return { skip: 'the item has no pk/sk' };
  const parsed = parsePk(pk);
  const detector = str(item.detector) ?? str(item.pendingAlert) ?? parsed?.detector;
  if (!detector) return { skip: 'the item names no detector' };
  const threshold = toNumber(item.threshold) ?? options.thresholds?.get(detector) ?? options.defaultThreshold;
  const windowStart = str(item.windowStart) ?? sk;
  const windowEnd = str(item.windowEnd);
  const type = str(item.type) ?? alertableFamily(pk);
  const common = { ref: { pk, sk }, detector, threshold, windowStart, ...(windowEnd ? { windowEnd } : {}) };

  if (type === 'window') {
    const score = toNumber(item.score);
    if (score === undefined) return { skip: 'the window is not scored' };
    if (!(score >= threshold)) return { skip: `score ${score} is below the threshold ${threshold}` };
    const count = toNumber(item.count);
    return {
      send: {
        ...common,
        kind: 'window',
        key: str(item.key) ?? parsed?.key ?? '',
        score,
        severity: severityOf(score, threshold),
        ...(count !== undefined ? { count } : {}),
        aggregates: numbersOf(item.aggregates),
        attribution: attributionOf(item.attribution),
        ...(item.late === true ? { late: true } : {}),
        ...(item.silent === true ? { silent: true } : {}),
      },
    };
  }
  if (type === 'hotspots') {
    const hot = hotspotsOf(item.hotspots)
      .filter((h) => h.density >= threshold)
      .sort((a, b) => b.density - a.density);
    if (!hot.length) return { skip: `no hotspot reaches the threshold ${threshold}` };
    const top = hot[0]!;
    return {
      send: {
        ...common,
        kind: 'hotspots',
        key: str(item.key) ?? HOTSPOTS_KEY,
        score: top.density,
        severity: severityOf(top.density, threshold),
        ...(top.count !== undefined ? { count: top.count } : {}),
        aggregates: {},
        attribution: [],
        hotspots: hot,
      },
    };
  }
  return { skip: `items of type ${JSON.stringify(item.type ?? null)} are not alerted` };
}

const leadOrder = (a: Alert, b: Alert): number =>
  severityRank(b.severity) - severityRank(a.severity) || b.score - a.score || b.windowStart.localeCompare(a.windowStart);

/** One group per (detector, key): a key with several anomalous windows pending gets one message, not several. */
export function groupAlerts(alerts: readonly Alert[]): AlertGroup[] {
  const byKey = new Map<string, Alert[]>();
  for (const a of alerts) {
    const id = `${a.detector}\u0000${a.key}`;
    let list = byKey.get(id);
    if (!list) byKey.set(id, (list = []));
    list.push(a);
  }
  const groups: AlertGroup[] = [];
  for (const list of byKey.values()) {
    list.sort((a, b) => a.windowStart.localeCompare(b.windowStart) || a.ref.pk.localeCompare(b.ref.pk));
    const lead = [...list].sort(leadOrder)[0]!;
    groups.push({ detector: lead.detector, key: lead.key, alerts: list, lead, severity: lead.severity });
  }
  return sortGroups(groups);
}

/** Most severe first, then highest score, then by detector and key (a stable order for messages and digests). */
export const sortGroups = (groups: readonly AlertGroup[]): AlertGroup[] =>
  [...groups].sort((a, b) => leadOrder(a.lead, b.lead) || a.detector.localeCompare(b.detector) || a.key.localeCompare(b.key));
