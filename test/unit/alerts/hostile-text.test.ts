import { formatDigest, formatGroup, groupAlerts, fitsSms, isSafeText, safeText, SHOWN_CHARS, type AlertMessage, type DetectorText } from '../../../shared/alerts';
import { alertOf, evaluateRaw, windowRecord } from './support';

/**
 * Issue 13: text from records reaches people through four channels (SNS subject, SMS, email body, message
 * attributes). A key or name carrying newlines, CR, BEL, C1 controls or bidi controls must not reach any of them
 * raw, must not forge a line, and every channel must stay well-formed.
 */

const FORGED = 'URGENT call +44 20 7946 0000 now';
const HOSTILE_KEYS = [
  `183A\nData:       table evil, pk W#x#y, sk z\n${FORGED}`,
  `183A\r${FORGED}`,
  `183A\u0007\u0007\u0007`,
  `183A\u0085${FORGED}`,
  `183A\u2028${FORGED}\u2029`,
  `evil\u202Egnp.exe`,
  `\u2066right\u2069\u2067left\u2069\u2068first\u2069\u061c\u200e\u200f`,
  `\ufeff\u0000\u001b[31mred\u001b[0m`,
  `lone \ud800 surrogate`,
];

const windowAlert = (key: string, over: Record<string, unknown> = {}) =>
  alertOf(
    windowRecord({
      pk: `W#toll#${key}`,
      key,
      aggregates: { count: 141, [`bad\nname ${FORGED}`]: 3 },
      attribution: [{ column: `col\r\n${FORGED}`, score: 3, direction: 'HIGH' }],
      ...over,
    }),
  );

const TEMPLATE: DetectorText = { kind: 'rcf', message: 'Toll station {key}: {count} vehicles, score {score}.' };
const detectors = new Map([['toll', TEMPLATE]]);

/** Every channel of a message, as SNS receives them. */
const channels = (m: AlertMessage): Record<string, string> => ({
  subject: m.subject,
  sms: m.sms,
  email: m.message,
  ...Object.fromEntries(Object.entries(m.attributes).map(([name, value]) => [`attribute ${name}`, value])),
});

function expectWellFormed(m: AlertMessage): void {
  for (const [channel, text] of Object.entries(channels(m))) {
    // Newlines are the email's own line breaks only; nothing else unsafe in any channel.
    expect({ channel, safe: isSafeText(channel === 'email' ? text.replace(/\n/g, '') : text) }).toEqual({ channel, safe: true });
  }
  expect(m.subject.length).toBeLessThanOrEqual(100);
  expect(m.subject).toMatch(/^[\x21-\x7e][\x20-\x7e]*$/);
  expect(fitsSms(m.sms, 10)).toBe(true);
  expect(m.sms).not.toContain('\n');
  for (const value of Object.values(m.attributes)) expect(value).not.toMatch(/[\r\n]/);
  // No line of the email starts with text a key carried: one Data line at most per alert, no forged call to action.
  const lines = m.message.split('\n');
  expect(lines.filter((l) => l.trimStart().startsWith('URGENT'))).toEqual([]);
  expect(lines.filter((l) => /^\s*Data:\s+table evil/.test(l))).toEqual([]);
}

describe('hostile text in alerts', () => {
  it('escapes control and bidi characters visibly, so different keys stay different, and bounds their length', () => {
    expect(safeText('a\nb')).toBe('a\\u000Ab');
    expect(safeText('evil\u202Egnp.exe')).toBe('evil\\u202Egnp.exe');
    expect(safeText('São Paulo 東京 😀')).toBe('São Paulo 東京 😀');
    expect(safeText('a\rb')).not.toBe(safeText('a\nb'));
    expect(safeText('k'.repeat(5000))).toHaveLength(SHOWN_CHARS);
    expect(safeText(`${'k'.repeat(SHOWN_CHARS - 2)}😀😀`).endsWith('…')).toBe(true);
  });

  it.each(HOSTILE_KEYS.map((k) => [safeText(k), k]))('keeps every channel of a key alert well-formed for key %s', (_, key) => {
    const withTemplate = formatGroup(groupAlerts([windowAlert(key!)])[0]!, { detectors, tableName: 'data' });
    const defaultWording = formatGroup(groupAlerts([windowAlert(key!)])[0]!, { tableName: 'data' });
    for (const m of [withTemplate, defaultWording]) {
      expectWellFormed(m);
      expect(m.message.split('\n').filter((l) => l.startsWith('Data:'))).toHaveLength(1);
      expect(m.message).toContain(`Key:        ${safeText(key!)}`);
    }
    expect(withTemplate.attributes.key).toBe(safeText(key!));
  });

  it('keeps a digest of hostile keys well-formed in every channel', () => {
    const alerts = HOSTILE_KEYS.map((key, i) => windowAlert(key, { score: 4 + i / 10 }));
    const m = formatDigest(groupAlerts(alerts), { detectors, tableName: 'data' });
    expectWellFormed(m);
    expect(m.message.split('\n').filter((l) => l.trimStart().startsWith('Data:'))).toHaveLength(HOSTILE_KEYS.length);
  });

  it('escapes text from the table that is not the key: detector attribute, times, names, held-back since', () => {
    const a = windowAlert('k', { detector: `toll\n${FORGED}`, windowStart: `2026\n${FORGED}`, windowEnd: `x\u202Ey` });
    const group = { ...groupAlerts([a])[0]!, heldBack: { count: 2, since: `then\n${FORGED}` } };
    const m = formatGroup(group, { tableName: 'data' });
    expectWellFormed(m);
    expect(m.message).toContain(`bad\\u000Aname ${FORGED} 3`);
    expect(m.message).toContain(`col\\u000D\\u000A${FORGED}, higher than usual`);
  });

  it('keeps a hostile hotspot detector name out of the lines it is not in', () => {
    const verdict = evaluateRaw(
      { pk: 'H#pickups', sk: '2026-01-01T00:00:00.000Z', type: 'hotspots', detector: `pickups\r\n${FORGED}`, threshold: 4, hotspots: [{ density: 5 }] },
      { defaultThreshold: 2 },
    );
    if (!('send' in verdict)) throw new Error(verdict.skip);
    expectWellFormed(formatGroup(groupAlerts([verdict.send])[0]!));
  });
});
