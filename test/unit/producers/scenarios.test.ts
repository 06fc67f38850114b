import {
  CLICK_URLS,
  getScenario,
  injectedAnomalies,
  parseAnomaly,
  parseCentre,
  parseSeconds,
  ScenarioError,
  scenarioNames,
  scenarios,
  TOLL_STATIONS,
  WIND_LOCATIONS,
  type ProducedRecord,
  type ScenarioOptions,
} from '../../../shared/producers';

const START = Date.UTC(2026, 0, 1, 12, 0, 0);
const run = (name: keyof typeof scenarios, o: Partial<ScenarioOptions> = {}): ProducedRecord[] => [
  ...scenarios[name].generate({ seed: 7, start: new Date(START), duration: 60, ...o }),
];
const fields = (r: ProducedRecord) => JSON.parse(r.data) as Record<string, unknown>;
const inRange = (r: ProducedRecord, fromS: number, toS: number) =>
  r.eventTime.getTime() >= START + fromS * 1000 && r.eventTime.getTime() < START + toS * 1000;
const share = (records: ProducedRecord[], key: string) => records.filter((r) => r.key === key).length / records.length;

describe('scenario generators', () => {
  it.each(scenarioNames)('%s gives the same records for the same seed and different ones for another seed', (name) => {
    const a = run(name).map((r) => r.data);
    const b = run(name).map((r) => r.data);
    const c = run(name, { seed: 8 }).map((r) => r.data);
    expect(a.length).toBeGreaterThan(100);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it.each(scenarioNames)('%s produces in event-time order, inside the run, with the event time in the record itself', (name) => {
    const records = run(name, { anomalies: [{ kind: scenarios[name].anomalyKinds[0]!, at: 20 }] });
    for (let i = 1; i < records.length; i++)
      expect(records[i]!.eventTime.getTime()).toBeGreaterThanOrEqual(records[i - 1]!.eventTime.getTime());
    expect(records[0]!.eventTime.getTime()).toBe(START);
    expect(records[records.length - 1]!.eventTime.getTime()).toBeLessThan(START + 60_000);
    for (const r of records.slice(0, 50)) {
      expect(r.data).toContain(r.eventTime.toISOString());
      expect(r.partitionKey).toBe(r.key);
    }
  });

  it.each(scenarioNames)('%s holds the requested rate of records per event-time second', (name) => {
    expect(run(name, { rate: 25 })).toHaveLength(25 * 60);
  });

  it('is lazy and can be iterated twice with the same result', () => {
    const iterable = scenarios.toll.generate({ seed: 1, start: START, duration: 3600 * 24 * 365 });
    const first = [] as string[];
    for (const r of iterable) {
      first.push(r.data);
      if (first.length === 5) break;
    }
    const again = [] as string[];
    for (const r of iterable) {
      again.push(r.data);
      if (again.length === 5) break;
    }
    expect(again).toEqual(first);
  });

  it('rejects impossible options with a message saying what to fix', () => {
    expect(() => scenarios.toll.generate({ seed: 1, start: START, duration: 10, rate: 0 })).toThrow(/rate must be a positive/);
    expect(() => scenarios.wind.generate({ seed: 1, start: new Date('nope'), duration: 10 })).toThrow(/start must be a valid date/);
    expect(() => scenarios.toll.generate({ seed: 1, start: START, duration: 10, anomalies: [{ kind: 'gust', at: 1 }] })).toThrow(
      /no anomaly "gust": use one of diversion, quiet/,
    );
    expect(() =>
      scenarios.toll.generate({ seed: 1, start: START, duration: 10, anomalies: [{ kind: 'quiet', at: 1, key: 'Exit1' }] }),
    ).toThrow(/unknown toll station "Exit1"/);
    expect(() => getScenario('trains')).toThrow(ScenarioError);
  });
});

describe('toll scenario (seed 001)', () => {
  it('writes the KDG template: ISO-8601 UTC date with milliseconds, station, plate', () => {
    for (const r of run('toll').slice(0, 200)) {
      const [date, station, plate, ...rest] = r.data.split(',');
      expect(date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(TOLL_STATIONS).toContain(station);
      expect(plate).toMatch(/^[A-Z0-9]{5,7}$/);
      expect(rest).toEqual([]);
      expect(r.partitionKey).toBe(station);
    }
  });

  it("follows the template's weights: 35South is rare, the others about 10 %", () => {
    const records = run('toll', { duration: 600 });
    expect(share(records, '35South')).toBeLessThan(0.02);
    expect(share(records, 'TX45')).toBeGreaterThan(0.08);
    expect(share(records, 'TX45')).toBeLessThan(0.12);
  });

  it("diversion: after `at`, 35South's share jumps to the seed's diverted weights (0.1 of 0.37)", () => {
    const records = run('toll', { duration: 600, anomalies: [parseAnomaly('diversion@300s')] });
    const before = records.filter((r) => inRange(r, 0, 300));
    const after = records.filter((r) => inRange(r, 300, 600));
    expect(share(before, '35South')).toBeLessThan(0.02);
    expect(share(after, '35South')).toBeGreaterThan(0.22);
    expect(share(after, '35South')).toBeLessThan(0.32);
    expect(after.every((r) => r.anomaly?.kind === 'diversion' && r.anomaly.key === '35South')).toBe(true);
    expect(before.some((r) => r.anomaly)).toBe(false);
  });

  it('diversion with a key sends the gain to that station instead', () => {
    const records = run('toll', { duration: 600, anomalies: [parseAnomaly('diversion:Exit66@300s')] });
    const after = records.filter((r) => inRange(r, 300, 600));
    expect(share(after, 'Exit66')).toBeGreaterThan(0.22);
    expect(share(after, '35South')).toBeLessThan(0.1);
  });

  it('quiet: the failed station reports nothing during the failure and as usual around it', () => {
    const records = run('toll', { duration: 300, anomalies: [parseAnomaly('quiet:TX290@100s+100s')] });
    const count = (from: number, to: number) => records.filter((r) => r.key === 'TX290' && inRange(r, from, to)).length;
    expect(count(0, 100)).toBeGreaterThan(700);
    expect(count(100, 200)).toBe(0);
    expect(count(200, 300)).toBeGreaterThan(700);
  });

  it("quiet leaves the other stations' records exactly as without it", () => {
    const plain = run('toll')
      .filter((r) => r.key !== 'Exit29')
      .map((r) => r.data);
    const quiet = run('toll', { anomalies: [parseAnomaly('quiet@0s')] }).map((r) => r.data);
    expect(quiet).toEqual(plain);
  });
});

describe('wind scenario (seed 002)', () => {
  const speeds = (records: ProducedRecord[], location: string, from: number, to: number) =>
    records.filter((r) => r.key === location && inRange(r, from, to)).map((r) => fields(r).speed as number);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  it('writes {location, speed, timestamp} for every location in turn', () => {
    const records = run('wind', { duration: 10 });
    expect(new Set(records.map((r) => r.key))).toEqual(new Set(WIND_LOCATIONS));
    const f = fields(records[0]!);
    expect(Object.keys(f).sort()).toEqual(['location', 'speed', 'timestamp']);
    expect(typeof f.speed).toBe('number');
    expect(f.timestamp).toBe(new Date(START).toISOString());
  });

  it("gust: the location's speed more than doubles for the gust and only there", () => {
    const records = run('wind', { duration: 120, anomalies: [parseAnomaly('gust:harbor@60s')] });
    const calm = mean(speeds(records, 'harbor', 0, 60));
    expect(mean(speeds(records, 'harbor', 60, 80))).toBeGreaterThan(2 * calm);
    expect(mean(speeds(records, 'harbor', 85, 120))).toBeLessThan(1.5 * calm);
    expect(mean(speeds(records, 'south-bay', 60, 80))).toBeLessThan(1.5 * mean(speeds(records, 'south-bay', 0, 60)));
  });

  it('storm: severe wind for minutes at the default location', () => {
    const records = run('wind', { duration: 400, anomalies: [parseAnomaly('storm@100s')] });
    const calm = mean(speeds(records, 'north-ridge', 0, 100));
    expect(mean(speeds(records, 'north-ridge', 100, 280))).toBeGreaterThan(2.5 * calm);
    expect(mean(speeds(records, 'north-ridge', 290, 400))).toBeLessThan(1.5 * calm);
  });
});

describe('players scenario (seed 000)', () => {
  const near = (records: ProducedRecord[], centre: { lat: number; lon: number }) =>
    records.filter((r) => {
      const f = fields(r);
      return Math.abs((f.latitude as number) - centre.lat) < 0.003 && Math.abs((f.longitude as number) - centre.lon) < 0.003;
    }).length / records.length;

  it('writes {player_id, latitude, longitude, timestamp} with the player as partition key', () => {
    const f = fields(run('players')[0]!);
    expect(Object.keys(f).sort()).toEqual(['latitude', 'longitude', 'player_id', 'timestamp']);
    expect(f.player_id).toMatch(/^player-\d{4}$/);
  });

  it('hotspot: a dense cluster appears at the centre for its duration', () => {
    const centre = parseCentre('40.72,-74.0')!;
    const records = run('players', { duration: 300, anomalies: [parseAnomaly('hotspot:40.72,-74.0@100s+100s')] });
    const before = near(
      records.filter((r) => inRange(r, 0, 100)),
      centre,
    );
    const during = near(
      records.filter((r) => inRange(r, 100, 200)),
      centre,
    );
    expect(before).toBeLessThan(0.02);
    expect(during).toBeGreaterThan(0.4);
    // The players who gathered disperse again only slowly, but new reports come from everywhere.
    expect(
      near(
        records.filter((r) => inRange(r, 250, 300)),
        centre,
      ),
    ).toBeLessThan(during / 2);
  });

  it('rejects a hotspot key that is not a centre', () => {
    expect(() => run('players', { anomalies: [parseAnomaly('hotspot:downtown@1s')] })).toThrow(/latitude,longitude/);
  });
});

describe('clicks scenario (seed 004)', () => {
  it('writes {url, visitor_id, timestamp} with the URL as partition key', () => {
    const r = run('clicks')[0]!;
    const f = fields(r);
    expect(Object.keys(f).sort()).toEqual(['timestamp', 'url', 'visitor_id']);
    expect(CLICK_URLS).toContain(f.url);
    expect(r.partitionKey).toBe(f.url);
  });

  it('spike: the URL brings about ten times its visitors during the spike, on top of the usual traffic', () => {
    const url = 'https://www.reddit.com/';
    const records = run('clicks', { duration: 300, anomalies: [parseAnomaly(`spike:${url}@120s+60s`)] });
    const perSecond = (from: number, to: number) => records.filter((r) => r.key === url && inRange(r, from, to)).length / (to - from);
    const usual = perSecond(0, 120);
    expect(perSecond(120, 180) / usual).toBeGreaterThan(7);
    expect(perSecond(120, 180) / usual).toBeLessThan(13);
    expect(perSecond(180, 300) / usual).toBeLessThan(1.5);
    const others = (from: number, to: number) => records.filter((r) => r.key !== url && inRange(r, from, to)).length / (to - from);
    expect(others(120, 180) / others(0, 120)).toBeGreaterThan(0.9);
    expect(others(120, 180) / others(0, 120)).toBeLessThan(1.1);
  });
});

describe('parseAnomaly', () => {
  it.each([
    ['diversion@120s', { kind: 'diversion', at: 120 }],
    ['quiet:Exit29@5m', { kind: 'quiet', key: 'Exit29', at: 300 }],
    ['gust@90', { kind: 'gust', at: 90 }],
    ['spike:https://news.ycombinator.com/@2m+30s', { kind: 'spike', key: 'https://news.ycombinator.com/', at: 120, duration: 30 }],
    ['hotspot:40.7,-73.9@1.5m+500ms', { kind: 'hotspot', key: '40.7,-73.9', at: 90, duration: 0.5 }],
    ['storm@1h', { kind: 'storm', at: 3600 }],
  ])('reads %s', (text, expected) => {
    expect(parseAnomaly(text)).toEqual(expected);
  });

  it.each([
    ['diversion', /no time/],
    ['@10s', /no kind/],
    ['quiet:@10s', /empty key/],
    ['gust@soon', /not a duration/],
    ['gust@1s+2s+3s', /more than one/],
  ])('rejects %s', (text, message) => {
    expect(() => parseAnomaly(text)).toThrow(message);
  });

  it('parses durations in ms, s, m and h', () => {
    expect(parseSeconds('250ms')).toBe(0.25);
    expect(parseSeconds('2h')).toBe(7200);
  });
});

describe('injectedAnomalies', () => {
  it('lists each anomaly with its default key and its event-time span, cut at the end of the run', () => {
    const options = { seed: 1, start: START, duration: 600, anomalies: [parseAnomaly('diversion@300s'), parseAnomaly('quiet@100s+60s')] };
    expect(injectedAnomalies('toll', options)).toEqual([
      { kind: 'diversion', key: '35South', at: 300, duration: 300, startMs: START + 300_000, endMs: START + 600_000 },
      { kind: 'quiet', key: 'Exit29', at: 100, duration: 60, startMs: START + 100_000, endMs: START + 160_000 },
    ]);
  });
});
