import { DEFAULT_HOTSPOTS_MESSAGE, DEFAULT_RCF_MESSAGE, DEFAULT_RECORDS_MESSAGE } from '../detectors/schema';
import {
  formatNumber,
  formatScore,
  formatTime,
  formatTimeOfDay,
  renderTemplate,
  safeText,
  toGsm7,
  toSubject,
  truncateSms,
  fitsSms,
} from './text';
import type { Alert, AlertGroup, AlertMessage, Hotspot, Severity } from './types';

/**
 * The words of an alert. The seed's Lambda said "Anomalous data detected at station X. Total vehicles detected
 * was N. The anomaly score was S, which is greater than your configured threshold of T": what, where, how much,
 * how unusual. Each detector's `message` template (detectors.yml) keeps that wording per use case; the email adds
 * the window, every aggregate, the attribution and where the data is, and the SMS stays within one segment.
 *
 * Every text that came from a record or the table (key, detector attribute, aggregate and column names, pk/sk,
 * times) goes through safeText before any channel sees it (displayGroup, at the entry of formatGroup and
 * formatDigest), so subject, SMS, email and message attributes are all built from the same safe values.
 */

/** What the formatter needs from detectors.yml, by detector name. */
export interface DetectorText {
  kind: 'rcf' | 'hotspots' | 'records';
  message?: string;
  /** Hotspots detectors: the point's fields, naming the centroid's and the box's coordinates. */
  columns?: string[];
}

export interface FormatOptions {
  detectors?: ReadonlyMap<string, DetectorText>;
  /** The table the items are in: the pointer to the data. */
  tableName?: string;
  /** Characters SMS spends before the text (SNS prefixes a topic's display name, e.g. "Sentinel> "). */
  smsReserved?: number;
  /** Digest-only: why the digest was sent, e.g. "more than 5 alerts were due at once". */
  digestReason?: string;
}

/** "Sentinel> ": the alerts topic's DisplayName (resources/alerts.yml) with SNS's separator. */
export const DEFAULT_SMS_RESERVED = 10;
/** Keys detailed in a digest's email; the rest are counted (SNS messages are limited to 256 KB). */
export const DIGEST_DETAILED_KEYS = 100;
/** Further windows of one key listed in its email (a backlog after an outage can hold hundreds). */
export const OTHER_WINDOWS_LISTED = 50;
/** Further windows of one key listed in a digest's email. */
export const DIGEST_OTHER_WINDOWS_LISTED = 10;
/**
 * UTF-8 bytes a digest's body may take once JSON-encoded, as the publisher sends it (shared/aws/sns-publisher.ts:
 * the body once, as `default`, beside the SMS, subject and attributes), well within SNS's 256 KB.
 */
export const DIGEST_BODY_BYTES = 200 * 1024;

/** What lines add to the JSON-encoded body: their escaped text, plus 2 for the `\n` after each (the quotes' 2). */
const jsonBytes = (lines: readonly string[]): number => lines.reduce((n, l) => n + Buffer.byteLength(JSON.stringify(l)), 0);

const directionWords = (d: 'HIGH' | 'LOW'): string => (d === 'HIGH' ? 'higher than usual' : 'lower than usual');

/** The values a detector's message template may use (docs/detectors.md). */
export function templateVars(alert: Alert, text?: DetectorText): Record<string, string> {
  const vars: Record<string, string> = {
    detector: alert.detector,
    key: alert.key,
    score: formatScore(alert.score),
    threshold: formatNumber(alert.threshold),
    windowStart: formatTime(alert.windowStart),
    windowEnd: alert.windowEnd ? formatTime(alert.windowEnd) : '',
  };
  if (alert.count !== undefined) vars.count = formatNumber(alert.count);
  for (const [name, value] of Object.entries(alert.aggregates)) vars[name] ??= formatNumber(value);
  if (alert.kind === 'record') {
    vars.time = formatTime(alert.windowStart);
    for (const [name, value] of Object.entries(alert.features ?? {})) vars[name] ??= formatNumber(value);
  }
  const top = alert.attribution[0];
  // A record without attribution (no `explain`) still names what it is unusual in: its input columns.
  const inputs = Object.keys(alert.features ?? {});
  vars.feature = top ? top.column : alert.kind === 'record' && inputs.length ? inputs.join(', ') : 'its aggregates';
  vars.direction = top ? directionWords(top.direction) : 'unusual';
  if (alert.kind === 'hotspots' && alert.hotspots?.length) {
    const h = alert.hotspots[0]!;
    vars.density = formatNumber(h.density);
    vars.points = h.count !== undefined ? formatNumber(h.count) : '?';
    vars.hotspots = String(alert.hotspots.length);
    if (h.centroid) {
      vars.centroid = `(${h.centroid.map(formatNumber).join(', ')})`;
      text?.columns?.forEach((column, i) => {
        if (h.centroid![i] !== undefined) vars[column] ??= formatNumber(h.centroid![i]!);
      });
    }
  }
  return vars;
}

