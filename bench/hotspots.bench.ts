import { HotspotsWindow, type HotspotsOptions } from '../shared/hotspots';
import { noiseWithClusters, rng } from '../test/unit/hotspots/synthetic';
import type { BenchReport } from './types';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** 1,000 points over 10 × 10 per window: 70 % uniform noise, 30 % in three crowds (the players scenario's shape). */
function playersLike(points: number, seed: number, side = 10, clustered = 0.3): number[][] {
  const perCluster = Math.round((points * clustered) / 3);
  const s = side / 10;
  return noiseWithClusters(rng(seed), { min: [0, 0], max: [side, side] }, points, [
    { center: [2 * s, 3 * s], radius: 0.3 * s, points: perCluster },
    { center: [7 * s, 7.5 * s], radius: 0.25 * s, points: perCluster },
    { center: [6 * s, 2 * s], radius: 0.35 * s, points: perCluster },
  ]).stream;
}

/** Median over runs of µs per point, after the window is full; `each` runs after every push (e.g. building the result). */
function perPoint(options: HotspotsOptions, stream: number[][], each: (w: HotspotsWindow) => unknown, runs = 7): number {
  const times: number[] = [];
  let sink = 0;
  for (let run = 0; run < runs; run++) {
    const window = new HotspotsWindow(options);
    const warm = options.windowSize;
    for (let i = 0; i < warm; i++) window.push(stream[i]!);
    const started = process.hrtime.bigint();
    for (let i = warm; i < stream.length; i++) {
      window.push(stream[i]!);
      const r = each(window);
      if (typeof r === 'string') sink += r.length;
    }
    const us = Number(process.hrtime.bigint() - started) / 1e3;
    if (run > 0) times.push(us / (stream.length - warm));
  }
  if (sink < 0) console.log(sink);
  return median(times);
}

export default async function hotspotsBench(): Promise<BenchReport> {
  const options: HotspotsOptions = { windowSize: 1000, scanRadius: 0.15, minPoints: 10, dimensions: 2 };
  const stream = playersLike(21_000, 1);
  const pushOnly = perPoint(options, stream, () => undefined);
  const withResult = perPoint(options, stream, (w) => w.result());
  const withJson = perPoint(options, stream, (w) => JSON.stringify(w.result()));
  const check = new HotspotsWindow(options);
  stream.slice(0, 5000).forEach((p) => check.push(p));
  const hotspotsFound = check.hotspots().length;

  // The same local crowding in windows of 100 to 10,000 points (box and crowds grow with the window): time per point should not grow.
  const scaling = [100, 1000, 10_000].map((size) => {
    const side = 10 * Math.sqrt(size / 1000);
    const s = playersLike(size + 20_000, 2, side);
    return { size, us: perPoint({ ...options, windowSize: size, minPoints: Math.min(10, size) }, s, (w) => w.result(), 5) };
  });

  // Everyone crowding: every point in a crowd, ~25 neighbours each.
  const crowded = perPoint(options, playersLike(21_000, 3, 10, 1), (w) => w.result());

  // What the hotspots Lambda carries between tumbling windows, and the cost of rebuilding a window from it.
  const full = new HotspotsWindow(options);
  stream.slice(0, 1000).forEach((p) => full.push(p));
  const bytes = full.toBytes();
  const restores: number[] = [];
  for (let i = 0; i < 9; i++) {
    const started = process.hrtime.bigint();
    HotspotsWindow.fromBytes(options, bytes);
    restores.push(Number(process.hrtime.bigint() - started) / 1e6);
  }

  return {
    name: 'hotspots',
    figures: {
      'window size': options.windowSize,
      'scan radius / min points': `${options.scanRadius} / ${options.minPoints} over a 10 × 10 box, 30 % of points in 3 crowds`,
      'hotspots in the window': hotspotsFound,
      'µs/point, push only': round(pushOnly),
      'µs/point, push + HOTSPOTS_RESULT': round(withResult),
      'µs/point, push + HOTSPOTS_RESULT as JSON text': round(withJson),
      'µs/point, every point in a crowd (push + result)': round(crowded),
      ...Object.fromEntries(scaling.map((x) => [`µs/point, window ${x.size} at the same crowding (push + result)`, round(x.us)])),
      'saved window, bytes (1,000 points × 2 columns)': bytes.length,
      'rebuild a 1,000-point window from its bytes, ms': round(median(restores), 3),
    },
    targets: [
      {
        name: 'time per point, 1,000-point window (push + HOTSPOTS_RESULT)',
        value: `${round(withResult)} µs`,
        target: '≤ 20 µs',
        met: withResult <= 20,
      },
    ],
  };
}
