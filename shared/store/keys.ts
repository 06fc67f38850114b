/**
 * The table layout (docs/data-model.md): the one owner of every pk/sk format and of reading them back. Every
 * adapter, the alerts selection, the dashboard and the IAM conditions (functions/*\/resources.yml, which name the
 * prefixes below) go through this module, so a format is changed here and nowhere else. Pure: no AWS imports.
 *
 * Detector names never contain `#` (shared/detectors/schema.ts); keys may, so a key is everything after the
 * detector's `#`. Times are ISO-8601 UTC strings of one format, which sort chronologically.
 */

/** The partition-key prefix of each item family; IAM's `dynamodb:LeadingKeys` conditions are written with these. */
export const PK_PREFIX = {
  window: 'W#',
  model: 'M#',
  registry: 'R#',
  hotspots: 'H#',
  hotspotsState: 'HS#',
  cooldown: 'C#',
  /** Per-record detectors (shared/per-record): records at or above storeAbove, and per-window summaries. */
  record: 'P#',
  recordSummary: 'PS#',
  /** Event-time windows a shard carries until their watermark (shared/windows/watermark.ts). */
  carry: 'K#',
} as const;

export type ItemFamily = keyof typeof PK_PREFIX;

export const windowPk = (detector: string, key: string): string => `${PK_PREFIX.window}${detector}#${key}`;
export const modelPk = (detector: string, key: string): string => `${PK_PREFIX.model}${detector}#${key}`;
/** `R#<detector>` / `<shardId>`: the keys one shard saw recently (silent keys). */
export const registryPk = (detector: string): string => `${PK_PREFIX.registry}${detector}`;
/** `H#<detector>` / `<windowStart ISO>`: the hotspots of one window. */
export const hotspotsPk = (detector: string): string => `${PK_PREFIX.hotspots}${detector}`;
/** `HS#<detector>` / `<shardId>`: the sliding window a shard carries from one tumbling window to the next. */
export const hotspotsStatePk = (detector: string): string => `${PK_PREFIX.hotspotsState}${detector}`;
/** `K#<detector>` / `<shardId>`: an event-time detector's windows a shard carries until their watermark. */
export const carryPk = (detector: string): string => `${PK_PREFIX.carry}${detector}`;
/** `C#<detector>#<key>` / `COOLDOWN`: the alert cooldown of one key (hotspot detectors: key `*`). */
export const cooldownPk = (detector: string, key: string): string => `${PK_PREFIX.cooldown}${detector}#${key}`;

export const MODEL_SK = 'MODEL';

/**
 * `M#<detector>#<key>` / `PART#<version>#<saveId>#<index>`: a part of a model whose state does not fit its head item
 * (shared/store/models.ts). In the model's own partition (the same `M#` LeadingKeys), keyed by the version and by the
 * save that wrote it (`saveId`, a digest of the saved model): two containers saving different models of one version
 * never write the same part, and parts of a save whose head write lost are never those of the current head.
 */
export const MODEL_PART_SK_PREFIX = 'PART#';
export const modelPartSk = (version: number, saveId: string, index: number): string =>
  `${MODEL_PART_SK_PREFIX}${version}#${saveId}#${index}`;

/** `PART#<version>#<saveId>#<index>` → its fields; undefined for any other sort key. */
export function parseModelPartSk(sk: string): { version: number; saveId: string; index: number } | undefined {
  const m = /^PART#(\d+)#([^#]+)#(\d+)$/.exec(sk);
  return m ? { version: Number(m[1]), saveId: m[2]!, index: Number(m[3]) } : undefined;
}
export const COOLDOWN_SK = 'COOLDOWN';

export const iso = (ms: number): string => new Date(ms).toISOString();
/** Window and hotspot items are sorted by their window's start. */
export const windowSk = (startMs: number): string => iso(startMs);

/**
 * The sparse index of items that carry `pendingAlert` (resources/tables.yml): hash `pendingAlert` (the detector
 * name), range `pk`, keys only.
 */
export const PENDING_ALERTS_INDEX = 'pending-alerts';
/** The families an alert can be claimed on (the items that carry `pendingAlert`; `record`: shared/per-record). */
export const ALERTABLE_FAMILIES = ['window', 'hotspots', 'record'] as const satisfies readonly ItemFamily[];
export type AlertableFamily = (typeof ALERTABLE_FAMILIES)[number];

export interface ParsedPk {
  pk: string;
  family: ItemFamily;
  detector: string;
  /** Families keyed per key (window, model, cooldown); absent for per-detector families. */
  key?: string;
}

const PER_KEY: ReadonlySet<ItemFamily> = new Set(['window', 'model', 'cooldown', 'record', 'recordSummary']);
// Longest prefix first: should one prefix ever start another, the longer one must win.
const FAMILIES = (Object.entries(PK_PREFIX) as Array<[ItemFamily, string]>).sort((a, b) => b[1].length - a[1].length);

/** Any pk of the table back to its family, detector and key; undefined for a pk this layout does not make. */
export function parsePk(pk: string): ParsedPk | undefined {
  for (const [family, prefix] of FAMILIES) {
    if (!pk.startsWith(prefix)) continue;
    const rest = pk.slice(prefix.length);
    if (!PER_KEY.has(family)) return rest && !rest.includes('#') ? { pk, family, detector: rest } : undefined;
    const hash = rest.indexOf('#');
    if (hash <= 0 || hash === rest.length - 1) return undefined;
    return { pk, family, detector: rest.slice(0, hash), key: rest.slice(hash + 1) };
  }
  return undefined;
}

const parseAs =
  (family: ItemFamily) =>
  (pk: string): (ParsedPk & { key: string }) | undefined => {
    const p = parsePk(pk);
    return p && p.family === family && p.key !== undefined ? (p as ParsedPk & { key: string }) : undefined;
  };

/** `W#<detector>#<key>` → detector and key. */
export const parseWindowPk = parseAs('window');
export const parseModelPk = parseAs('model');
export const parseCooldownPk = parseAs('cooldown');

/** `H#<detector>` → detector. */
export function parseHotspotsPk(pk: string): ParsedPk | undefined {
  const p = parsePk(pk);
  return p?.family === 'hotspots' ? p : undefined;
}

/** The family of an item that can carry a pending alert, or undefined. */
export function alertableFamily(pk: string): AlertableFamily | undefined {
  const family = parsePk(pk)?.family;
  return family === 'window' || family === 'hotspots' || family === 'record' ? family : undefined;
}

/** TTL: retention counted from the later of the window's end and now, so replayed history is kept too. */
export const expiresAt = (windowEndMs: number, nowMs: number, retentionDays: number): number =>
  Math.floor(Math.max(windowEndMs, nowMs) / 1000) + Math.round(retentionDays * 86400);

export const isConditionalFailure = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'ConditionalCheckFailedException' || error.name === 'TransactionCanceledException');
