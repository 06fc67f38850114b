/** The seeded scenario generators (toll, wind, players, clicks) by name. */
import { clicks } from './clicks';
import { players } from './players';
import { toll } from './toll';
import { ScenarioError, type AnomalySpec, type ResolvedAnomaly, type Scenario, type ScenarioName, type ScenarioOptions } from './types';
import { wind } from './wind';

export * from './types';
export { TOLL_STATIONS, TOLL_WEIGHTS, TOLL_DIVERSION_WEIGHTS, TOLL_PLATES, diversionWeights } from './toll';
export { WIND_LOCATIONS } from './wind';
export { PLAYERS_BOUNDS, parseCentre } from './players';
export { CLICK_URLS, CLICK_WEIGHTS } from './clicks';

/**
 * The producer scenarios: pure, seeded generators of each seed's traffic, with anomalies injected on request.
 * No AWS imports here; shared/producers/put.ts puts their records on a stream.
 */
export const scenarios: Record<ScenarioName, Scenario> = { toll, wind, players, clicks };

export const scenarioNames = Object.keys(scenarios) as ScenarioName[];

export function getScenario(name: string): Scenario {
  const scenario = (scenarios as Record<string, Scenario | undefined>)[name];
  if (!scenario) throw new ScenarioError(`unknown scenario "${name}": use one of ${scenarioNames.join(', ')}`);
  return scenario;
}

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** "90", "90s", "1.5m", "2h", "500ms" → seconds. */
export function parseSeconds(text: string, what = 'time'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new ScenarioError(`${what} "${text}" is not a duration: write e.g. 90s, 5m, 1h or 500ms`);
  return Number(m[1]) * UNITS[m[2] ?? 's']!;
}

/**
 * `<kind>[:<key>]@<time>[+<duration>]`, e.g. `diversion@120s`, `quiet:Exit29@5m`, `spike:direct@2m+30s`.
 * The key runs from the first ":" to the last "@", so URLs (which contain ":") work as keys.
 */
export function parseAnomaly(text: string): AnomalySpec {
  const at = text.lastIndexOf('@');
  if (at < 0) throw new ScenarioError(`anomaly "${text}" has no time: write <kind>[:<key>]@<time>[+<duration>], e.g. diversion@120s`);
  const head = text.slice(0, at);
  const colon = head.indexOf(':');
  const kind = (colon < 0 ? head : head.slice(0, colon)).trim();
  const key = colon < 0 ? undefined : head.slice(colon + 1).trim();
  if (!kind) throw new ScenarioError(`anomaly "${text}" has no kind before "@"`);
  if (key === '') throw new ScenarioError(`anomaly "${text}" has an empty key after ":"`);
  const [time = '', duration, ...extra] = text.slice(at + 1).split('+');
  if (extra.length) throw new ScenarioError(`anomaly "${text}" has more than one "+<duration>"`);
  return {
    kind,
    at: parseSeconds(time, `anomaly "${text}": time`),
    ...(key !== undefined ? { key } : {}),
    ...(duration !== undefined ? { duration: parseSeconds(duration, `anomaly "${text}": duration`) } : {}),
  };
}

/** The anomalies a run injects, defaults filled in: what local mode's report lists (kind, key, window start). */
export function injectedAnomalies(name: ScenarioName, options: ScenarioOptions): ResolvedAnomaly[] {
  const scenario = getScenario(name);
  return (options.anomalies ?? []).map((a) => scenario.resolveAnomaly(a, options));
}
