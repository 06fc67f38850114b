/**
 * Float32 points shared by all trees of a forest. A point accepted by several trees' samplers is stored
 * once; a slot is freed when no sampler entry and no tree leaf refers to it any more.
 * `seq` is the update number that produced the point: the sampler keys are a function of it, which
 * lets serialization regenerate keys instead of storing them (see forest.ts).
 *
 * Shingled points (shingleSize > 1) are kept as a stream of records, not one copy per point: consecutive
 * shingles share all but their newest record, so point t is a window of `dims` floats that starts where
 * point t−1's window starts plus one record. A point is appended as its new records only when its older
 * records are already the tail of the stream (checked value by value, so any caller stays correct);
 * otherwise it is appended whole. Memory is then O(records·columns) instead of O(points·columns·shingle)
 * when the samplers keep runs of consecutive updates (short timeDecay, the first ~1/λ updates). The stream
 * is compacted (live windows moved down, in order) when it fills up. Unshingled points keep one fixed
 * `dims`-float place per slot, as before.
 *
 * Readers address a slot's coordinates as `coords[offsets[slot] + i]`; `coords` may be replaced by `add`
 * (growth or compaction), so read it again after every `add`.
 */
const MIN_STREAM_FLOATS = 1024;

export class PointStore {
  readonly dims: number;
  /** Values per record (the forest's columns); `dims / columns` is the shingle size. */
  readonly columns: number;
  coords: Float32Array;
  offsets: Int32Array;
  refs: Int32Array;
  seq: Float64Array;
  private free: Int32Array;
  private freeTop = 0;
  private used = 0; // slots ever handed out: slots >= used were never touched
  private live = 0;
  /** Points are shingles kept as a stream of records (offsets move on compaction), not a fixed place per slot. */
  readonly shingled: boolean;
  /** Times the stream was compacted: offsets of live slots change each time (see RcfTree.refreshOffsets). */
  compactions = 0;
  /** Floats of `coords` in use (shingled stream only). */
  private end = 0;
  /** Slot whose window ends at `end` (the last appended point), or -1. */
  private tailSlot = -1;

  constructor(dims: number, initialCapacity: number, columns = dims) {
    if (!(columns >= 1 && dims % columns === 0)) throw new Error(`internal: ${dims} dimensions are not whole records of ${columns}`);
    this.dims = dims;
    this.columns = columns;
    this.shingled = columns < dims;
    const cap = Math.max(16, initialCapacity);
    // A shingled stream gets some room from the start, so a small forest does not compact every few points.
    this.coords = new Float32Array(this.shingled ? Math.max(cap * columns + dims, MIN_STREAM_FLOATS) : cap * dims);
    this.offsets = new Int32Array(cap);
    this.refs = new Int32Array(cap);
    this.seq = new Float64Array(cap);
    this.free = new Int32Array(cap);
  }

  get capacity(): number {
    return this.refs.length;
  }

  /** Slots currently referenced. */
  get size(): number {
    return this.live;
  }

  /** Copies `point` into a fresh slot with no references; the caller adds them. */
  add(point: Float32Array, seq: number): number {
    let slot: number;
    if (this.freeTop > 0) slot = this.free[--this.freeTop]!;
    else {
      if (this.used === this.refs.length) this.growSlots();
      slot = this.used++;
    }
    const d = this.dims;
    if (!this.shingled) {
      this.coords.set(point.subarray(0, d), slot * d);
      this.offsets[slot] = slot * d;
    } else {
      this.offsets[slot] = this.append(point, seq);
      this.tailSlot = slot;
    }
    this.refs[slot] = 0;
    this.seq[slot] = seq;
    this.live++;
    return slot;
  }

  incRef(slot: number): void {
    this.refs[slot]!++;
  }

  decRef(slot: number): void {
    const r = --this.refs[slot]!;
    if (r === 0) {
      this.free[this.freeTop++] = slot;
      this.live--;
      if (slot === this.tailSlot) this.tailSlot = -1;
    } else if (r < 0) throw new Error(`internal: point slot ${slot} released more often than referenced`);
  }

  /** Copies slot's coordinates into `out` (tests, serialization). */
  read(slot: number, out: Float32Array = new Float32Array(this.dims)): Float32Array {
    const o = this.offsets[slot]!;
    out.set(this.coords.subarray(o, o + this.dims));
    return out;
  }

