import { activeAt, defineScenario, evenly, produced, type KindDefaults } from './common';
import type { Scenario } from './types';

/**
 * Seed 000's player moves: players wander a map (latitude/longitude) and report where they are. A hotspot is
 * a dense cluster appearing: a share of the reports come from players gathered tightly around one point.
 */
export const PLAYERS_BOUNDS = { south: 40.7, north: 40.8, west: -74.02, east: -73.93 } as const;
const PLAYERS = 500;
const STEP = 0.0005; // degrees per move, ~50 m
/** During a hotspot, this share of the reports come from the cluster. */
const HOTSPOT_SHARE = 0.5;
const HOTSPOT_SPREAD = 0.0008; // degrees (standard deviation), ~80 m
/** The players who gather in a hotspot: the first fifth. */
const HOTSPOT_PLAYERS = PLAYERS / 5;

export const parseCentre = (key: string): { lat: number; lon: number } | undefined => {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(key);
  if (!m) return undefined;
  const lat = Number(m[1]);
  const lon = Number(m[2]);
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { lat, lon } : undefined;
};

const KINDS: Record<string, KindDefaults> = {
  hotspot: {
    key: '40.758,-73.9855',
    duration: 120,
    checkKey: (key) =>
      parseCentre(key) ? undefined : `the hotspot key is its centre "latitude,longitude" (e.g. 40.758,-73.9855), got "${key}"`,
  },
};

const playerId = (i: number) => `player-${String(i + 1).padStart(4, '0')}`;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

export const players: Scenario = defineScenario({
  name: 'players',
  description:
    'Seed 000\'s player moves: JSON {player_id, latitude, longitude, timestamp}; anomaly hotspot (a dense cluster appears for 2 min, key = its centre "lat,lon").',
  defaultRate: 50,
  kinds: KINDS,
  *records({ options: o, anomalies, random }) {
    const b = PLAYERS_BOUNDS;
    const lat = Array.from({ length: PLAYERS }, () => b.south + random.next() * (b.north - b.south));
    const lon = Array.from({ length: PLAYERS }, () => b.west + random.next() * (b.east - b.west));
    for (const t of evenly(o.startMs, o.endMs, o.rate)) {
      const hotspot = activeAt(anomalies, t).pop();
      const inCluster = hotspot !== undefined && random.next() < HOTSPOT_SHARE;
      let p: number;
      if (inCluster) {
        p = random.int(HOTSPOT_PLAYERS);
        const c = parseCentre(hotspot.key)!;
        lat[p] = c.lat + HOTSPOT_SPREAD * random.normal();
        lon[p] = c.lon + HOTSPOT_SPREAD * random.normal();
      } else {
        p = random.int(PLAYERS);
        lat[p] = clamp(lat[p]! + STEP * random.normal(), b.south, b.north);
        lon[p] = clamp(lon[p]! + STEP * random.normal(), b.west, b.east);
      }
      const id = playerId(p);
      const eventTime = new Date(t);
      const data = JSON.stringify({
        player_id: id,
        latitude: round6(lat[p]!),
        longitude: round6(lon[p]!),
        timestamp: eventTime.toISOString(),
      });
      yield produced(id, eventTime, data, inCluster ? hotspot : undefined);
    }
  },
});
