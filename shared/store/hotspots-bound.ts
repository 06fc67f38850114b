import type { Hotspot } from '../hotspots/definitions';

/**
 * The byte bound of a hotspots item (`H#<detector>` / window): every shard that writes the window adds its part
 * (up to maxHotspots hotspots) and the item lists them all again densest first, so without a bound the item passes
 * DynamoDB's 400 KB at about 28 shards (2 columns, 50 hotspots each) or 10 (10 columns). Pure.
 */

/** What the shards' parts and the densest-first list may take together; the rest of the item is a few hundred bytes. */
export const HOTSPOTS_ITEM_BUDGET = 300_000;

/** A number as DynamoDB stores it takes at most 21 bytes; one more for its place in a list. */
const NUMBER_BYTES = 22;

/** One hotspot as stored, counted high: attribute names, map and list framing, every number at 22 bytes, the shard id. */
export const hotspotBytes = (h: Hotspot, shardId: string): number =>
  96 + Buffer.byteLength(shardId, 'utf8') + NUMBER_BYTES * (2 + h.centroid.length + h.minValues.length + h.maxValues.length);

/** A shard's entry without its hotspots: its id, points and found. */
const shardEntryBytes = (shardId: string): number => 48 + Buffer.byteLength(shardId, 'utf8');

export interface ShardPart {
  points: number;
  hotspots: Hotspot[];
  found: number;
}

/**
 * The densest hotspots of all shards that fit the budget (each is stored twice: in its shard's part and in the
 * list), and the parts cut to them. Every shard keeps its entry (its points make the window's count). A shard that
 * rewrites its part later rebuilds the list from what the others kept, so a hotspot cut here does not come back.
 */
export function boundHotspots(parts: Record<string, ShardPart>): {
  shards: Record<string, ShardPart>;
  all: Array<Hotspot & { shardId: string }>;
} {
  const sorted = Object.entries(parts)
    .flatMap(([shardId, part]) => part.hotspots.map((h) => ({ ...h, shardId })))
    .sort((a, b) => b.density - a.density);
  let bytes = Object.keys(parts).reduce((s, id) => s + shardEntryBytes(id), 0);
  const all: Array<Hotspot & { shardId: string }> = [];
  for (const h of sorted) {
    bytes += 2 * hotspotBytes(h, h.shardId);
    if (bytes > HOTSPOTS_ITEM_BUDGET) break;
    all.push(h);
  }
  const shards: Record<string, ShardPart> = {};
  for (const [shardId, part] of Object.entries(parts)) shards[shardId] = { ...part, hotspots: [] };
  for (const { shardId, ...h } of all) shards[shardId]!.hotspots.push(h);
  return { shards, all };
}
