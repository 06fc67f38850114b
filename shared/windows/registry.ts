import type { KeyRegistry } from './plan';

/**
 * The byte bound of a shard's silent-key registry (docs/data-model.md, "Key registry items"). The registry is one
 * DynamoDB item (400 KB at most) and a key may be 512 characters of 3-byte UTF-8, so `maxKeys` alone does not bound
 * it. Pure: the plan applies it when it updates a registry, and the store again before it writes one.
 */

/** What a registry's keys may take, counted by registryEntryBytes; with pk, sk and the rest the item stays under 310 KB. */
export const REGISTRY_MAX_BYTES = 300_000;

/** One key's cost in the registry item, counted high: its UTF-8 bytes plus the entry's framing and its epoch-seconds number. */
export const registryEntryBytes = (key: string): number => Buffer.byteLength(key, 'utf8') + 32;

/** Over the byte budget, the keys seen longest ago are forgotten first (ties: by key, so every retry keeps the same ones). */
export function boundRegistryBytes(registry: KeyRegistry, maxBytes = REGISTRY_MAX_BYTES): void {
  let bytes = 0;
  for (const k of registry.keys()) bytes += registryEntryBytes(k);
  if (bytes <= maxBytes) return;
  const newestFirst = [...registry].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  registry.clear();
  bytes = 0;
  for (const [k, v] of newestFirst) {
    bytes += registryEntryBytes(k);
    if (bytes > maxBytes) break;
    registry.set(k, v);
  }
}