/** The detector's sentence for an alert (its template, or the default of its kind). */
export function headline(alert: Alert, text?: DetectorText): string {
  const template =
    text?.message ??
    (alert.kind === 'hotspots' ? DEFAULT_HOTSPOTS_MESSAGE : alert.kind === 'record' ? DEFAULT_RECORDS_MESSAGE : DEFAULT_RCF_MESSAGE);
  return renderTemplate(template, templateVars(alert, text));
}

const ratio = (a: Alert): string => (a.threshold > 0 ? `${(a.score / a.threshold).toFixed(2)}x` : 'n/a');

/** " (usually about 12)" when the item says what was expected of the aggregate. */
const usually = (alert: Alert, name: string): string => {
  const expected = alert.expected?.[name];
  return expected === undefined ? '' : ` (usually about ${formatNumber(expected)})`;
};

function observed(alert: Alert): string {
  if (alert.kind === 'record') return inputText(alert);
  const parts: string[] = [];
  if (alert.count !== undefined && alert.aggregates.count === undefined)
    parts.push(`count ${formatNumber(alert.count)}${usually(alert, 'count')}`);
  for (const [name, value] of Object.entries(alert.aggregates)) parts.push(`${name} ${formatNumber(value)}${usually(alert, name)}`);
  return parts.join(', ') || '(no aggregates recorded)';
}

/** A record alert's input columns (the features the forest scored), as `vehicle_count 400, speed 12.5`. */
function inputText(alert: Alert): string {
  const parts = Object.entries(alert.features ?? {}).map(([name, value]) => `${name} ${formatNumber(value)}`);
  return parts.join(', ') || '(no input columns recorded)';
}

/** What one alert is about, counted: windows, or records for a per-record detector. */
const units = (a: Alert, n: number): string => (a.kind === 'record' ? (n > 1 ? 'records' : 'record') : n > 1 ? 'windows' : 'window');

/** The anomaly grade as people read it: a share of 1, two decimals. */
const gradeText = (grade: number): string => grade.toFixed(2);

/** For the SMS: what the strongest feature (else the count) usually is, when the item says. */
function usualNote(alert: Alert): string {
  const feature = alert.attribution[0]?.column ?? 'count';
  const expected = alert.expected?.[feature];
  return expected === undefined ? '' : `; ${feature} usually about ${formatNumber(expected)}`;
}

function drivenBy(alert: Alert): string | undefined {
  if (!alert.attribution.length) return undefined;
  const total = alert.attribution.reduce((s, a) => s + Math.max(0, a.score), 0);
  return alert.attribution
    .map(
      (a) =>
        `${a.column}, ${directionWords(a.direction)}${total > 0 ? ` (${Math.round((100 * Math.max(0, a.score)) / total)}% of the score)` : ''}`,
    )
    .join('; ');
}

function box(h: Hotspot, columns: string[] | undefined): string | undefined {
  if (!h.minValues || !h.maxValues) return undefined;
  return h.minValues
    .map((lo, i) => `${columns?.[i] ?? `x${i + 1}`} ${formatNumber(lo)}..${formatNumber(h.maxValues![i] ?? lo)}`)
    .join(', ');
}

function hotspotLine(h: Hotspot, columns: string[] | undefined): string {
  const parts = [`density ${formatNumber(h.density)}`];
  if (h.count !== undefined) parts.push(`${formatNumber(h.count)} points`);
  if (h.centroid) parts.push(`centred at ${h.centroid.map((v, i) => `${columns?.[i] ?? `x${i + 1}`} ${formatNumber(v)}`).join(', ')}`);
  const b = box(h, columns);
  if (b) parts.push(`within ${b}`);
  return parts.join(', ');
}

const dataPointer = (alert: Alert, tableName: string | undefined): string =>
  `${tableName ? `table ${tableName}, ` : ''}pk ${alert.ref.pk}, sk ${alert.ref.sk}`;

const label = (s: Severity): string => (s === 'critical' ? 'critical' : 'warning');

