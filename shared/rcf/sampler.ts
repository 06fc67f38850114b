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
 * acceptance test is one comparison with `keys[0]`.
 */
export class ReservoirSampler {
  readonly capacity: number;
  size = 0;
  readonly keys: Float64Array;
  readonly slots: Int32Array;

  /** `keys` and `slots` may be views into a forest's shared buffers (one allocation for all its samplers). */
  constructor(capacity: number, keys?: Float64Array, slots?: Int32Array) {
    this.capacity = capacity;
    this.keys = keys ?? new Float64Array(capacity);
    this.slots = slots ?? new Int32Array(capacity);
    if (this.keys.length !== capacity || this.slots.length !== capacity) throw new Error('internal: sampler buffers of the wrong length');
  }

  get isFull(): boolean {
    return this.size === this.capacity;
  }

  /** True when an entry with this key would be kept. */
  accepts(key: number): boolean {
    return this.size < this.capacity || key < this.keys[0]!;
  }

  /**
   * Adds an entry the sampler accepts (check `accepts` first). Returns the evicted slot when the
   * sample was full (the entry with the largest key), or -1.
   */
  add(key: number, slot: number): number {
    const keys = this.keys;
    const slots = this.slots;
    if (this.size < this.capacity) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (keys[p]! >= key) break;
        keys[i] = keys[p]!;
        slots[i] = slots[p]!;
        i = p;
      }
      keys[i] = key;
      slots[i] = slot;
      return -1;
    }
    const evicted = slots[0]!;
    this.siftDown(0, key, slot);
    return evicted;
  }

  /** Restores the heap order after keys/slots were filled in bulk (deserialization). */
  heapify(size: number): void {
    this.size = size;
    for (let i = (size >> 1) - 1; i >= 0; i--) this.siftDown(i, this.keys[i]!, this.slots[i]!);
  }

  /** The largest key kept (the next to be evicted), or -Infinity when empty. */
  get maxKey(): number {
    return this.size > 0 ? this.keys[0]! : Number.NEGATIVE_INFINITY;
  }

  private siftDown(start: number, key: number, slot: number): void {
    const keys = this.keys;
    const slots = this.slots;
    const n = this.size;
    let i = start;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && keys[c + 1]! > keys[c]!) c++;
      if (keys[c]! <= key) break;
      keys[i] = keys[c]!;
      slots[i] = slots[c]!;
      i = c;
    }
    keys[i] = key;
    slots[i] = slot;
  }
}
