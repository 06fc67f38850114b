import { HotspotsStateError } from './errors';

/**
 * The byte format a hotspots window is carried in between invokes (one DynamoDB binary attribute): a 12-byte header
 * (magic "HS", version, columns, window size, point count), then the points oldest first as little-endian float64s.
 * The points are all a window needs: everything else is rebuilt by pushing them again.
 */

const STATE_MAGIC = 0x4853; // "HS"
const STATE_VERSION = 1;
const STATE_HEADER = 12;

/** `count` points of `dimensions` values; `value(k, i)` is value i of the k-th oldest point. */
export function encodeWindowPoints(
  windowSize: number,
  dimensions: number,
  count: number,
  value: (k: number, i: number) => number,
): Uint8Array {
  const d = dimensions;
  const bytes = new Uint8Array(STATE_HEADER + count * d * 8);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, STATE_MAGIC, true);
  view.setUint8(2, STATE_VERSION);
  view.setUint8(3, d);
  view.setUint32(4, windowSize, true);
  view.setUint32(8, count, true);
  let at = STATE_HEADER;
  for (let k = 0; k < count; k++) for (let i = 0; i < d; i++, at += 8) view.setFloat64(at, value(k, i), true);
  return bytes;
}

/**
 * Calls `point` with each of the newest `keep` saved points, oldest first (the array is reused). Throws
 * HotspotsStateError when the bytes are not a saved window of `dimensions` columns.
 */
export function decodeWindowPoints(bytes: Uint8Array, dimensions: number, keep: number, point: (values: Float64Array) => void): void {
  if (bytes.length < STATE_HEADER) throw new HotspotsStateError(`saved hotspots window is ${bytes.length} bytes, shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0, true) !== STATE_MAGIC || view.getUint8(2) !== STATE_VERSION) {
    throw new HotspotsStateError('not a saved hotspots window (wrong magic number or version)');
  }
  const d = view.getUint8(3);
  const n = view.getUint32(8, true);
  if (d !== dimensions) throw new HotspotsStateError(`saved hotspots window has ${d} columns, the detector has ${dimensions}`);
  if (bytes.length !== STATE_HEADER + n * d * 8)
    throw new HotspotsStateError(`saved hotspots window of ${n} points should be ${STATE_HEADER + n * d * 8} bytes, is ${bytes.length}`);
  const values = new Float64Array(d);
  for (let k = Math.max(0, n - keep); k < n; k++) {
    for (let i = 0; i < d; i++) values[i] = view.getFloat64(STATE_HEADER + (k * d + i) * 8, true);
    point(values);
  }
}
