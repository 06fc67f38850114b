/**
 * Float32 points shared by all trees of a forest. A point accepted by several trees' samplers is stored
 * once; a slot is freed when no sampler entry and no tree leaf refers to it any more.
 * `seq` is the update number that produced the point: the sampler keys are a function of it, which
 * lets serialization regenerate keys instead of storing them (see serialization.ts).
 */
export class PointStore {
  readonly dims: number;
  coords: Float32Array;
  refs: Int32Array;
  seq: Float64Array;
  private free: Int32Array;
  private freeTop = 0;
  private used = 0; // slots ever handed out: slots >= used were never touched
  private live = 0;

  constructor(dims: number, initialCapacity: number) {
    this.dims = dims;
    const cap = Math.max(16, initialCapacity);
    this.coords = new Float32Array(cap * dims);
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
      if (this.used === this.refs.length) this.grow();
      slot = this.used++;
    }
    this.coords.set(point.subarray(0, this.dims), slot * this.dims);
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
    } else if (r < 0) throw new Error(`internal: point slot ${slot} released more often than referenced`);
  }

  /** Bytes held by the typed arrays (for heap reports). */
  get byteLength(): number {
    return this.coords.byteLength + this.refs.byteLength + this.seq.byteLength + this.free.byteLength;
  }

  private grow(): void {
    const cap = this.refs.length * 2;
    const coords = new Float32Array(cap * this.dims);
    coords.set(this.coords);
    this.coords = coords;
    const refs = new Int32Array(cap);
    refs.set(this.refs);
    this.refs = refs;
    const seq = new Float64Array(cap);
    seq.set(this.seq);
    this.seq = seq;
    const free = new Int32Array(cap);
    free.set(this.free);
    this.free = free;
  }
}
