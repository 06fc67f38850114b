import { safeText } from './text';
import { CRITICAL_RATIO, HOTSPOTS_KEY, severityRank, type Alert, type AlertGroup, type PendingItem, type Severity } from './types';

/**
 * Which claimed items are owed an alert. The marker only says an item was over its threshold when written;
 * the decision is taken again here on the claimed item, numbers compared as numbers (the seed compared strings,
 * so "10" < "3"; the store hands over typed items), and anything that no longer qualifies is cleared without a
 * message. Also: grouping a run's alerts per key, and their order.
 */

export type Evaluation = { send: Alert } | { skip: string };

export interface EvaluateOptions {
  /** Thresholds by detector name (detectors.yml), for items written without one. */
  thresholds?: ReadonlyMap<string, number>;
  /** ANOMALY_THRESHOLD: the last resort when neither the item nor its detector has one. */
  defaultThreshold: number;
}

export const severityOf = (score: number, threshold: number): Severity =>
  threshold > 0 && score >= threshold * CRITICAL_RATIO ? 'critical' : 'warning';

/** Decides whether a claimed item (as the store typed it) is owed an alert, and builds the alert. */
export function evaluateItem(item: PendingItem, options: EvaluateOptions): Evaluation {
  const { detector } = item;
  if (!detector) return { skip: 'the item names no detector' };
  const threshold = item.threshold ?? options.thresholds?.get(detector) ?? options.defaultThreshold;
  const common = {
    ref: item.ref,
    detector,
    threshold,
    windowStart: item.windowStart,
    ...(item.windowEnd ? { windowEnd: item.windowEnd } : {}),
    ...(item.expected ? { expected: item.expected } : {}),
    ...(item.grade !== undefined ? { grade: item.grade } : {}),
  };

  if (item.type === 'window') {
    const { score } = item;
    if (score === undefined) return { skip: 'the window is not scored' };
    // A grade decision stands on its own: the grade rule can fire below the detector's score threshold.
    if (item.alertOn !== 'grade' && !(score >= threshold)) return { skip: `score ${score} is below the threshold ${threshold}` };
    return {
      send: {
        ...common,
        kind: 'window',
        key: item.key ?? '',
        score,
        severity: severityOf(score, threshold),
        ...(item.count !== undefined ? { count: item.count } : {}),
        aggregates: item.aggregates,
        attribution: item.attribution,
        ...(item.late ? { late: true } : {}),
        ...(item.silent ? { silent: true } : {}),
      },
    };
  }
  if (item.type === 'record') {
    // One input record of a per-record detector: the window's fields hold the record's time, features its columns.
    const { score } = item;
    if (score === undefined) return { skip: 'the record has no score' };
    if (!(score >= threshold)) return { skip: `score ${score} is below the threshold ${threshold}` };
    return {
      send: {
        ...common,
        kind: 'record',
        key: item.key ?? '',
        score,
        severity: severityOf(score, threshold),
        aggregates: {},
        attribution: item.attribution,
        features: item.features ?? {},
      },
    };
  }
  if (item.type === 'hotspots') {
    const hot = item.hotspots.filter((h) => h.density >= threshold).sort((a, b) => b.density - a.density);
    if (!hot.length) return { skip: `no hotspot reaches the threshold ${threshold}` };
    const top = hot[0]!;
    return {
      send: {
        ...common,
        kind: 'hotspots',
        key: item.key ?? HOTSPOTS_KEY,
        score: top.density,
        severity: severityOf(top.density, threshold),
        ...(top.count !== undefined ? { count: top.count } : {}),
        aggregates: {},
        attribution: [],
        hotspots: hot,
      },
    };
  }
  // The reason is written back on the item: whatever the type attribute holds, the reason stays short.
  return { skip: `items of type ${JSON.stringify(item.type === undefined ? null : safeText(item.type, 40))} are not alerted` };
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
