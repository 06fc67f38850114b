import { createServer, request, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { dynamoClient, dynamoDocumentClient } from '../../shared/aws/clients';
import { parseDetectors, type Detector } from '../../shared/detectors';
import { MemoryRejectsSink } from '../../shared/rejects';
import { ModelCache } from '../../shared/windows';
import { createWindowsHandler, type WindowsEvent, type WindowsResponse } from '../../functions/windows/handler';
import { createHotspotsHandler } from '../../functions/hotspots/handler';
import { createDataTable, startDynalite, type Emulator } from './emulators';
import { lambdaContext } from '../factories/kinesis';

/**
 * What the hostile-input and fault tests share: DynamoDB's item-size rules (to check every item stays under 400 KB),
 * an HTTP proxy on 127.0.0.1 in front of dynalite that throttles, fails or drops the answer of a share of the calls,
 * and a pipeline of the real windows and hotspots handlers over one table, with Lambda's whole-invoke redelivery.
 */

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

/** DynamoDB refuses an item over 400 KB (attribute names and values, UTF-8). */
export const DYNAMODB_MAX_ITEM_BYTES = 400 * 1024;

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A number's size as DynamoDB counts it: about one byte per two significant digits, plus one. */
function numberBytes(n: string): number {
  const digits = n.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.max(1, Math.ceil(digits.length / 2) + 1) + (n.startsWith('-') ? 1 : 0);
}

function valueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return numberBytes(v.N);
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((s, x) => s + utf8(x), 0);
  if (v.NS) return v.NS.reduce((s, x) => s + numberBytes(x), 0);
  if (v.BS) return v.BS.reduce((s, x) => s + x.length, 0);
  if (v.L) return 3 + v.L.reduce((s, x) => s + 1 + valueBytes(x), 0);
  if (v.M) return 3 + Object.entries(v.M).reduce((s, [k, x]) => s + 1 + utf8(k) + valueBytes(x), 0);
  return 0;
}

/** An item's size by DynamoDB's rules (docs: "Item sizes and formats"), from its wire form. */
export const itemBytes = (item: Record<string, AttributeValue>): number =>
  Object.entries(item).reduce((s, [name, v]) => s + utf8(name) + valueBytes(v), 0);

export type FaultKind = 'throttle' | 'server-error' | 'lost-answer' | 'outage';

export interface FaultProxy {
  endpoint: string;
  /** Faults are injected only while this is true (setup and checks read through it unharmed). */
  enabled: boolean;
  counts: Record<FaultKind | 'passed', number>;
  /**
   * After `afterCalls` more calls, every call fails (500) for `ms`: long enough that the SDK's retries all fail and
   * the invoke throws midway, with part of its writes done (DynamoDB unavailable for a moment).
   */
  outage(afterCalls: number, ms: number): void;
  close(): Promise<void>;
}

/** mulberry32: a small seeded generator, so a failing run's faults can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dynamoError = (type: string, message: string) => JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });

/**
 * A proxy in front of `target` (dynalite) that, on a `rate` share of the calls, answers as DynamoDB does when it
 * throttles (400 ProvisionedThroughputExceededException), fails (500 InternalServerError), or applies the call and
 * then drops the connection before answering (a lost answer: the write happened, the caller cannot know).
 */
