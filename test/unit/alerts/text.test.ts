import {
  fitsSms,
  formatNumber,
  formatTime,
  formatTimeOfDay,
  gsm7Length,
  renderTemplate,
  toGsm7,
  toSubject,
  truncateSms,
} from '../../../shared/alerts/text';

describe('alert text helpers', () => {
  it('formats numbers as a person reads them', () => {
    expect(formatNumber(412)).toBe('412');
    expect(formatNumber(11.5)).toBe('11.5');
    expect(formatNumber(3.14159)).toBe('3.14');
    expect(formatNumber(0.001234)).toBe('0.00123');
    expect(formatNumber(-73.9855)).toBe('-73.99');
  });

  it('writes times in UTC without milliseconds, and only the time of day for a second time on the same day', () => {
    expect(formatTime('2026-11-22T10:00:00.000Z')).toBe('2026-11-22 10:00:00 UTC');
    expect(formatTime('2026-11-22T10:00:00.250Z')).toBe('2026-11-22 10:00:00.250 UTC');
    expect(formatTime('not a time')).toBe('not a time');
    expect(formatTimeOfDay('2026-11-22T10:00:10.000Z', '2026-11-22T10:00:00.000Z')).toBe('10:00:10 UTC');
    expect(formatTimeOfDay('2026-11-23T00:00:00.000Z', '2026-11-22T23:59:50.000Z')).toBe('2026-11-23 00:00:00 UTC');
  });

  it('fills known placeholders and leaves unknown ones visible', () => {
    expect(renderTemplate('{key}: {count} ({typo})', { key: '183A', count: '9' })).toBe('183A: 9 ({typo})');
  });

  it('counts GSM-7 septets, with extension characters as two, and refuses characters outside GSM-7', () => {
    expect(gsm7Length('Exit66 score 4.20')).toBe(17);
    expect(gsm7Length('[a]')).toBe(5);
    expect(gsm7Length('€')).toBe(2);
    expect(gsm7Length('score ≥ 3')).toBeUndefined();
  });

  it('brings typography and accents into GSM-7 but keeps characters that have no GSM-7 form', () => {
    expect(toGsm7('score ≥ 3 — “high” … São Paulo')).toBe('score >= 3 - "high" ... Sao Paulo');
    expect(toGsm7('café Zürich')).toBe('café Zürich');
    expect(toGsm7('站点 7')).toBe('站点 7');
  });

  it('fits one segment: 160 GSM-7 septets, or 70 characters once any character needs UCS-2, less the reserved prefix', () => {
    expect(fitsSms('a'.repeat(150), 10)).toBe(true);
    expect(fitsSms('a'.repeat(151), 10)).toBe(false);
    expect(fitsSms('站'.repeat(60), 10)).toBe(true);
    expect(fitsSms('站'.repeat(61), 10)).toBe(false);
  });

  it('truncates an SMS at a word boundary with an ellipsis', () => {
    const long = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    const cut = truncateSms(long, 10);
    expect(gsm7Length(cut)).toBeLessThanOrEqual(150);
    expect(cut).toMatch(/word\d+\.\.\.$/);
    expect(long.startsWith(cut.slice(0, -3))).toBe(true);
    expect(truncateSms('short', 10)).toBe('short');
  });

  it('makes SNS subjects: one ASCII line of at most 100 characters', () => {
    expect(toSubject('Anomaly at São Paulo ≥ 3\nsecond line')).toBe('Anomaly at Sao Paulo >= 3 second line');
    expect(toSubject('Anomaly at 站点')).toBe('Anomaly at ??');
    const long = toSubject(`Anomaly in ${'very-long-key-'.repeat(12)} score 5`);
    expect(long.length).toBeLessThanOrEqual(100);
    expect(long.endsWith('...')).toBe(true);
  });
});
