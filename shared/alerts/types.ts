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

export interface Alert {
  ref: ItemRef;
  kind: 'window' | 'hotspots';
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
