import type { KeySeries } from './dashboard/data';
import type { CapturedMessage } from './sns-capture';

/** `--report <file.json>`: what a local run did, in the shape the local-mode issue fixes (times ISO-8601 UTC). */
export interface RunReport {
  produced: number;
  processed: number;
  rejected: number;
  injected: Array<{ kind: string; key: string; windowStart: string }>;
  windows: Array<{ detector: string; key: string; windowStart: string; count: number; score: number; late?: boolean }>;
  alerts: Array<{
    detector: string;
    key: string;
    windowStart: string;
    score: number;
    message: string;
    messageId?: string;
    sentAt?: string;
  }>;
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

/** Windows from the table, ordered by detector, key and time. */
export function reportWindows(series: KeySeries[]): RunReport['windows'] {
  return series
    .flatMap((s) =>
      s.points.map((p) => ({
        detector: s.detector,
        key: s.key,
        windowStart: p.windowStart,
        count: p.count,
        score: p.score,
        ...(p.late ? { late: true } : {}),
      })),
    )
    .sort((a, b) => a.detector.localeCompare(b.detector) || a.key.localeCompare(b.key) || a.windowStart.localeCompare(b.windowStart));
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