/** The email's detail block for one alert. */
function details(alert: Alert, options: FormatOptions): string[] {
  const text = options.detectors?.get(alert.detector);
  const window = alert.windowEnd
    ? `${formatTime(alert.windowStart)} to ${formatTimeOfDay(alert.windowEnd, alert.windowStart)}`
    : `from ${formatTime(alert.windowStart)}`;
  const lines = [`Detector:   ${alert.detector}`];
  if (alert.kind !== 'hotspots') lines.push(`Key:        ${alert.key}`);
  if (alert.kind === 'record') {
    lines.push(`Record:     at ${formatTime(alert.windowStart)} (one input record, scored as it arrived)`);
    lines.push(`Input:      ${inputText(alert)}`);
    lines.push(
      `Score:      ${formatScore(alert.score)} against the threshold ${formatNumber(alert.threshold)} (${ratio(alert)}), ${label(alert.severity)}`,
    );
    const driven = drivenBy(alert);
    if (driven) lines.push(`Driven by:  ${driven}`);
  } else lines.push(`Window:     ${window}`);
  if (alert.kind === 'window') {
    lines.push(`Observed:   ${observed(alert)}`);
    lines.push(
      `Score:      ${formatScore(alert.score)} against the threshold ${formatNumber(alert.threshold)} (${ratio(alert)}), ${label(alert.severity)}`,
    );
    if (alert.grade !== undefined)
      lines.push(`Grade:      ${gradeText(alert.grade)} of 1 (how unusual this score is against the key's own recent scores)`);
    const driven = drivenBy(alert);
    if (driven) lines.push(`Driven by:  ${driven}`);
  } else if (alert.kind === 'hotspots') {
    const hot = alert.hotspots ?? [];
    lines.push(
      `Hotspots:   ${hot.length} at or above the density threshold ${formatNumber(alert.threshold)} (densest ${ratio(alert)}), ${label(alert.severity)}`,
    );
    for (const h of hot.slice(0, 20)) lines.push(`            ${hotspotLine(h, text?.columns)}`);
    if (hot.length > 20) lines.push(`            and ${hot.length - 20} more`);
  }
  if (alert.silent) lines.push('Note:       the key sent no records in this window (it went quiet).');
  if (alert.late)
    lines.push(
      'Note:       records arrived after the window was scored and were merged into it (late); the score is from the first emission.',
    );
  lines.push(`Data:       ${dataPointer(alert, options.tableName)}`);
  return lines;
}

function otherWindows(group: AlertGroup, options: FormatOptions): string[] {
  const others = group.alerts.filter((a) => a !== group.lead);
  if (!others.length) return [];
  return [
    '',
    `Also anomalous for this key (${others.length} more ${units(group.lead, others.length)}, covered by this alert):`,
    ...others
      .slice(0, OTHER_WINDOWS_LISTED)
      .map(
        (a) =>
          `  ${formatTime(a.windowStart)}  score ${formatScore(a.score)}${a.kind !== 'hotspots' ? `  ${observed(a)}` : `  density ${formatNumber(a.score)}`}  (${dataPointer(a, undefined)})`,
      ),
    ...(others.length > OTHER_WINDOWS_LISTED
      ? [`  and ${others.length - OTHER_WINDOWS_LISTED} more (each carries this message's id in messageId)`]
      : []),
    ...(options.tableName ? [`  (table ${options.tableName})`] : []),
  ];
}

const heldBackText = (group: AlertGroup): string | undefined =>
  group.heldBack
    ? `${group.heldBack.count} more anomal${group.heldBack.count > 1 ? 'ies' : 'y'} of this key since ${formatTime(group.heldBack.since)} ${group.heldBack.count > 1 ? 'were' : 'was'} held back by the alert cooldown (marked suppressedBy in the table).`
    : undefined;

const where = (g: AlertGroup): string => (g.lead.kind === 'hotspots' && g.key === '*' ? g.detector : `${g.detector} at ${g.key}`);

function groupSubject(group: AlertGroup): string {
  const a = group.lead;
  const n = group.alerts.length;
  const what =
    a.kind === 'hotspots'
      ? n > 1
        ? `${n} hotspot windows`
        : 'Hotspot'
      : a.kind === 'record'
        ? n > 1
          ? `${n} anomalous records`
          : 'Anomalous record'
        : n > 1
          ? `${n} anomalies`
          : 'Anomaly';
  const measure = a.kind === 'hotspots' ? `density ${formatNumber(a.score)}` : `${n > 1 ? 'top score' : 'score'} ${formatScore(a.score)}`;
  return toSubject(
    `${group.severity === 'critical' ? 'CRITICAL: ' : ''}${what} in ${where(group)}: ${measure} >= ${formatNumber(a.threshold)}, ${formatTime(a.windowStart)}`,
  );
}

