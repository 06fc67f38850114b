import { RcfStateError } from './errors';

/** Growable little-endian byte buffer with unsigned varints (exact up to 2^53). */
export class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(x: number): void {
    this.ensure(1);
    this.buf[this.length++] = x;
  }

  u32(x: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, x >>> 0, true);
    this.length += 4;
  }

  f64(x: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, x, true);
    this.length += 8;
  }

  varint(x: number): void {
    if (!Number.isSafeInteger(x) || x < 0) throw new Error(`internal: varint out of range: ${x}`);
    this.ensure(8);
    while (x >= 128) {
      this.buf[this.length++] = (x % 128) | 128;
      x = Math.floor(x / 128);
    }
    this.buf[this.length++] = x;
  }

  /** float32 values as four byte planes (all first bytes, then all second bytes…): similar exponents and signs line up, which deflate compresses far better. */
  f32Planes(values: Float32Array): void {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const n = values.length;
    this.ensure(4 * n);
    for (let plane = 0; plane < 4; plane++) {
      for (let i = 0; i < n; i++) this.buf[this.length++] = bytes[4 * i + plane]!;
    }
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export class ByteReader {
  private readonly view: DataView;
  pos = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RcfStateError('forest state is truncated');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const x = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return x;
  }

  f64(): number {
    this.need(8);
    const x = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return x;
  }

  varint(): number {
    let x = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8();
      x += (b & 127) * scale;
      if (b < 128) return x;
      scale *= 128;
      if (scale > 2 ** 56) throw new RcfStateError('forest state has a malformed number');
    }
  }

  f32Planes(n: number): Float32Array {
    this.need(4 * n);
    const out = new Float32Array(n);
    const bytes = new Uint8Array(out.buffer);
    for (let plane = 0; plane < 4; plane++) {
      for (let i = 0; i < n; i++) bytes[4 * i + plane] = this.buf[this.pos++]!;
    }
    return out;
  }

  get done(): boolean {
    return this.pos === this.buf.length;
  }
}
