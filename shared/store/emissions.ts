/**
 * The idempotency ids of the items several shards write (window items, hotspot items): a fixed number, one per
 * shard, so an item does not grow by one id per emission (a producer with a stuck clock sends late records into the
 * same window for hours). Pure.
 */

/**
 * Shards whose last emission id an item keeps. A shard's emissions run one after another (Lambda retries a
 * failed invoke before it sends the shard's next batch), so a retry is always of that shard's last emission: one id
 * per shard is exact. A retry counts twice only if this many other shards wrote the same item between its
 * lost answer and its redelivery.
 */
export const MAX_EMISSION_IDS = 16;

/** The ids to store after `emissionId` merged: this shard's earlier id replaced, the shards heard from longest ago dropped. */
export function nextEmissions(stored: readonly string[], emissionId: string, shardId: string): string[] {
  const own = `${shardId}:`;
  return [...stored.filter((id) => !id.startsWith(own) && id !== emissionId), emissionId].slice(-MAX_EMISSION_IDS);
}
