import type { KeySeries } from './dashboard/data';
import type { CapturedMessage } from './sns-capture';
import type { OutputReport } from './outputs';

/** `--report <file.json>`: what a local run did, in the shape the local-mode issue fixes (times ISO-8601 UTC). */
export interface RunReport {
  produced: number;
  processed: number;
  rejected: number;
  /** The commonest reasons records were rejected (reason text up to its details), most frequent first. */
  rejectReasons?: Array<{ reason: string; count: number; detector?: string; example: string }>;
  injected: Array<{ kind: string; key: string; windowStart: string }>;
  /**
   * `count` is the window's final count; `scoredCount` the count it had when it was scored (its final invoke), the
   * difference being the records merged late. Absent on a window only late records made (never scored).
   */
  windows: Array<{
    detector: string;
    key: string;
    windowStart: string;
    count: number;
    scoredCount?: number;
    score: number;
    late?: boolean;
  }>;
  alerts: Array<{
    detector: string;
    key: string;
    windowStart: string;
    score: number;
    message: string;
    messageId?: string;
    sentAt?: string;
  }>;
  /** Per-record detectors' records the alerts function notified (P# items with notifiedAt), oldest message first. */
  recordAlerts?: Array<{ detector: string; key: string; time: string; score: number; messageId?: string; sentAt: string }>;
  /** The detectors' outputs (kinesis / firehose), each with the records delivered to it. */
  outputs?: OutputReport[];
  /** Extras: how the run went. */
  scenario?: string;
  replay?: string;
  seed?: number;
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  recordsPerSecond: number;
  eventSource: Record<string, number>;
  onFailure: number;
  messages: Array<Pick<CapturedMessage, 'messageId' | 'subject' | 'message' | 'sentAt'>>;
}

type Point = KeySeries['points'][number];

/**
 * The count a window had when it was scored. A window item is written once, with its count, at the emission that
 * scores it; every late merge adds its records to `count` and `lateRecords` alike (shared/store/windows.ts), so the
 * count at scoring is the one minus the other. An item made by late records alone (not scored, all of it late) has none.
 */
export function scoredCountOf(p: Point): number | undefined {
  if (p.hotspots) return undefined;
  const late = p.lateRecords ?? 0;
  if (p.scored === false && late >= p.count && p.count > 0) return undefined;
  return Math.max(0, p.count - late);
}

/** Windows from the table, ordered by detector, key and time. */
export function reportWindows(series: KeySeries[]): RunReport['windows'] {
  return series
    .flatMap((s) =>
      s.points.map((p) => {
        const scoredCount = scoredCountOf(p);
        return {
          detector: s.detector,
          key: s.key,
          windowStart: p.windowStart,
          count: p.count,
          ...(scoredCount !== undefined ? { scoredCount } : {}),
          score: p.score,
          ...(p.late ? { late: true } : {}),
        };
      }),
    )
    .sort((a, b) => a.detector.localeCompare(b.detector) || a.key.localeCompare(b.key) || a.windowStart.localeCompare(b.windowStart));
}

/** How many windows were scored on part of their records, and the mean share they had then: what late records did. */
export function partialWindows(windows: RunReport['windows']): { windows: number; partial: number; meanScoredShare: number } {
  const scored = windows.filter((w) => w.scoredCount !== undefined && w.count > 0);
  const partial = scored.filter((w) => w.scoredCount! < w.count);
  const share = partial.reduce((a, w) => a + w.scoredCount! / w.count, 0);
  return { windows: scored.length, partial: partial.length, meanScoredShare: partial.length ? share / partial.length : 1 };
}

/** Alerts = windows the alerts function marked notified, with the text of the message that carried them. */
export function reportAlerts(series: KeySeries[], messages: readonly CapturedMessage[]): RunReport['alerts'] {
  const byId = new Map(messages.map((m) => [m.messageId, m]));
  return series
    .flatMap((s) =>
      s.points
        .filter((p) => p.notifiedAt)
        .map((p) => {
          const m = p.messageId ? byId.get(p.messageId) : undefined;
          return {
            detector: s.detector,
            key: s.key,
            windowStart: p.windowStart,
            score: p.score,
            message: m ? (m.subject ? `${m.subject}\n${m.message}` : m.message) : '',
            ...(p.messageId ? { messageId: p.messageId } : {}),
            sentAt: m?.sentAt ?? p.notifiedAt!,
          };
        }),
    )
    .sort((a, b) => a.sentAt.localeCompare(b.sentAt) || a.key.localeCompare(b.key));
}

/** Record alerts from the `P#` items (docs/data-model.md) the alerts function marked notified. */
export function reportRecordAlerts(items: ReadonlyArray<Record<string, unknown>>): NonNullable<RunReport['recordAlerts']> {
  return items
    .filter((i) => typeof i.notifiedAt === 'string')
    .map((i) => ({
      detector: String(i.detector),
      key: String(i.key),
      time: String(i.time),
      score: Number(i.score),
      ...(typeof i.messageId === 'string' ? { messageId: i.messageId } : {}),
      sentAt: i.notifiedAt as string,
    }))
    .sort((a, b) => a.sentAt.localeCompare(b.sentAt) || a.time.localeCompare(b.time));
}

/** A reject's reason without its per-record details (the quoted data, the list of each detector's refusal). */
export function reasonKind(reason: string): string {
  const cut = reason.search(/ \(|: "|: '/);
  return (cut > 0 ? reason.slice(0, cut) : reason).slice(0, 160);
}

/** The `top` commonest reasons among the rejects, with one example record each. */
export function topRejectReasons(
  rejects: ReadonlyArray<{ reason: string; detector?: string; data: string }>,
  top = 5,
): NonNullable<RunReport['rejectReasons']> {
  const byReason = new Map<string, { reason: string; count: number; detector?: string; example: string }>();
  for (const r of rejects) {
    const reason = reasonKind(r.reason);
    const id = `${r.detector ?? ''}\u0000${reason}`;
    const entry = byReason.get(id);
    if (entry) entry.count++;
    else byReason.set(id, { reason, count: 1, ...(r.detector ? { detector: r.detector } : {}), example: r.data.slice(0, 120) });
  }
  return [...byReason.values()].sort((a, b) => b.count - a.count).slice(0, top);
}

/** What to change, for the reasons a newcomer meets first. */
export function rejectAdvice(reasons: NonNullable<RunReport['rejectReasons']>): string[] {
  const advice: string[] = [];
  if (reasons.some((r) => r.reason.startsWith('matches no detector')))
    advice.push(
      'no detector in the detectors file takes these records: add one whose format, key and time fields match them (docs/detectors.md), or pass --detectors <file>',
    );
  if (reasons.some((r) => /time field/.test(r.reason)))
    advice.push(
      "the detector's time field is missing or unreadable in these records: check its `time` field and format in the detectors file",
    );
  return advice;
}
