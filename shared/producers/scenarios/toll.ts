import { activeAt, defineScenario, evenly, oneOf, produced, type KindDefaults } from './common';
import type { Scenario } from './types';

/** Seed 001's Kinesis Data Generator template: the ten stations, their weights, and the plates. */
export const TOLL_STATIONS = ['183A', 'SH130', 'TX45', 'TX290', 'Exit79', 'Exit29', 'Exit620', 'Exit66', '35North', '35South'] as const;
export const TOLL_WEIGHTS = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.09, 0.01] as const;
/** The seed's "simulate all traffic diverting to one exit" weights: 35South gains. */
export const TOLL_DIVERSION_WEIGHTS = [0.02, 0.04, 0.05, 0.06, 0.02, 0.02, 0.02, 0.02, 0.02, 0.1] as const;
export const TOLL_PLATES = ['6LD7N', 'JQ3QZ5', 'J80DP4', 'T4OFLD', 'AECZV8', 'EDMTT', 'ULORSTX', 'XHRRET', 'UMC6IZ', 'XSUEJA'] as const;

const station = oneOf('toll station', TOLL_STATIONS);
const KINDS: Record<string, KindDefaults> = {
  diversion: { key: '35South', duration: Infinity, checkKey: station },
  quiet: { key: 'Exit29', duration: Infinity, checkKey: station },
};

/** The diversion weights with the gaining station's weight moved to `key` (the seed's shape, another exit). */
export function diversionWeights(key: string): number[] {
  const weights = [...TOLL_DIVERSION_WEIGHTS];
  const gainer = TOLL_STATIONS.indexOf('35South');
  const target = TOLL_STATIONS.indexOf(key as (typeof TOLL_STATIONS)[number]);
  [weights[gainer], weights[target]] = [weights[target]!, weights[gainer]!];
  return weights;
}

export const toll: Scenario = defineScenario({
  name: 'toll',
  description:
    "Seed 001's toll stations: CSV `date,station,plate` with the KDG template's weights; anomalies diversion (all traffic to one exit, default 35South) and quiet (a station's sensor fails, default Exit29).",
  defaultRate: 100,
  kinds: KINDS,
  *records({ options: o, anomalies, random }) {
    for (const t of evenly(o.startMs, o.endMs, o.rate)) {
      const active = activeAt(anomalies, t);
      // The last diversion in force wins: two at once would have no meaning for the KDG either.
      const diversion = active.filter((a) => a.kind === 'diversion').pop();
      const weights = diversion ? diversionWeights(diversion.key) : TOLL_WEIGHTS;
      const name = TOLL_STATIONS[random.weighted(weights)]!;
      const plate = TOLL_PLATES[random.int(TOLL_PLATES.length)]!;
      // A failed sensor: the vehicle passes but nothing is reported. The draws above still happen, so the
      // rest of the traffic is the same as without the failure.
      if (active.some((a) => a.kind === 'quiet' && a.key === name)) continue;
      const eventTime = new Date(t);
      yield produced(name, eventTime, `${eventTime.toISOString()},${name},${plate}`, active[active.length - 1]);
    }
  },
});
