import { HotspotsWindow, type Hotspot } from '../../../shared/hotspots';
import { referenceHotspots } from './reference';
import { noiseWithClusters, rng } from './synthetic';

const canonical = (hs: Hotspot[]) =>
  [...hs].sort((a, b) => {
    for (let i = 0; i < a.minValues.length; i++) if (a.minValues[i] !== b.minValues[i]) return a.minValues[i]! - b.minValues[i]!;
    for (let i = 0; i < a.maxValues.length; i++) if (a.maxValues[i] !== b.maxValues[i]) return a.maxValues[i]! - b.maxValues[i]!;
    return a.count - b.count;
  });

/** Pushes the stream and, after every point, compares the window's hotspots with the brute-force DBSCAN of its points. */
function expectExact(stream: number[][], windowSize: number, scanRadius: number, minPoints: number): number {
  const window = new HotspotsWindow({ windowSize, scanRadius, minPoints, dimensions: stream[0]!.length });
  let nonEmpty = 0;
  stream.forEach((point, step) => {
    window.push(point);
    const got = canonical(window.hotspots());
    const want = canonical(referenceHotspots(stream.slice(Math.max(0, step + 1 - windowSize), step + 1), scanRadius, minPoints));
    if (got.length) nonEmpty++;
    try {
      expect(got.map((h) => [h.count, h.minValues, h.maxValues])).toEqual(want.map((h) => [h.count, h.minValues, h.maxValues]));
      got.forEach((h, k) => {
        expect(h.density).toBeCloseTo(want[k]!.density, 9);
        h.centroid.forEach((c, i) => expect(c).toBeCloseTo(want[k]!.centroid[i]!, 9));
      });
    } catch (error) {
      throw new Error(`differs from the brute-force reference after point ${step + 1}: ${(error as Error).message}`, { cause: error });
    }
  });
  return nonEmpty;
}

describe('the incremental window computes exactly the brute-force DBSCAN hotspots of its points', () => {
  it.each([1, 2, 3, 4])('on clustered 2-D streams through many evictions (seed %i)', (seed) => {
    const random = rng(seed);
    const { stream } = noiseWithClusters(random, { min: [0, 0], max: [4, 4] }, 700, [
      { center: [1, 1], radius: 0.25, points: 120 },
      { center: [2.6, 3], radius: 0.4, points: 120 },
      { center: [3.2, 0.8], radius: 0.15, points: 60 },
    ]);
    const nonEmpty = expectExact(stream, 80, 0.2, 5);
    expect(nonEmpty).toBeGreaterThan(100);
  });

  it('on a lattice where many neighbours sit at exactly the scan radius, with repeated points', () => {
    const random = rng(11);
    const stream = Array.from({ length: 600 }, () => [Math.floor(random() * 8), Math.floor(random() * 8)]);
    expect(expectExact(stream, 60, 1, 4)).toBeGreaterThan(100);
  });

  it('on a lattice of quarter units (scan radius 0.25 is exact in binary)', () => {
    const random = rng(12);
    const stream = Array.from({ length: 500 }, () => [Math.floor(random() * 10) * 0.25, Math.floor(random() * 10) * 0.25]);
    expect(expectExact(stream, 70, 0.25, 6)).toBeGreaterThan(50);
  });

  it('with one column, three columns and five columns', () => {
    const random = rng(13);
    const one = Array.from({ length: 400 }, () => [random() < 0.4 ? 5 + random() * 0.5 : random() * 20]);
    expect(expectExact(one, 50, 0.1, 4)).toBeGreaterThan(50);
    const three = noiseWithClusters(random, { min: [0, 0, 0], max: [3, 3, 3] }, 400, [
      { center: [1, 1, 1], radius: 0.3, points: 150 },
    ]).stream;
    expect(expectExact(three, 60, 0.25, 4)).toBeGreaterThan(50);
    const five = noiseWithClusters(random, { min: [0, 0, 0, 0, 0], max: [2, 2, 2, 2, 2] }, 300, [
      { center: [1, 1, 1, 1, 1], radius: 0.3, points: 150 },
    ]).stream;
    expect(expectExact(five, 40, 0.3, 3)).toBeGreaterThan(20);
  });

  it('with the smallest minimum (2: any two points within the radius form a hotspot)', () => {
    const random = rng(14);
    const stream = Array.from({ length: 400 }, () => [random() * 3, random() * 3]);
    expect(expectExact(stream, 40, 0.2, 2)).toBeGreaterThan(100);
  });

  it('with negative coordinates (longitudes west of Greenwich) and large offsets', () => {
    const random = rng(15);
    const { stream } = noiseWithClusters(random, { min: [-74.3, 40.5], max: [-73.7, 40.9] }, 500, [
      { center: [-74.0, 40.7], radius: 0.01, points: 150 },
    ]);
    expect(expectExact(stream, 100, 0.008, 6)).toBeGreaterThan(50);
  });
});