function compactSms(group: AlertGroup): string {
  const a = group.lead;
  const top = a.attribution[0];
  const parts = [
    `${group.severity === 'critical' ? 'CRITICAL ' : ''}${a.kind === 'hotspots' ? 'Hotspot' : a.kind === 'record' ? 'Record' : 'Anomaly'} ${a.detector}${a.kind !== 'hotspots' ? ` ${a.key}` : ''} ${formatTime(a.windowStart)}:`,
    a.kind === 'hotspots'
      ? `density ${formatNumber(a.score)}>=${formatNumber(a.threshold)}`
      : `score ${formatScore(a.score)}>=${formatNumber(a.threshold)}`,
  ];
  if (a.kind !== 'hotspots') parts.push(observed(a));
  if (a.grade !== undefined) parts.push(`grade ${gradeText(a.grade)}`);
  if (top) parts.push(`${top.column} ${top.direction}`);
  return parts.join(' ');
}

function groupSms(group: AlertGroup, options: FormatOptions): string {
  const reserved = options.smsReserved ?? DEFAULT_SMS_RESERVED;
  const more = group.alerts.length > 1 ? ` (+${group.alerts.length - 1} more ${units(group.lead, group.alerts.length - 1)})` : '';
  const text = headline(group.lead, options.detectors?.get(group.detector));
  const note = group.lead.kind === 'window' ? usualNote(group.lead) : '';
  for (const preferred of note ? [toGsm7(text + note + more), toGsm7(text + more)] : [toGsm7(text + more)]) {
    if (fitsSms(preferred, reserved)) return preferred;
  }
  return truncateSms(toGsm7(compactSms(group) + more), reserved);
}

const safeKeys = (values: Record<string, number> | undefined): Record<string, number> | undefined =>
  values && Object.fromEntries(Object.entries(values).map(([name, v]) => [safeText(name), v]));

/** An alert with every text from the table made safe to show (numbers need nothing). */
export function displayAlert(a: Alert): Alert {
  const expected = safeKeys(a.expected);
  const features = safeKeys(a.features);
  return {
    ...a,
    ref: { pk: safeText(a.ref.pk), sk: safeText(a.ref.sk) },
    detector: safeText(a.detector),
    key: safeText(a.key),
    windowStart: safeText(a.windowStart),
    ...(a.windowEnd !== undefined ? { windowEnd: safeText(a.windowEnd) } : {}),
    aggregates: safeKeys(a.aggregates)!,
    attribution: a.attribution.map((x) => ({ ...x, column: safeText(x.column) })),
    ...(expected ? { expected } : {}),
    ...(features ? { features } : {}),
  };
}

/** A group as displayAlert shows its alerts (the lead stays one of them, by identity). */
export function displayGroup(group: AlertGroup): AlertGroup {
  const alerts = group.alerts.map(displayAlert);
  const lead = alerts[group.alerts.indexOf(group.lead)] ?? displayAlert(group.lead);
  return {
    ...group,
    detector: safeText(group.detector),
    key: safeText(group.key),
    alerts,
    lead,
    ...(group.heldBack ? { heldBack: { ...group.heldBack, since: safeText(group.heldBack.since) } } : {}),
  };
}

/** One message about one key (one or more of its windows). */
export function formatGroup(raw: AlertGroup, options: FormatOptions = {}): AlertMessage {
  const group = displayGroup(raw);
  const lead = group.lead;
  const body = [headline(lead, options.detectors?.get(group.detector)), '', ...details(lead, options), ...otherWindows(group, options)];
  const held = heldBackText(group);
  if (held) body.push('', held);
  return {
    subject: groupSubject(group),
    message: body.join('\n') + '\n',
    sms: groupSms(group, options),
    attributes: { detector: group.detector, key: group.key, severity: group.severity, kind: 'alert', count: String(group.alerts.length) },
  };
}

const groupLabel = (g: AlertGroup, manyDetectors: boolean): string =>
  g.lead.kind === 'hotspots' && g.key === '*' ? g.detector : manyDetectors ? `${g.detector}/${g.key}` : g.key;

