import { HotspotsParameterError } from './errors';

/**
 * What HOTSPOTS is, apart from how it is computed: its parameters and their ranges, a hotspot and KDA's result
 * shape, the density figure and the order hotspots are listed in (docs/hotspots.md). The computation is
 * ./window.ts over ./grid.ts (neighbours) and ./components.ts (connected core points); ./byte-format.ts carries
 * a window between invokes.
 */

export interface HotspotsOptions {
  /** Points in the sliding window (KDA allowed 100–1000; 2–100,000 here). */
  windowSize: number;
  /** Neighbourhood radius, in the units of the data (DBSCAN's ε). */
  scanRadius: number;
  /** Points within scanRadius, the point itself included, that make a point a core point (2…windowSize). */
  minPoints: number;
  /** Numeric columns per point. */
  dimensions: number;
}

/** One hotspot: KDA's three fields plus what KDA did not return but a store of results wants. */
export interface Hotspot {
  /** (points in the hotspot ÷ points in the window) ÷ (hotspot box volume ÷ window box volume); see densityOf. */
  density: number;
  minValues: number[];
  maxValues: number[];
  /** Points in the hotspot (core and border). */
  count: number;
  /** Mean of the hotspot's points. */
  centroid: number[];
}

/** KDA's HOTSPOTS_RESULT column, exactly its shape. */
export interface HotspotsResult {
  hotspots: Array<{ density: number; minValues: number[]; maxValues: number[] }>;
}

export const MAX_WINDOW_SIZE = 100_000;
export const MAX_DIMENSIONS = 10;

function checkInteger(name: string, value: number, lo: number, hi: number): void {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new HotspotsParameterError(name, `must be an integer from ${lo} to ${hi}, got ${String(value)}`);
  }
}

export function validateHotspotsOptions(options: HotspotsOptions): void {
  checkInteger('windowSize', options.windowSize, 2, MAX_WINDOW_SIZE);
  if (typeof options.scanRadius !== 'number' || !Number.isFinite(options.scanRadius) || options.scanRadius <= 0) {
    throw new HotspotsParameterError('scanRadius', `must be a finite number greater than 0, got ${String(options.scanRadius)}`);
  }
  checkInteger('minPoints', options.minPoints, 2, options.windowSize);
  checkInteger('dimensions', options.dimensions, 1, MAX_DIMENSIONS);
}

/**
 * KDA: "density: the number of records in the hotspot divided by the hotspot size". Both are taken relative to the
 * whole window, which makes the figure unit-free (degrees, metres or dollars alike) and ≈ 1 for a region no denser than
 * the window on average: (count / windowCount) ÷ Π_i (side_i / windowSide_i). A side is the extent of the points plus
 * one scan radius: each point stands for the neighbourhood scanned around it, so a region reaches half a radius beyond
 * its outermost points, and a hotspot of identical points, or of points on a line, still has a finite size. Without
 * that, a hotspot of a handful of points would look denser than a planted crowd just because its box is small.
 */
export function densityOf(
  count: number,
  windowCount: number,
  min: ArrayLike<number>,
  max: ArrayLike<number>,
  windowMin: ArrayLike<number>,
  windowMax: ArrayLike<number>,
  scanRadius: number,
): number {
  let ratio = count / windowCount;
  for (let i = 0; i < min.length; i++) {
    const side = max[i]! - min[i]! + scanRadius;
    const windowSide = windowMax[i]! - windowMin[i]! + scanRadius;
    ratio *= windowSide / side;
  }
  return ratio;
}

/** Orders hotspots densest first (ties: by their lower corner), so equal windows print equal results. */
export function compareHotspots(a: Hotspot, b: Hotspot): number {
  if (a.density !== b.density) return b.density - a.density;
  for (let i = 0; i < a.minValues.length; i++) {
    const d = a.minValues[i]! - b.minValues[i]!;
    if (d !== 0) return d;
  }
  return b.count - a.count;
}

/** KDA's HOTSPOTS_RESULT value for a list of hotspots. */
export function toKdaResult(hotspots: Hotspot[]): HotspotsResult {
  return { hotspots: hotspots.map((h) => ({ density: h.density, minValues: h.minValues, maxValues: h.maxValues })) };
}
