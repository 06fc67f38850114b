import { activeAt, defineScenario, evenly, oneOf, produced, type KindDefaults } from './common';
import type { Scenario } from './types';

/**
 * Seed 002's wind-turbine simulator: wind speed (m/s) per wind-farm location. Each location's speed is a
 * mean-reverting random walk (Ornstein–Uhlenbeck) around its own mean, so consecutive readings are
 * correlated like real wind rather than independent noise.
 */
export const WIND_LOCATIONS = ['north-ridge', 'south-bay', 'east-plain', 'west-hill', 'harbor'] as const;
const MEANS = [9, 7, 11, 8, 10];
const SIGMA = 1.5; // m/s, stationary standard deviation
const TAU_MS = 60_000; // how fast a deviation decays back to the mean

const location = oneOf('wind location', WIND_LOCATIONS);
const KINDS: Record<string, KindDefaults> = {
  // A gust: short, sharp, noisy. A storm: minutes of sustained severe wind.
  gust: { key: 'north-ridge', duration: 20, checkKey: location },
  storm: { key: 'north-ridge', duration: 180, checkKey: location },
};
const GUST_FACTOR = 2.5;
const STORM_FACTOR = 3;

export const wind: Scenario = defineScenario({
  name: 'wind',
  description:
    "Seed 002's wind-turbine simulator: JSON {location, speed, timestamp} per wind farm; anomalies gust (20 s) and storm (3 min) at a location (default north-ridge).",
  defaultRate: 10,
  kinds: KINDS,
  *records({ options: o, anomalies, random }) {
    // Each location starts somewhere in its stationary distribution.
    const speed = MEANS.map((m) => m + SIGMA * random.normal());
    const last = MEANS.map(() => o.startMs);
    let i = 0;
    for (const t of evenly(o.startMs, o.endMs, o.rate)) {
      // Round robin: every location reports at rate / locations.
      const l = i++ % WIND_LOCATIONS.length;
      const name = WIND_LOCATIONS[l]!;
      const decay = Math.exp(-(t - last[l]!) / TAU_MS);
      speed[l] = MEANS[l]! + (speed[l]! - MEANS[l]!) * decay + SIGMA * Math.sqrt(1 - decay * decay) * random.normal();
      last[l] = t;
      const noise = random.normal();
      let reading = speed[l]!;
      const here = activeAt(anomalies, t).filter((a) => a.key === name);
      for (const a of here) {
        reading = a.kind === 'gust' ? reading * GUST_FACTOR + 3 * Math.abs(noise) : reading * STORM_FACTOR + 2 * noise;
      }
      const value = Math.max(0, Math.round(reading * 10) / 10);
      const eventTime = new Date(t);
      const data = JSON.stringify({ location: name, speed: value, timestamp: eventTime.toISOString() });
      yield produced(name, eventTime, data, here[here.length - 1]);
    }
  },
});
