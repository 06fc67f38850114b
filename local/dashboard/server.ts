import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { listenLocal } from '../emulators';
import type { CapturedMessage } from '../sns-capture';
import { TableReader, type KeySeries } from './data';

/**
 * The dashboard: a static page (index.html + app.js, chart.js served from node_modules, nothing from the
 * network) and a small JSON API over the DataTable. Served on 127.0.0.1 only.
 */

export interface DashboardOptions {
  client: DynamoDBClient;
  tableName: string;
  port?: number;
  /** Threshold drawn for windows that carry none (the stack's ANOMALY_THRESHOLD). */
  defaultThreshold?: number;
  /** Local mode: the SNS publishes captured so far, shown in the alert feed with their text. */
  messages?: () => readonly CapturedMessage[];
  /** Local mode: run progress shown in the header. */
  status?: () => unknown;
  title?: string;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

export interface FeedEntry {
  sentAt: string;
  messageId?: string;
  subject?: string;
  message?: string;
  windows: Array<{ detector: string; key: string; windowStart: string; score: number; grade?: number }>;
}

const HERE = __dirname;
const CHART_JS = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');

/** Alerts as a feed, newest first: captured messages (local) or notified windows (a deployed stage). */
export function alertFeed(series: KeySeries[], messages: readonly CapturedMessage[] | undefined): FeedEntry[] {
  const notified = series.flatMap((s) =>
    s.points
      .filter((p) => p.notifiedAt)
      .map((p) => ({
        detector: s.detector,
        key: s.key,
        windowStart: p.windowStart,
        score: p.score,
        ...(p.grade !== undefined ? { grade: p.grade } : {}),
        notifiedAt: p.notifiedAt!,
        messageId: p.messageId,
      })),
  );
  if (messages) {
    return [...messages]
      .map((m) => ({
        sentAt: m.sentAt,
        messageId: m.messageId,
        ...(m.subject !== undefined ? { subject: m.subject } : {}),
        message: m.message,
        windows: notified
          .filter((n) => n.messageId === m.messageId)
          .map(({ detector, key, windowStart, score, grade }) => ({
            detector,
            key,
            windowStart,
            score,
            ...(grade !== undefined ? { grade } : {}),
          })),
      }))
      .sort((a, b) => b.sentAt.localeCompare(a.sentAt));
  }
  const byMessage = new Map<string, FeedEntry>();
  for (const n of notified) {
    const id = n.messageId ?? `${n.detector}#${n.key}#${n.windowStart}`;
    const entry = byMessage.get(id) ?? { sentAt: n.notifiedAt, ...(n.messageId ? { messageId: n.messageId } : {}), windows: [] };
    entry.windows.push({
      detector: n.detector,
      key: n.key,
      windowStart: n.windowStart,
      score: n.score,
      ...(n.grade !== undefined ? { grade: n.grade } : {}),
    });
    byMessage.set(id, entry);
  }
  return [...byMessage.values()].sort((a, b) => b.sentAt.localeCompare(a.sentAt));
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const reader = new TableReader(options.client, options.tableName);
  const page = readFileSync(join(HERE, 'index.html'), 'utf8').replace(
    '{{title}}',
    escapeHtml(options.title ?? `stream-sentinel · ${options.tableName}`),
  );
  const app = readFileSync(join(HERE, 'app.js'), 'utf8');
  const chart = readFileSync(CHART_JS, 'utf8');

  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    res.end(body);
  };
  const json = (res: ServerResponse, value: unknown) => send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value));

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'GET only');
    switch (path) {
      case '/':
      case '/index.html':
        return send(res, 200, 'text/html; charset=utf-8', page);
      case '/app.js':
        return send(res, 200, 'text/javascript; charset=utf-8', app);
      case '/vendor/chart.umd.min.js':
        return send(res, 200, 'text/javascript; charset=utf-8', chart);
      case '/api/series': {
        const series = await reader.series();
        return json(res, { table: options.tableName, defaultThreshold: options.defaultThreshold ?? 2, series });
      }
      case '/api/alerts':
        return json(res, { alerts: alertFeed(await reader.series(), options.messages?.()) });
      case '/api/hotspot-points': {
        const detector = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('detector') ?? '';
        if (!/^[^#]{1,128}$/.test(detector)) return send(res, 400, 'text/plain', 'detector=<name> expected');
        return json(res, await reader.hotspotPoints(detector));
      }
      case '/api/status':
        return json(res, { table: options.tableName, local: Boolean(options.status), status: options.status?.() ?? null });
      default:
        return send(res, 404, 'text/plain', 'not found');
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // The page keeps polling; the reason is shown to the reader rather than hidden in a log.
      if (!res.headersSent)
        send(
          res,
          502,
          'application/json',
          JSON.stringify({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
        );
      else res.end();
    });
  });
  const running = await listenLocal(server, options.port ?? 0);
  return { url: `${running.endpoint}/`, close: running.close };
}

const escapeHtml = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