export async function startFaultProxy(target: string, options: { rate: number; seed: number }): Promise<FaultProxy> {
  const to = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const random = seededRandom(options.seed);
  const counts: FaultProxy['counts'] = { throttle: 0, 'server-error': 0, 'lost-answer': 0, outage: 0, passed: 0 };
  let calls = 0;
  let outageAt: { call: number; ms: number } | undefined;
  let outageUntil = 0;
  const proxy: FaultProxy = {
    endpoint: '',
    enabled: true,
    counts,
    outage: (afterCalls, ms) => {
      outageAt = { call: calls + afterCalls, ms };
    },
    close: async () => undefined,
  };
  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> =>
    new Promise((ok, fail) => {
      const out = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => ok({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', fail);
      });
      out.on('error', fail);
      out.end(body);
    });
  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    calls++;
    if (outageAt && calls >= outageAt.call) {
      outageUntil = Date.now() + outageAt.ms;
      outageAt = undefined;
    }
    const roll = proxy.enabled ? random() : 1;
    const kind: FaultKind | 'passed' =
      proxy.enabled && Date.now() < outageUntil
        ? 'outage'
        : roll < options.rate / 3
          ? 'throttle'
          : roll < (2 * options.rate) / 3
            ? 'server-error'
            : roll < options.rate
              ? 'lost-answer'
              : 'passed';
    counts[kind]++;
    if (kind === 'throttle' || kind === 'server-error' || kind === 'outage') {
      const text =
        kind === 'throttle'
          ? dynamoError('ProvisionedThroughputExceededException', 'injected: the request rate is too high')
          : dynamoError('InternalServerError', 'injected: internal server error');
      res.writeHead(kind === 'throttle' ? 400 : 500, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    const answer = await forward(req, body);
    if (kind === 'lost-answer') {
      // The call was applied; the caller sees a reset connection, as when a response is lost on the way back.
      res.socket?.destroy();
      return;
    }
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => res.socket?.destroy());
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((ok) => {
      agent.destroy();
      server.closeAllConnections();
      server.close(() => ok());
    });
  return proxy;
}

type Invoke = (event: WindowsEvent) => Promise<WindowsResponse>;

export interface Pipeline {
  db: Emulator;
  /** Where the functions' DynamoDB calls go: the fault proxy when there is one, else dynalite. */
  proxy?: FaultProxy;
  tableName: string;
  detectors: Detector[];
  rejects: MemoryRejectsSink;
  windows: Invoke;
  hotspots: Invoke;
  /** A new windows container (empty forest cache), as after a cold start. */
  coldWindows: Invoke;
  /** Every item of the table, each with its size by DynamoDB's rules, read from dynalite directly. */
  items(): Promise<Array<{ item: Record<string, unknown>; bytes: number }>>;
  close(): Promise<void>;
}

export interface PipelineOptions {
  detectorsYaml: string;
  now?: () => number;
  /** Put a fault proxy with this rate and seed between the functions and dynalite. */
  faults?: { rate: number; seed: number };
  modelSaveEvery?: number;
}

/** The real windows and hotspots handlers (middy + Powertools, as deployed) over one dynalite table. */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const now = options.now ?? (() => Date.parse('2026-03-01T12:00:00Z'));
  const db = await startDynalite();
  const tableName = await createDataTable(db.endpoint);
  const proxy = options.faults ? await startFaultProxy(db.endpoint, options.faults) : undefined;
  const client = dynamoDocumentClient({ endpoint: proxy?.endpoint ?? db.endpoint });
  const direct = dynamoClient({ endpoint: db.endpoint });
  const detectors = parseDetectors(options.detectorsYaml, 'test detectors');
  const rejects = new MemoryRejectsSink(now);
  const deps = {
    detectors,
    documentClient: client,
    tableName,
    retentionDays: 7,
    rejects,
    now,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test' }),
    ...(options.modelSaveEvery ? { modelSaveEvery: options.modelSaveEvery } : {}),
  };
  const windows = createWindowsHandler({ ...deps, cache: new ModelCache(64) });
  const hotspots = createHotspotsHandler(deps);
  return {
    db,
    ...(proxy ? { proxy } : {}),
    tableName,
    detectors,
    rejects,
    windows: (event) => windows(event, lambdaContext()) as Promise<WindowsResponse>,
    hotspots: (event) => hotspots(event, lambdaContext('stream-sentinel-test-hotspots')) as Promise<WindowsResponse>,
    coldWindows: (event) =>
      createWindowsHandler({ ...deps, cache: new ModelCache(64) })(event, lambdaContext()) as Promise<WindowsResponse>,
    items: async () => {
      const out: Array<{ item: Record<string, unknown>; bytes: number }> = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const res = await direct.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
        for (const raw of res.Items ?? []) out.push({ item: unmarshall(raw), bytes: itemBytes(raw) });
        start = res.LastEvaluatedKey;
      } while (start);
      return out.sort((a, b) => `${a.item.pk}|${a.item.sk}`.localeCompare(`${b.item.pk}|${b.item.sk}`));
    },
    close: async () => {
      client.destroy();
      direct.destroy();
      await proxy?.close();
      await db.close();
    },
  };
}

/**
 * Lambda's retry of a failed invoke: the same event (same records, same state) again until it succeeds, as a
 * shard does until the batch expires, with a backoff between deliveries. Returns the response and how many deliveries it took.
 */
export async function deliverUntilDone(
  invoke: Invoke,
  event: WindowsEvent,
  maxDeliveries = 40,
): Promise<{ response: WindowsResponse; deliveries: number; errors: string[] }> {
  const errors: string[] = [];
  for (let delivery = 1; delivery <= maxDeliveries; delivery++) {
    try {
      return { response: await invoke(structuredClone(event)), deliveries: delivery, errors };
    } catch (error) {
      errors.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      // Lambda backs off between retries of a shard's batch too.
      await sleep(Math.min(1000, 50 * 2 ** delivery));
    }
  }
  throw new Error(`invoke still failing after ${maxDeliveries} deliveries; errors: ${errors.slice(-5).join(' | ')}`);
}