/** One message listing many keys, so that a run with many alerts due sends one text, not one per key. */
export function formatDigest(raw: readonly AlertGroup[], options: FormatOptions = {}): AlertMessage {
  const groups = raw.map(displayGroup);
  // Counted on the real names: two keys may look alike once shown (escaped, cut).
  const distinct = <T>(values: T[]): number => new Set(values).size;
  const reserved = options.smsReserved ?? DEFAULT_SMS_RESERVED;
  const anomalies = groups.reduce((n, g) => n + g.alerts.length, 0);
  const detectors = [...new Set(groups.map((g) => g.detector))].sort();
  const keys = distinct(raw.map((g) => `${g.detector}\u0000${g.key}`));
  const critical = groups.some((g) => g.severity === 'critical');
  const manyDetectors = detectors.length > 1;
  const summary = `${anomalies} anomal${anomalies === 1 ? 'y' : 'ies'} on ${keys} key${keys === 1 ? '' : 's'}`;

  const subject = toSubject(`${critical ? 'CRITICAL: ' : ''}${summary} (${detectors.join(', ')})`);

  // SMS: the summary and as many of the top keys (groups come most severe first) as fit one segment.
  const head = toGsm7(`${critical ? 'CRITICAL: ' : ''}${summary}${manyDetectors ? '' : ` (${detectors[0]})`}.`);
  const tail = ' Details by email.';
  let sms = head;
  const tops: string[] = [];
  for (const g of groups) {
    const entry = toGsm7(
      `${groupLabel(g, manyDetectors)} ${g.lead.kind === 'hotspots' ? formatNumber(g.lead.score) : formatScore(g.lead.score)}`,
    );
    const candidate = `${head} Top: ${[...tops, entry].join(', ')}${tops.length + 1 < groups.length ? ', ...' : '.'}${tail}`;
    if (!fitsSms(candidate, reserved)) break;
    tops.push(entry);
    sms = candidate;
  }
  if (!tops.length) sms = fitsSms(head + tail, reserved) ? head + tail : truncateSms(head, reserved);

  const body: string[] = [
    `${summary} in one run, sent as one digest${options.digestReason ? ` (${options.digestReason})` : ''}. Most severe first.`,
    '',
  ];
  // Keys are detailed while the body stays within its byte budget (SNS refuses messages over 256 KB); the rest are counted.
  let bytes = jsonBytes(body);
  let detailed = 0;
  for (const g of groups.slice(0, DIGEST_DETAILED_KEYS)) {
    const a = g.lead;
    const text = options.detectors?.get(g.detector);
    const top = a.attribution[0];
    const measure =
      a.kind === 'hotspots'
        ? `density ${formatNumber(a.score)}`
        : `score ${formatScore(a.score)}${a.grade !== undefined ? `, grade ${gradeText(a.grade)}` : ''}`;
    const others = g.alerts.filter((x) => x !== a);
    const entry = [
      `${detailed + 1}. [${label(g.severity)}] ${where(g)}, ${formatTime(a.windowStart)}: ${measure} (threshold ${formatNumber(a.threshold)})` +
        (a.kind !== 'hotspots' ? `, ${observed(a)}` : '') +
        (top ? `, ${top.column} ${directionWords(top.direction)}` : '') +
        (others.length ? ` [+${others.length} more ${units(a, others.length)}]` : ''),
      `   ${headline(a, text)}`,
      `   Data: ${dataPointer(a, options.tableName)}`,
      ...others
        .slice(0, DIGEST_OTHER_WINDOWS_LISTED)
        .map((other) => `   also ${formatTime(other.windowStart)} score ${formatScore(other.score)} (sk ${other.ref.sk})`),
      ...(others.length > DIGEST_OTHER_WINDOWS_LISTED
        ? [`   and ${others.length - DIGEST_OTHER_WINDOWS_LISTED} more windows of this key`]
        : []),
    ];
    const held = heldBackText(g);
    if (held) entry.push(`   ${held}`);
    const cost = jsonBytes(entry);
    if (bytes + cost > DIGEST_BODY_BYTES) break;
    bytes += cost;
    body.push(...entry);
    detailed++;
  }
  if (groups.length > detailed) {
    const rest = groups.slice(detailed);
    body.push(
      '',
      `and ${rest.length} more keys (${rest.reduce((n, g) => n + g.alerts.length, 0)} anomalies); each of their items in the table carries this message's id in messageId.`,
    );
  }
  const single = (pick: (g: AlertGroup) => string): string | undefined => (distinct(raw.map(pick)) === 1 ? pick(groups[0]!) : undefined);
  return {
    subject,
    message: body.join('\n') + '\n',
    sms,
    attributes: {
      detector: single((g) => g.detector) ?? 'multiple',
      key: single((g) => g.key) ?? 'multiple',
      severity: critical ? 'critical' : 'warning',
      kind: 'digest',
      count: String(anomalies),
    },
  };
}
