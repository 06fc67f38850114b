import { DetectorsConfigError, parseDetectors } from '../../shared/detectors';

/**
 * The detector settings of the anomaly grade (issue 16) at load: `alertOn` left out means the grade rule for rcf
 * detectors, `suppress` rules are checked (a feature of the detector, something to suppress), and records detectors,
 * which do not grade yet, refuse `alertOn: grade` and `suppress` rather than silently ignoring them.
 */

const DEFAULTS = { windowSeconds: 10, threshold: 2 };
const one = (body: string) => `detectors:\n  - name: d\n    format: json\n${body.replace(/^/gm, '    ')}\n`;

const problemsOf = (body: string): string[] => {
  try {
    parseDetectors(one(body), 'test.yml', DEFAULTS);
  } catch (error) {
    if (error instanceof DetectorsConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('grade settings in detectors.yml', () => {
  it('loads an rcf detector with alertOn: grade and suppression rules on its features', () => {
    const [d] = parseDetectors(
      one(
        'key: k\naggregates: [count, avg(v)]\nalertOn: grade\nsuppress:\n  - { feature: count, minRelative: 0.2 }\n  - { feature: avg_v, minAbsolute: 5, direction: spikes }',
      ),
      'x',
      DEFAULTS,
    );
    expect(d).toMatchObject({
      alertOn: 'grade',
      suppress: [
        { feature: 'count', minRelative: 0.2 },
        { feature: 'avg_v', minAbsolute: 5, direction: 'spikes' },
      ],
    });
  });

  it('refuses a suppression rule on a feature the detector does not have, saying what to fix', () => {
    const problems = problemsOf('key: k\naggregates: [count]\nsuppress: [{ feature: cnt, minRelative: 0.2 }]');
    expect(problems.join('\n')).toMatch(/suppress rule names one of the detector's features/);
  });

  it('refuses a suppression rule that would suppress nothing, and negative amounts', () => {
    expect(problemsOf('key: k\nsuppress: [{ feature: count }]').join('\n')).toMatch(/needs minAbsolute, minRelative or direction/);
    expect(problemsOf('key: k\nsuppress: [{ feature: count, minRelative: -1 }]').join('\n')).toMatch(/must be 0 or more/);
  });

  it('refuses alertOn: grade and suppress on records detectors (they alert on score), accepts alertOn: score there', () => {
    expect(problemsOf('kind: records\nfeatures: [amount]\nalertOn: grade').join('\n')).toMatch(/records detectors alert on score only/);
    expect(problemsOf('kind: records\nfeatures: [amount]\nsuppress: [{ feature: amount, minRelative: 0.2 }]').join('\n')).toMatch(
      /suppress is not supported for records detectors/,
    );
    expect(problemsOf('kind: records\nfeatures: [amount]\nalertOn: score')).toEqual([]);
  });
});
