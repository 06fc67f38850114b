import { activeAt, defineScenario, evenly, mergeByTime, oneOf, produced, type KindDefaults } from './common';
import type { ResolvedAnomaly, Scenario } from './types';

/** Seed 004's clickstream: visitors arriving from referring URLs, "how many visitors originated from a URL". */
export const CLICK_URLS = [
  'https://www.google.com/',
  'https://www.bing.com/',
  'https://www.facebook.com/',
  'https://twitter.com/',
  'https://www.reddit.com/',
  'https://news.ycombinator.com/',
  'https://www.linkedin.com/',
  'direct',
] as const;
export const CLICK_WEIGHTS = [0.35, 0.08, 0.12, 0.08, 0.07, 0.05, 0.05, 0.2] as const;
const VISITORS = 5000;
/** During a spike the URL brings this many times its usual visitors (extra traffic, the rest unchanged). */
const SPIKE_FACTOR = 10;

const KINDS: Record<string, KindDefaults> = {
  spike: { key: 'https://news.ycombinator.com/', duration: 60, checkKey: oneOf('URL', CLICK_URLS) },
};

type Arrival = { url: string; spike?: ResolvedAnomaly };

export const clicks: Scenario = defineScenario({
  name: 'clicks',
  description:
    "Seed 004's clickstream: JSON {url, visitor_id, timestamp} per visit; anomaly spike (a URL brings 10× its visitors for 60 s, default news.ycombinator.com).",
  defaultRate: 50,
  kinds: KINDS,
  *records({ options: o, anomalies, random }) {
    // The base traffic, and for each spike an extra stream of visits to its URL, merged in event time.
    const base = (function* (): Generator<[number, Arrival]> {
      for (const t of evenly(o.startMs, o.endMs, o.rate)) yield [t, { url: CLICK_URLS[random.weighted(CLICK_WEIGHTS)]! }];
    })();
    const extras = anomalies.map((a) =>
      (function* (): Generator<[number, Arrival]> {
        const share = CLICK_WEIGHTS[CLICK_URLS.indexOf(a.key as (typeof CLICK_URLS)[number])]!;
        for (const t of evenly(a.startMs, a.endMs, o.rate * share * (SPIKE_FACTOR - 1))) yield [t, { url: a.key, spike: a }];
      })(),
    );
    for (const [t, arrival] of mergeByTime([base, ...extras])) {
      const visitor = `visitor-${String(random.int(VISITORS) + 1).padStart(5, '0')}`;
      const eventTime = new Date(t);
      const cause = arrival.spike ?? activeAt(anomalies, t).find((a) => a.key === arrival.url);
      const data = JSON.stringify({ url: arrival.url, visitor_id: visitor, timestamp: eventTime.toISOString() });
      yield produced(arrival.url, eventTime, data, cause);
    }
  },
});
