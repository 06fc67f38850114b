import { QueryCommand, paginateQuery, paginateScan, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decodeWindowPoints } from '../../shared/hotspots/byte-format';
import { PK_PREFIX, hotspotsStatePk, parseHotspotsPk, parseWindowPk as parseWindowKeys } from '../../shared/store/keys';

/**
 * Reads window items (docs/data-model.md) for the dashboard and the local-mode report. Keys are found from
 * the items themselves (a keys-only scan of `W#` and `H#` partitions), then each key's windows are read with a
 * Query, so the same reader works on the local table and on a deployed stage's table. A hotspots detector's
 * windows are one series under the key `*` (as its alert cooldown is), scored by the densest hotspot's density.
 */

/** The key a hotspots detector's windows are shown and reported under: they are per detector, not per key. */
export const HOTSPOTS_KEY = '*';

export interface WindowPoint {
  windowStart: string;
  windowEnd?: string;
  count: number;
  score: number;
  threshold?: number;
  scored?: boolean;
  late?: boolean;
  lateRecords?: number;
  pendingAlert?: boolean;
  notifiedAt?: string;
  messageId?: string;
  attribution?: unknown;
  aggregates?: Record<string, number>;
  /** The key's anomaly grade in [0, 1] (shared/anomaly), on graded windows. */
  grade?: number;
  /** Each scored feature's usual value before this window (null until known): shown as "usually about N". */
  expected?: Record<string, number | null>;
  /** The rule that decided the alert marker. */
  alertOn?: 'grade' | 'score';
  /** Why an alert the rule decided was held back by a suppression rule. */
  suppressed?: string;
  /** Hotspots windows: the hotspots found (densest first), for the score and a scatter. */
  hotspots?: Array<{ density: number; count: number; minValues: number[]; maxValues: number[]; centroid?: number[] }>;
}

export interface KeySeries {
  detector: string;
  key: string;
  points: WindowPoint[];
}

export interface WindowKey {
  pk: string;
  detector: string;
  key: string;
}

/** AttributeValue → plain value. (lib-dynamodb is kept to shared/store; this reader needs only the basics.) */
export function unmarshal(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined) return unmarshalItem(value.M);
  if (value.L !== undefined) return value.L.map(unmarshal);
  if (value.SS !== undefined) return [...value.SS];
  if (value.NS !== undefined) return value.NS.map(Number);
  if (value.B !== undefined) return value.B;
  if (value.BS !== undefined) return value.BS;
  return undefined;
}

export const unmarshalItem = (item: Record<string, AttributeValue>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(item).map(([k, v]) => [k, unmarshal(v)]));

/** A window item's pk as detector and key (the format is shared/store/keys.ts's). */
export function parseWindowPk(pk: string): WindowKey | undefined {
  const parsed = parseWindowKeys(pk);
  if (parsed) return { pk, detector: parsed.detector, key: parsed.key };
  const hotspots = parseHotspotsPk(pk);
  return hotspots ? { pk, detector: hotspots.detector, key: HOTSPOTS_KEY } : undefined;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** An item's `expected` map, keeping only number or null values (the page formats them as numbers). */
function expectedOf(v: unknown): Record<string, number | null> | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, number | null> = {};
  for (const [name, value] of Object.entries(v)) {
    if (value === null || num(value) !== undefined) out[name] = value as number | null;
  }
  return Object.keys(out).length ? out : undefined;
}

export function toPoint(item: Record<string, unknown>): WindowPoint {
  const hotspots =
    item.type === 'hotspots' && Array.isArray(item.hotspots) ? (item.hotspots as NonNullable<WindowPoint['hotspots']>) : undefined;
  const point: WindowPoint = {
    windowStart: str(item.windowStart) ?? str(item.sk) ?? '',
    count: num(item.count) ?? num((item.aggregates as Record<string, unknown> | undefined)?.count) ?? 0,
    score: hotspots ? Math.max(0, ...hotspots.map((h) => num(h.density) ?? 0)) : (num(item.score) ?? 0),
  };
  if (hotspots) point.hotspots = hotspots;
  const windowEnd = str(item.windowEnd);
  if (windowEnd) point.windowEnd = windowEnd;
  const threshold = num(item.threshold);
  if (threshold !== undefined) point.threshold = threshold;
  if (typeof item.scored === 'boolean') point.scored = item.scored;
  if (item.late === true) point.late = true;
  const lateRecords = num(item.lateRecords);
  if (lateRecords !== undefined) point.lateRecords = lateRecords;
  if (item.pendingAlert !== undefined) point.pendingAlert = true;
  const notifiedAt = str(item.notifiedAt);
  if (notifiedAt) point.notifiedAt = notifiedAt;
  const messageId = str(item.messageId);
  if (messageId) point.messageId = messageId;
  if (item.attribution !== undefined) point.attribution = item.attribution;
  if (item.aggregates && typeof item.aggregates === 'object') point.aggregates = item.aggregates as Record<string, number>;
  const grade = num(item.grade);
  if (grade !== undefined) point.grade = grade;
  const expected = expectedOf(item.expected);
  if (expected) point.expected = expected;
  if (item.alertOn === 'grade' || item.alertOn === 'score') point.alertOn = item.alertOn;
  const suppressed = str(item.suppressed);
  if (suppressed) point.suppressed = suppressed;
  return point;
}

