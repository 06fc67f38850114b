import {
  densityOf,
  HotspotsInputError,
  HotspotsParameterError,
  HotspotsStateError,
  HotspotsWindow,
  type Hotspot,
  type HotspotsOptions,
} from '../../../shared/hotspots';
import { noiseWithClusters, rng, uniformPoint, type Planted } from './synthetic';

const BOX = { min: [0, 0], max: [10, 10] };
/** 1,000 points over 10 × 10: a scan radius of 0.15 holds 0.6 noise neighbours on average. */
const OPTIONS: HotspotsOptions = { windowSize: 1000, scanRadius: 0.15, minPoints: 10, dimensions: 2 };

const contains = (h: Hotspot, p: number[]) => p.every((v, i) => v >= h.minValues[i]! && v <= h.maxValues[i]!);

function run(options: HotspotsOptions, stream: number[][]): HotspotsWindow {
  const window = new HotspotsWindow(options);
  for (const p of stream) window.push(p);
  return window;
}

describe('planted clusters in uniform noise', () => {
  const clusters = [
    { center: [2, 3], radius: 0.3, points: 100 },
    { center: [7, 7.5], radius: 0.25, points: 80 },
    { center: [6, 2], radius: 0.35, points: 120 },
  ];

  it.each([1, 2, 3])('are found with bounds containing all their points (seed %i)', (seed) => {
    const { stream, planted } = noiseWithClusters(rng(seed), BOX, 1000, clusters);
    const found = run(OPTIONS, stream).hotspots();
    expect(found).toHaveLength(3);
    for (const cluster of planted) {
      const match = found.filter((h) => contains(h, cluster.center));
      expect(match).toHaveLength(1);
      for (const p of cluster.points) expect(contains(match[0]!, p)).toBe(true);
      // Bounds no wider than the ball plus the radius a border point may reach beyond it.
      match[0]!.minValues.forEach((v, i) => expect(v).toBeGreaterThanOrEqual(cluster.center[i]! - cluster.radius - OPTIONS.scanRadius));
      match[0]!.maxValues.forEach((v, i) => expect(v).toBeLessThanOrEqual(cluster.center[i]! + cluster.radius + OPTIONS.scanRadius));
      expect(match[0]!.count).toBeGreaterThanOrEqual(cluster.points.length);
    }
  });

  it.each([1, 2, 3])('are denser than every hotspot that noise alone forms under a low minimum (seed %i)', (seed) => {
    const { stream, planted } = noiseWithClusters(rng(seed), BOX, 1000, clusters);
    const found = run({ ...OPTIONS, minPoints: 4 }, stream).hotspots();
    const isPlanted = (h: Hotspot) => planted.some((c: Planted) => contains(h, c.center));
    const plantedOnes = found.filter(isPlanted);
    const noiseOnes = found.filter((h) => !isPlanted(h));
    expect(plantedOnes).toHaveLength(3);
    expect(noiseOnes.length).toBeGreaterThan(0);
    const weakestPlanted = Math.min(...plantedOnes.map((h) => h.density));
    const densestNoise = Math.max(...noiseOnes.map((h) => h.density));
    expect(weakestPlanted).toBeGreaterThan(2 * densestNoise);
    // Densest first, so the planted crowds lead the result.
    expect(found.slice(0, 3).every(isPlanted)).toBe(true);
  });
});

describe('uniform noise', () => {
  it('forms no hotspot under a sensible minimum, in any window of a long stream', () => {
    const random = rng(7);
    const window = new HotspotsWindow(OPTIONS);
    for (let i = 1; i <= 5000; i++) {
      window.push(uniformPoint(random, BOX));
      if (i % 50 === 0) expect(window.hotspots()).toEqual([]);
    }
  });
});

describe('the sliding window', () => {
  it('forgets a cluster once its points have left the last windowSize points', () => {
    const random = rng(8);
    const { stream: crowd } = noiseWithClusters(random, { min: [4.7, 4.7], max: [5.3, 5.3] }, 100, [
      { center: [5, 5], radius: 0.3, points: 100 },
    ]);
    const window = new HotspotsWindow({ ...OPTIONS, windowSize: 500 });
    for (const p of crowd) window.push(p);
    expect(window.hotspots()).toHaveLength(1);
    // 400 noise points later the crowd is still the whole oldest part of the window.
    for (let i = 0; i < 400; i++) window.push(uniformPoint(random, BOX));
    const still = window.hotspots();
    expect(still.some((h) => contains(h, [5, 5]))).toBe(true);
    // Each further point pushes one crowd point out; after 100 more none is left.
    let lastCount = still.find((h) => contains(h, [5, 5]))!.count;
    for (let i = 0; i < 100; i++) {
      window.push(uniformPoint(random, BOX));
      const h = window.hotspots().find((x) => contains(x, [5, 5]));
      if (h) {
        expect(h.count).toBeLessThanOrEqual(lastCount);
        lastCount = h.count;
      }
    }
    expect(window.size).toBe(500);
    expect(window.hotspots().some((h) => contains(h, [5, 5]))).toBe(false);
  });

  it('keeps the last windowSize points, oldest first', () => {
    const window = new HotspotsWindow({ windowSize: 3, scanRadius: 1, minPoints: 2, dimensions: 1 });
    [[1], [2], [3], [4], [5]].forEach((p) => window.push(p));
    expect(window.points()).toEqual([[3], [4], [5]]);
    expect(window.pushed).toBe(5);
  });
});

