/**
 * The alerts domain: what a pending item becomes once claimed (an Alert), how alerts of one key travel together
 * (an AlertGroup), and what goes to the topic (an AlertMessage). Pure: no AWS imports.
 */

export type Severity = 'warning' | 'critical';

/** A score at or above this multiple of the threshold is critical (and breaks through a warning's cooldown). */
export const CRITICAL_RATIO = 1.5;

export const severityRank = (s: Severity): number => (s === 'critical' ? 2 : 1);

export interface Attribution {
  column: string;
  score: number;
  direction: 'HIGH' | 'LOW';
}

export interface Hotspot {
  density: number;
  count?: number;
  minValues?: number[];
  maxValues?: number[];
  centroid?: number[];
}

/** The table key of the item an alert came from: the "pointer to the data". */
export interface ItemRef {
  pk: string;
  sk: string;
}

/** Hotspot items have no key; their alerts (and cooldown) are per detector under this key. */
export const HOTSPOTS_KEY = '*';

/**
 * A claimed item as the alert store read it (shared/store/alert-items.ts): the table's attributes as typed values,
 * before the decision whether it is still owed an alert (select.ts). Attributes the item lacks are absent.
 */
export interface PendingItem {
  ref: ItemRef;
  /** The `type` attribute, else the family its pk names (`window`, `hotspots`); any other value is not alerted. */
  type?: string;
  /** The `detector` attribute, else the `pendingAlert` marker, else the detector its pk names. */
  detector?: string;
  /** Window items: the `key` attribute, else the key its pk names. */
  key?: string;
  /** ISO; the sk when the item has no `windowStart`. */
  windowStart: string;
  windowEnd?: string;
  threshold?: number;
  score?: number;
  count?: number;
  aggregates: Record<string, number>;
  /** Strongest first. */
  attribution: Attribution[];
  hotspots: Hotspot[];
  late: boolean;
  silent: boolean;
  /** What the detector expected for each aggregate in this window (e.g. `{ count: 12 }`), when the writer knew it. */
  expected?: Record<string, number>;
  /** The anomaly grade in [0, 1] (issue 16), when the writer computed one. */
  grade?: number;
  /** Per-record items: the record's input columns the forest scored (feature name → value). */
  features?: Record<string, number>;
  /**
   * The rule the writer decided by (shared/anomaly/suppress.ts decideAlert). `grade`: the marker is the grade rule's
   * decision, which a score below the detector's threshold can pass, so the re-check does not compare the two.
   * Absent: `score` (what every item written before the grade meant).
   */
  alertOn?: 'score' | 'grade';
}

export interface Alert {
  ref: ItemRef;
  /** `record`: one input record of a per-record detector (`kind: records`); `windowStart` is then the record's time. */
  kind: 'window' | 'hotspots' | 'record';
  detector: string;
  key: string;
  windowStart: string;
  windowEnd?: string;
  /** Window items: the RCF score. Hotspot items: the highest density among the hotspots at or above the threshold. */
  score: number;
  threshold: number;
  severity: Severity;
  count?: number;
  aggregates: Record<string, number>;
  /** Strongest first. */
  attribution: Attribution[];
  /** Hotspot items: the hotspots at or above the threshold, densest first. */
  hotspots?: Hotspot[];
  late?: boolean;
  silent?: boolean;
  /** What was expected for each aggregate (shown as "count 141, usually about 12"). */
  expected?: Record<string, number>;
  /** The anomaly grade in [0, 1]. */
  grade?: number;
  /** Record alerts: the record's input columns the forest scored, in the detector's feature order. */
  features?: Record<string, number>;
}

/** The anomalies of one (detector, key) sent in one message: one per key per run, whatever the number of windows. */
export interface AlertGroup {
  detector: string;
  key: string;
  /** Oldest window first. */
  alerts: Alert[];
  /** The alert the message leads with: the most severe, then the highest score, then the newest. */
  lead: Alert;
  severity: Severity;
  /** Anomalies of this key that an earlier cooldown held back since that alert (told here so nothing is lost). */
  heldBack?: { count: number; since: string };
}

/** What the publisher sends: SNS sends `message` to email (with `subject`) and `sms` to SMS subscribers. */
export interface AlertMessage {
  /** Email subject: ASCII, one line, at most 100 characters (SNS Subject rules). */
  subject: string;
  /** The full text (email and every protocol without its own text). */
  message: string;
  /** One SMS segment where possible: at most 160 GSM-7 characters less the topic's display-name prefix. */
  sms: string;
  /** SNS message attributes (String), for subscription filter policies: detector, key, severity, kind, count. */
  attributes: Record<string, string>;
}

export interface AlertPublisher {
  publish(message: AlertMessage): Promise<{ messageId: string }>;
}