export interface TableReaderOptions {
  /** Keys shown at most (the busiest first); the report reads all of them. */
  maxKeys?: number;
  /** Latest windows per key shown. */
  maxPoints?: number;
  /** How long the discovered key list is reused before scanning again. */
  keysTtlMs?: number;
}

export class TableReader {
  private cachedKeys: { at: number; keys: WindowKey[] } | undefined;
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    private readonly options: TableReaderOptions = {},
  ) {}

  async keys(fresh = false): Promise<WindowKey[]> {
    const ttl = this.options.keysTtlMs ?? 3000;
    if (!fresh && this.cachedKeys && Date.now() - this.cachedKeys.at < ttl) return this.cachedKeys.keys;
    const pks = new Set<string>();
    const pages = paginateScan(
      { client: this.client },
      {
        TableName: this.tableName,
        ProjectionExpression: 'pk',
        FilterExpression: 'begins_with(pk, :w) OR begins_with(pk, :h)',
        ExpressionAttributeValues: { ':w': { S: PK_PREFIX.window }, ':h': { S: PK_PREFIX.hotspots } },
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) if (item.pk?.S) pks.add(item.pk.S);
    const keys = [...pks].map(parseWindowPk).filter((k): k is WindowKey => k !== undefined);
    keys.sort((a, b) => a.detector.localeCompare(b.detector) || a.key.localeCompare(b.key));
    this.cachedKeys = { at: Date.now(), keys };
    return keys;
  }

  /** Every window of one key, oldest first (`limit` = only the latest ones). */
  async windows(pk: string, limit?: number): Promise<WindowPoint[]> {
    const items: Record<string, unknown>[] = [];
    const pages = paginateQuery(
      { client: this.client, ...(limit ? { pageSize: limit } : {}) },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ScanIndexForward: false,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) items.push(unmarshalItem(item));
      if (limit && items.length >= limit) break;
    }
    // A page cut short by DynamoDB's 1 MB cap is followed by a full one: keep only the latest `limit`.
    if (limit && items.length > limit) items.length = limit;
    return items.map(toPoint).reverse();
  }

  /** The series the dashboard draws: the latest windows of each key. */
  async series(): Promise<KeySeries[]> {
    const keys = (await this.keys()).slice(0, this.options.maxKeys ?? 60);
    return Promise.all(
      keys.map(async (k) => ({ detector: k.detector, key: k.key, points: await this.windows(k.pk, this.options.maxPoints ?? 240) })),
    );
  }

  /**
   * The points of a hotspots detector's sliding windows as each shard carried them after its latest tumbling
   * window (`HS#` items): what the latest hotspots were found in. At most `max` points in all, the newest.
   */
  async hotspotPoints(detector: string, max = 3000): Promise<{ columns: string[]; points: number[][]; windowStart?: string }> {
    const res = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: hotspotsStatePk(detector) } },
      }),
    );
    const shards = (res.Items ?? []).map(unmarshalItem);
    const points: number[][] = [];
    let columns: string[] = [];
    let windowStart: string | undefined;
    for (const shard of shards) {
      const cols = Array.isArray(shard.columns) ? (shard.columns as string[]) : [];
      if (!(shard.points instanceof Uint8Array) || !cols.length) continue;
      columns = cols;
      if (typeof shard.lastWindow === 'string' && (!windowStart || shard.lastWindow > windowStart)) windowStart = shard.lastWindow;
      try {
        decodeWindowPoints(shard.points, cols.length, Math.ceil(max / shards.length), (values) => void points.push(Array.from(values)));
      } catch {
        // A state written by another version of the format: its points are not drawn, the rest of the page is.
      }
    }
    return { columns, points, ...(windowStart ? { windowStart } : {}) };
  }

  /** Every window of every key (the report). */
  async all(): Promise<KeySeries[]> {
    const keys = await this.keys(true);
    return Promise.all(keys.map(async (k) => ({ detector: k.detector, key: k.key, points: await this.windows(k.pk) })));
  }
}