describe("KDA's HOTSPOTS_RESULT", () => {
  it('has exactly the shape KDA emitted: {"hotspots":[{"density","minValues","maxValues"}]}', () => {
    const { stream } = noiseWithClusters(rng(9), BOX, 1000, [{ center: [3, 3], radius: 0.3, points: 80 }]);
    const window = run(OPTIONS, stream);
    const parsed = JSON.parse(JSON.stringify(window.result())) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['hotspots']);
    const hotspots = parsed.hotspots as Array<Record<string, unknown>>;
    expect(hotspots.length).toBeGreaterThan(0);
    for (const h of hotspots) {
      expect(Object.keys(h).sort()).toEqual(['density', 'maxValues', 'minValues']);
      expect(typeof h.density).toBe('number');
      for (const key of ['minValues', 'maxValues']) {
        expect(h[key]).toHaveLength(2);
        expect((h[key] as unknown[]).every((v) => typeof v === 'number' && Number.isFinite(v))).toBe(true);
      }
    }
  });

  it('is {"hotspots":[]} when there is none, as for the first point of a stream', () => {
    const window = new HotspotsWindow(OPTIONS);
    expect(JSON.stringify(window.process([1, 1]))).toBe('{"hotspots":[]}');
  });
});

describe('density', () => {
  it('is the hotspot share of the window points over its share of the window box, sides padded by one scan radius', () => {
    // Window box 0..9 on both axes (+1 radius = 10); the hotspot: 4 points in 0..1 × 0..1 (+1 = 2).
    const window = new HotspotsWindow({ windowSize: 8, scanRadius: 1, minPoints: 3, dimensions: 2 });
    for (const p of [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
      [9, 9],
      [9, 0],
      [0, 9],
      [5, 5],
    ])
      window.push(p);
    const [h, ...rest] = window.hotspots();
    expect(rest).toEqual([]);
    // (4 / 8) ÷ ((2 / 10) × (2 / 10)) = 12.5
    expect(h).toEqual({ density: 12.5, minValues: [0, 0], maxValues: [1, 1], count: 4, centroid: [0.5, 0.5] });
    expect(densityOf(4, 8, [0, 0], [1, 1], [0, 0], [9, 9], 1)).toBe(12.5);
  });

  it('is finite when every point of a hotspot is the same point', () => {
    const window = new HotspotsWindow({ windowSize: 10, scanRadius: 0.5, minPoints: 3, dimensions: 2 });
    for (let i = 0; i < 3; i++) window.push([1, 1]);
    window.push([4, 4]);
    const [h] = window.hotspots();
    expect(h!.count).toBe(3);
    expect(h!.density).toBeCloseTo((3 / 4) * (3.5 / 0.5) ** 2, 12);
  });

  it('is about 1 for a hotspot no denser than its window', () => {
    const random = rng(10);
    const window = new HotspotsWindow({ windowSize: 400, scanRadius: 0.2, minPoints: 3, dimensions: 2 });
    for (let i = 0; i < 400; i++) window.push(uniformPoint(random, { min: [0, 0], max: [2, 2] }));
    // At this crowding almost every point is core and they all connect: one hotspot spanning the window.
    const [h] = window.hotspots();
    expect(h!.count).toBeGreaterThan(390);
    expect(h!.density).toBeGreaterThan(0.95);
    expect(h!.density).toBeLessThan(1.05);
  });
});