  /** Bytes held by the typed arrays (for heap reports). */
  get byteLength(): number {
    return this.coords.byteLength + this.offsets.byteLength + this.refs.byteLength + this.seq.byteLength + this.free.byteLength;
  }

  /** Floats of the coordinate storage in use: the shingled stream's length, or slots × dims. */
  get storedFloats(): number {
    return this.shingled ? this.end : this.used * this.dims;
  }

  /** Appends a shingled point to the stream, sharing the records it has in common with the tail; returns its offset. */
  private append(point: Float32Array, seq: number): number {
    const d = this.dims;
    const cols = this.columns;
    const tail = this.tailSlot;
    let shared = 0; // floats of `point` already at the end of the stream
    if (tail >= 0) {
      const step = seq - this.seq[tail]!;
      if (step >= 1 && step * cols < d) {
        shared = d - step * cols;
        const c = this.coords;
        const from = this.end - shared;
        for (let i = 0; i < shared; i++) {
          if (c[from + i] !== point[i]) {
            shared = 0;
            break;
          }
        }
      }
    }
    const need = d - shared;
    if (this.end + need > this.coords.length) {
      this.compact();
      if (this.tailSlot < 0) shared = 0; // compaction keeps the tail only if it is still referenced
    }
    const offset = this.end - shared;
    const c = this.coords;
    let e = this.end;
    for (let i = shared; i < d; i++) c[e++] = point[i]!;
    this.end = e;
    return offset;
  }

  /**
   * Moves every referenced window down over the unreferenced ones (keeping stream order, so windows that
   * overlapped still overlap), then grows the array if it is more than half full.
   */
  private compact(): void {
    const d = this.dims;
    const n = this.used;
    // Live slots in offset order; offsets < 2^31 and slots < 2^21 pack exactly into a double.
    const order = new Float64Array(this.live);
    let k = 0;
    for (let s = 0; s < n; s++) if (this.refs[s]! > 0) order[k++] = this.offsets[s]! * 2097152 + s;
    const live = order.subarray(0, k).sort();
    // Merge overlapping windows into runs and place them contiguously.
    let floats = 0;
    let runEnd = -1; // end of the current run in old coordinates
    let shift = 0; // old offset - new offset for the current run
    const newOffsets: number[] = [];
    for (let j = 0; j < k; j++) {
      const old = Math.floor(live[j]! / 2097152);
      if (old >= runEnd) {
        shift = old - floats;
        floats += d;
      } else floats += Math.max(0, old + d - runEnd);
      runEnd = Math.max(runEnd, old + d);
      newOffsets.push(old - shift);
    }
    const cap = Math.max(this.coords.length, 2 * floats + 2 * d);
    const target = cap === this.coords.length ? this.coords : new Float32Array(cap);
    runEnd = -1;
    let written = 0;
    for (let j = 0; j < k; j++) {
      const old = Math.floor(live[j]! / 2097152);
      const from = Math.max(old, runEnd);
      const to = old + d;
      if (to > from) {
        // Destination never passes the source (windows are visited in order), so an in-place copy is safe.
        if (target === this.coords) target.copyWithin(written, from, to);
        else target.set(this.coords.subarray(from, to), written);
        written += to - from;
      }
      runEnd = Math.max(runEnd, to);
      this.offsets[live[j]! % 2097152] = newOffsets[j]!;
    }
    this.coords = target;
    this.end = written;
    this.compactions++;
    // The tail slot, if still referenced, is the last window, so it still ends at `end`.
  }

  /**
   * Room for `slots` slots and, in a shingled store, a stream of `floats` floats, allocated once (a reload knows
   * both: growing and compacting point by point cost it several copies of the stream).
   */
  reserve(slots: number, floats: number): void {
    if (slots > this.refs.length) this.growSlots(slots);
    if (this.shingled && floats > this.coords.length) {
      const coords = new Float32Array(floats);
      coords.set(this.coords.subarray(0, this.end));
      this.coords = coords;
    }
  }

  private growSlots(capacity = this.refs.length * 2): void {
    const cap = capacity;
    const grow = <T extends Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a);
      return b;
    };
    this.offsets = grow(this.offsets);
    this.refs = grow(this.refs);
    this.seq = grow(this.seq);
    this.free = grow(this.free);
    if (!this.shingled) {
      const coords = new Float32Array(cap * this.dims);
      coords.set(this.coords.subarray(0, Math.min(this.coords.length, coords.length)));
      this.coords = coords;
    }
  }
}
