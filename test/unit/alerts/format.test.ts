import {
  formatDigest,
  formatGroup,
  groupAlerts,
  headline,
  fitsSms,
  gsm7Length,
  DIGEST_DETAILED_KEYS,
  type Alert,
  type DetectorText,
} from '../../../shared/alerts';
import { evaluateRaw } from './support';

const alert = (over: Record<string, unknown> = {}): Alert => {
  const verdict = evaluateRaw(
    {
      pk: `W#${over.detector ?? 'wind-speed'}#${over.key ?? 'farm-7'}`,
      sk: '2026-01-01T00:00:00.000Z',
      type: 'window',
      detector: 'wind-speed',
      key: 'farm-7',
      windowStart: '2026-01-01T00:00:00.000Z',
      windowEnd: '2026-01-01T00:00:10.000Z',
      count: 12,
      aggregates: { avg_speed: 31.5, max_speed: 48.25 },
      score: 3.4,
      threshold: 3,
      attribution: [
        { column: 'max_speed', score: 3, direction: 'HIGH' },
        { column: 'avg_speed', score: 1, direction: 'LOW' },
      ],
      ...over,
    },
    { defaultThreshold: 2 },
  );
  if (!('send' in verdict)) throw new Error(verdict.skip);
  return verdict.send;
};

const WIND: DetectorText = {
  kind: 'rcf',
  message:
    'Wind at {key}: average {avg_speed}, gusts to {max_speed} in the 10 s from {windowStart}; anomaly score {score} ({feature} {direction}).',
};
const detectors = new Map([['wind-speed', WIND]]);

