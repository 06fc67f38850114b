/**
 * Key of the update numbered t for decay rate λ and a uniform u in (0, 1): `-λ·t + ln(-ln u)`.
 * Smaller keys are kept; later points get smaller keys on average, so old points age out softly.
 */
export function samplerKey(lambda: number, t: number, u: number): number {
  return -lambda * t + Math.log(-Math.log(u));
}

/**
 * Time-decayed weighted reservoir of one tree: keeps the `capacity` entries with the smallest keys
 * `w = -λ·t + ln(-ln u)` in a max-heap stored in two parallel typed arrays (heap order), so the
 * acceptance test is one comparison with `keys[base]`. A forest's samplers share two buffers, each sampler
 * using `capacity` entries from `base` (no typed-array objects per sampler: issue 14, memory per cached forest).
 */
export class ReservoirSampler {
  readonly capacity: number;
  size = 0;
  /** Entries base … base+size−1 of these arrays, in heap order, are this sampler's. */
  readonly keys: Float64Array;
  readonly slots: Int32Array;
  readonly base: number;

  /** Without buffers the sampler has its own; with them it uses entries base … base+capacity−1 of each. */
  constructor(capacity: number, keys?: Float64Array, slots?: Int32Array, base = 0) {
    this.capacity = capacity;
    this.keys = keys ?? new Float64Array(capacity);
    this.slots = slots ?? new Int32Array(capacity);
    this.base = base;
    if (base + capacity > this.keys.length || base + capacity > this.slots.length) throw new Error('internal: sampler buffers too short');
  }

  /** Slot of entry i (0 ≤ i < size; entry 0 has the largest key). */
  slot(i: number): number {
    return this.slots[this.base + i]!;
  }

  get isFull(): boolean {
    return this.size === this.capacity;
  }

  /** True when an entry with this key would be kept. */
  accepts(key: number): boolean {
    return this.size < this.capacity || key < this.keys[this.base]!;
  }

  /**
   * Adds an entry the sampler accepts (check `accepts` first). Returns the evicted slot when the
   * sample was full (the entry with the largest key), or -1.
   */
  add(key: number, slot: number): number {
    const keys = this.keys;
    const slots = this.slots;
    const b = this.base;
    if (this.size < this.capacity) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (keys[b + p]! >= key) break;
        keys[b + i] = keys[b + p]!;
        slots[b + i] = slots[b + p]!;
        i = p;
      }
      keys[b + i] = key;
      slots[b + i] = slot;
      return -1;
    }
    const evicted = slots[b]!;
    this.siftDown(0, key, slot);
    return evicted;
  }

  /** Restores the heap order after keys/slots were filled in bulk (deserialization). */
  heapify(size: number): void {
    this.size = size;
    const b = this.base;
    for (let i = (size >> 1) - 1; i >= 0; i--) this.siftDown(i, this.keys[b + i]!, this.slots[b + i]!);
  }

  /** The largest key kept (the next to be evicted), or -Infinity when empty. */
  get maxKey(): number {
    return this.size > 0 ? this.keys[this.base]! : Number.NEGATIVE_INFINITY;
  }

  private siftDown(start: number, key: number, slot: number): void {
    const keys = this.keys;
    const slots = this.slots;
    const b = this.base;
    const n = this.size;
    let i = start;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && keys[b + c + 1]! > keys[b + c]!) c++;
      if (keys[b + c]! <= key) break;
      keys[b + i] = keys[b + c]!;
      slots[b + i] = slots[b + c]!;
      i = c;
    }
    keys[b + i] = key;
    slots[b + i] = slot;
  }
}
