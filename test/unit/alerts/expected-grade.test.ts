import { formatDigest, formatGroup, groupAlerts, fitsSms, type Alert, type DetectorText } from '../../../shared/alerts';
import { toPendingItem } from '../../../shared/store/alert-items';
import { alertOf, evaluateRaw, windowRecord } from './support';

/** Issue 16, the alert side: "count 141, usually about 12" and the anomaly grade, when the window item carries them. */

const item = windowRecord;
const alert = (over: Record<string, unknown> = {}): Alert => alertOf(windowRecord(over));

const TOLL: DetectorText = { kind: 'rcf', message: 'Station {key}: {count} vehicles, score {score}.' };

describe('expected value and grade in alerts', () => {
  it('reads expected and grade from the item when present, and only sound values', () => {
    const ref = { pk: 'W#toll#183A', sk: 't' };
    expect(toPendingItem(ref, item({ expected: { count: 12, avg_speed: '9.5', bad: 'x', inf: Infinity }, grade: 0.97 }))).toMatchObject({
      expected: { count: 12, avg_speed: 9.5 },
      grade: 0.97,
    });
    const plain = toPendingItem(ref, item());
    expect(plain).not.toHaveProperty('expected');
    expect(plain).not.toHaveProperty('grade');
    for (const grade of [-0.1, 1.5, 'high', null]) expect(toPendingItem(ref, item({ grade }))).not.toHaveProperty('grade');
    expect(toPendingItem(ref, item({ expected: [1, 2] }))).not.toHaveProperty('expected');
  });

  it('says what the aggregate usually is in the email, the digest and the SMS', () => {
    const a = alert({ expected: { count: 12 } });
    expect(a.expected).toEqual({ count: 12 });
    const m = formatGroup(groupAlerts([a])[0]!, { detectors: new Map([['toll', TOLL]]) });
    expect(m.message).toContain('Observed:   count 141 (usually about 12)');
    expect(m.sms).toBe('Station 183A: 141 vehicles, score 4.00.; count usually about 12');
    expect(fitsSms(m.sms, 10)).toBe(true);
    const digest = formatDigest(groupAlerts([a, alert({ pk: 'W#toll#B', key: 'B', expected: { count: 30.456 } })]));
    expect(digest.message).toContain('count 141 (usually about 12)');
    expect(digest.message).toContain('count 141 (usually about 30.46)');
  });

  it('shows the grade in the email and digest when the item has one', () => {
    const m = formatGroup(groupAlerts([alert({ grade: 0.973 })])[0]!);
    expect(m.message).toContain("Grade:      0.97 of 1 (how unusual this score is against the key's own recent scores)");
    expect(formatDigest(groupAlerts([alert({ grade: 0.5 })])).message).toContain('score 4.00, grade 0.50');
  });

  it('keeps an alert the grade rule decided even below the score threshold, and re-checks score items as before', () => {
    expect(alert({ alertOn: 'grade', grade: 0.99, score: 2.5, threshold: 3.5 })).toMatchObject({ score: 2.5, severity: 'warning', grade: 0.99 });
    expect(evaluateRaw(item({ alertOn: 'score', score: 2.5, threshold: 3.5 }), { defaultThreshold: 2 })).toEqual({
      skip: 'score 2.5 is below the threshold 3.5',
    });
    expect(evaluateRaw(item({ alertOn: 'something', score: 2.5, threshold: 3.5 }), { defaultThreshold: 2 })).toEqual({
      skip: 'score 2.5 is below the threshold 3.5',
    });
    expect(evaluateRaw(item({ alertOn: 'grade', score: undefined }), { defaultThreshold: 2 })).toEqual({ skip: 'the window is not scored' });
  });

  it('leaves the wording as it was when the item has neither', () => {
    const m = formatGroup(groupAlerts([alert()])[0]!, { detectors: new Map([['toll', TOLL]]) });
    expect(m.message).toContain('Observed:   count 141\n');
    expect(m.message).not.toContain('Grade:');
    expect(m.message).not.toContain('usually');
    expect(m.sms).toBe('Station 183A: 141 vehicles, score 4.00.');
  });

  it('drops the usual value from the SMS before it would take a second segment', () => {
    const long: DetectorText = { kind: 'rcf', message: `${'Station {key} reports an unusual number of vehicles. '.repeat(2)}Check its cameras now: {count}` };
    const m = formatGroup(groupAlerts([alert({ expected: { count: 12 } })])[0]!, { detectors: new Map([['toll', long]]) });
    expect(fitsSms(m.sms, 10)).toBe(true);
    expect(m.sms.endsWith('Check its cameras now: 141')).toBe(true);
  });
});
