/**
 * A least-recently-used map, the warm-container caches' one eviction rule (window models, per-record forests). Entries
 * the caller cannot drop yet (pinned by the running invoke, unsaved) are kept past the capacity and skipped.
 */
export class LruCache<V> {
  private readonly map = new Map<string, V>();
  constructor(readonly capacity: number) {}

  get(id: string): V | undefined {
    const v = this.map.get(id);
    if (v !== undefined) {
      this.map.delete(id);
      this.map.set(id, v);
    }
    return v;
  }

  /** Stores value as the most recent; drops the least recent beyond capacity, except those `keep` holds on to. */
  set(id: string, value: V, keep?: (id: string, value: V) => boolean): void {
    this.map.delete(id);
    this.map.set(id, value);
    for (const [old, v] of this.map) {
      if (this.map.size <= this.capacity) break;
      if (!keep?.(old, v)) this.map.delete(old);
    }
  }

  delete(id: string): void {
    this.map.delete(id);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