describe('alert messages', () => {
  it('renders the detector template with aggregates, the top feature and its direction', () => {
    expect(headline(alert(), WIND)).toBe(
      'Wind at farm-7: average 31.5, gusts to 48.25 in the 10 s from 2026-01-01 00:00:00 UTC; anomaly score 3.40 (max_speed higher than usual).',
    );
  });

  it('falls back to the default wording when the detector is not in detectors.yml', () => {
    expect(headline(alert())).toBe(
      'wind-speed: farm-7 is unusual in the window starting 2026-01-01 00:00:00 UTC: score 3.40 (threshold 3), count 12; max_speed higher than usual',
    );
  });

  it('writes the attribution with each feature’s share of the score', () => {
    const { message } = formatGroup(groupAlerts([alert()])[0]!, { detectors });
    expect(message).toContain('Observed:   count 12, avg_speed 31.5, max_speed 48.25');
    expect(message).toContain(
      'Driven by:  max_speed, higher than usual (75% of the score); avg_speed, lower than usual (25% of the score)',
    );
  });

  it('notes a silent key and late records', () => {
    const { message } = formatGroup(groupAlerts([alert({ silent: true, late: true, count: 0 })])[0]!);
    expect(message).toContain('the key sent no records in this window');
    expect(message).toContain('were merged into it (late)');
  });

  it('keeps the SMS within one segment whatever the key', () => {
    for (const key of ['k', 'x'.repeat(200), 'São Paulo — Estação “Sé”', '東京駅-北口-'.repeat(5)]) {
      const m = formatGroup(groupAlerts([alert({ key, pk: `W#wind-speed#${key}` })])[0]!, { detectors });
      expect(fitsSms(m.sms, 10)).toBe(true);
      expect(m.subject.length).toBeLessThanOrEqual(100);
      expect(m.subject).toMatch(/^[\x20-\x7e]+$/);
    }
  });

  it('uses the GSM-7 form of a template with typographic characters', () => {
    const m = formatGroup(groupAlerts([alert()])[0]!, {
      detectors: new Map([['wind-speed', { kind: 'rcf', message: 'Wind at {key} — score {score} ≥ {threshold}' }]]),
    });
    expect(m.sms).toBe('Wind at farm-7 - score 3.40 >= 3');
    expect(gsm7Length(m.sms)).toBe(32);
  });

  it('lists every key of a digest in the email, the most severe first, and as many as fit in the SMS', () => {
    const alerts = Array.from({ length: 30 }, (_, i) => alert({ key: `farm-${i}`, pk: `W#wind-speed#farm-${i}`, score: 3 + i / 10 }));
    const m = formatDigest(groupAlerts(alerts), { detectors, tableName: 'data', digestReason: 'more than 5 alerts were due at once' });
    expect(m.attributes).toEqual({ detector: 'wind-speed', key: 'multiple', severity: 'critical', kind: 'digest', count: '30' });
    expect(m.subject).toBe('CRITICAL: 30 anomalies on 30 keys (wind-speed)');
    expect(m.message.startsWith('30 anomalies on 30 keys in one run, sent as one digest (more than 5 alerts were due at once).')).toBe(
      true,
    );
    expect(m.message.indexOf('farm-29')).toBeLessThan(m.message.indexOf('farm-28'));
    for (let i = 0; i < 30; i++) expect(m.message).toContain(`pk W#wind-speed#farm-${i},`);
    expect(m.sms).toMatch(
      /^CRITICAL: 30 anomalies on 30 keys \(wind-speed\)\. Top: farm-29 5\.90, farm-28 5\.80, .*, \.\.\. Details by email\.$/,
    );
    expect(fitsSms(m.sms, 10)).toBe(true);
  });

  it('details at most a hundred keys in a digest email and counts the rest', () => {
    const alerts = Array.from({ length: DIGEST_DETAILED_KEYS + 20 }, (_, i) => alert({ key: `k${i}`, pk: `W#wind-speed#k${i}` }));
    const m = formatDigest(groupAlerts(alerts));
    expect(m.message).toContain('and 20 more keys (20 anomalies)');
    expect(m.message.match(/^\d+\. /gm)).toHaveLength(DIGEST_DETAILED_KEYS);
  });

  it('formats a hotspot alert with the detector columns naming the coordinates', () => {
    const verdict = evaluateRaw(
      {
        pk: 'H#pickups',
        sk: '2026-01-01T00:00:00.000Z',
        type: 'hotspots',
        threshold: 4,
        hotspots: [{ density: 5, count: 30, centroid: [40.758, -73.9855] }],
      },
      { defaultThreshold: 2 },
    );
    if (!('send' in verdict)) throw new Error(verdict.skip);
    const text: DetectorText = {
      kind: 'hotspots',
      columns: ['latitude', 'longitude'],
      message: 'Pickups hotspot near {latitude},{longitude}: {points} points, density {density}',
    };
    const m = formatGroup(groupAlerts([verdict.send])[0]!, { detectors: new Map([['pickups', text]]) });
    expect(m.sms).toBe('Pickups hotspot near 40.76,-73.99: 30 points, density 5');
    expect(m.subject).toBe('Hotspot in pickups: density 5 >= 4, 2026-01-01 00:00:00 UTC');
    expect(m.attributes).toMatchObject({ detector: 'pickups', key: '*', severity: 'warning' });
  });
});

describe('a key with a backlog of anomalous windows', () => {
  it('lists the first fifty further windows and counts the rest', () => {
    const alerts = Array.from({ length: 80 }, (_, i) =>
      alert({
        sk: new Date(Date.UTC(2026, 0, 1, 0, 0, i * 10)).toISOString(),
        windowStart: new Date(Date.UTC(2026, 0, 1, 0, 0, i * 10)).toISOString(),
        score: 3 + (i === 7 ? 1 : 0),
      }),
    );
    const m = formatGroup(groupAlerts(alerts)[0]!);
    expect(m.message).toContain('Also anomalous for this key (79 more windows, covered by this alert):');
    expect(m.message.match(/^ {2}2026-01-01 \S+ UTC {2}score/gm)).toHaveLength(50);
    expect(m.message).toContain('and 29 more (each carries this message');
    expect(m.subject).toBe('80 anomalies in wind-speed at farm-7: top score 4.00 >= 3, 2026-01-01 00:01:10 UTC');
  });
});