describe('a border point next to two hotspots', () => {
  it('belongs to both, whatever the arrival order', () => {
    // Two crowds 2 apart on the x axis with one lone point halfway, within the radius (1) of one core point of each.
    const left = [
      [0, 0],
      [-0.5, 0],
      [-0.5, 0.5],
      [0, 0.5],
    ];
    const right = [
      [2, 0],
      [2.5, 0],
      [2.5, 0.5],
      [2, 0.5],
    ];
    const middle = [1, 0];
    for (const order of [
      [...left, middle, ...right],
      [middle, ...right, ...left],
      [...right, ...left, middle],
    ]) {
      const window = new HotspotsWindow({ windowSize: 20, scanRadius: 1, minPoints: 4, dimensions: 2 });
      order.forEach((p) => window.push(p));
      const hs = window.hotspots();
      expect(hs).toHaveLength(2);
      expect(hs.map((h) => h.count)).toEqual([5, 5]);
      expect(hs.every((h) => contains(h, middle))).toBe(true);
    }
  });
});

describe('parameters and input', () => {
  it('rejects parameters out of range with the parameter and its range in the message', () => {
    const bad: Array<[Partial<HotspotsOptions>, RegExp]> = [
      [{ windowSize: 1 }, /windowSize must be an integer from 2 to 100000, got 1/],
      [{ windowSize: 10.5 }, /windowSize must be an integer/],
      [{ scanRadius: 0 }, /scanRadius must be a finite number greater than 0, got 0/],
      [{ scanRadius: Number.NaN }, /scanRadius must be a finite number/],
      [{ minPoints: 1 }, /minPoints must be an integer from 2 to 1000, got 1/],
      [{ minPoints: 1001 }, /minPoints must be an integer from 2 to 1000/],
      [{ dimensions: 0 }, /dimensions must be an integer from 1 to 10/],
    ];
    for (const [change, message] of bad) {
      expect(() => new HotspotsWindow({ ...OPTIONS, ...change })).toThrow(HotspotsParameterError);
      expect(() => new HotspotsWindow({ ...OPTIONS, ...change })).toThrow(message);
    }
  });

  it('rejects a point with the wrong number of values or a value that is not a finite number, and keeps the window as it was', () => {
    const window = new HotspotsWindow(OPTIONS);
    window.push([1, 2]);
    expect(() => window.push([1])).toThrow(new HotspotsInputError('a point has 2 values, got 1'));
    expect(() => window.push([1, Number.NaN])).toThrow(/value 2 of the point is not a finite number: NaN/);
    expect(() => window.push([Infinity, 1])).toThrow(HotspotsInputError);
    expect(() => window.push([1e300, 1])).toThrow(/more than 2\^30 scan radii/);
    expect(window.points()).toEqual([[1, 2]]);
  });
});

/** Equal but for the last bits of the centroid, whose sums ran in another order. */
function expectSame(got: Hotspot[], want: Hotspot[]): void {
  expect(got.map(({ centroid: _, ...rest }) => rest)).toEqual(want.map(({ centroid: _, ...rest }) => rest));
  got.forEach((h, k) => h.centroid.forEach((c, i) => expect(c).toBeCloseTo(want[k]!.centroid[i]!, 12)));
  expect(got.length).toBeGreaterThan(0);
}

describe('saving the window', () => {
  it('restores the same hotspots from its bytes, and carries on identically', () => {
    const { stream } = noiseWithClusters(rng(21), BOX, 1500, [{ center: [4, 4], radius: 0.3, points: 150 }]);
    const a = run(OPTIONS, stream.slice(0, 1200));
    const bytes = a.toBytes();
    expect(bytes.length).toBe(12 + 1000 * 2 * 8);
    const b = HotspotsWindow.fromBytes(OPTIONS, bytes);
    expectSame(b.hotspots(), a.hotspots());
    for (const p of stream.slice(1200)) {
      a.push(p);
      b.push(p);
    }
    expectSame(b.hotspots(), a.hotspots());
  });

  it('keeps only the newest points when the window shrank, and refuses bytes of another shape', () => {
    const a = run({ windowSize: 5, scanRadius: 1, minPoints: 2, dimensions: 1 }, [[1], [2], [3], [4], [5]]);
    expect(HotspotsWindow.fromBytes({ windowSize: 3, scanRadius: 1, minPoints: 2, dimensions: 1 }, a.toBytes()).points()).toEqual([
      [3],
      [4],
      [5],
    ]);
    expect(() => HotspotsWindow.fromBytes({ windowSize: 5, scanRadius: 1, minPoints: 2, dimensions: 2 }, a.toBytes())).toThrow(
      HotspotsStateError,
    );
    expect(() => HotspotsWindow.fromBytes({ windowSize: 5, scanRadius: 1, minPoints: 2, dimensions: 1 }, a.toBytes().slice(0, 20))).toThrow(
      /should be 52 bytes/,
    );
    expect(() => HotspotsWindow.fromBytes({ windowSize: 5, scanRadius: 1, minPoints: 2, dimensions: 1 }, new Uint8Array(16))).toThrow(
      /not a saved hotspots window/,
    );
  });
});
