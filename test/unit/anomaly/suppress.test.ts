import { decideAlert, shouldSuppress, type SuppressionRule } from '../../../shared/anomaly';

const features = ['count', 'avg_speed'];

function verdict(values: number[], expected: Array<number | null>, rules: SuppressionRule[]) {
  return shouldSuppress({ features, values, expected, rules });
}

describe('suppression rules', () => {
  it('ignores a deviation smaller than the relative amount from the usual value', () => {
    expect(verdict([14, 50], [12, 50], [{ feature: 'count', minRelative: 0.2 }])).toEqual({
      suppressed: true,
      reason: 'count 14 is within 20% of usual 12',
    });
    expect(verdict([141, 50], [12, 50], [{ feature: 'count', minRelative: 0.2 }])).toEqual({ suppressed: false });
  });

  it('ignores a deviation smaller than the absolute amount', () => {
    expect(verdict([15, 50], [12, 50], [{ feature: 'count', minAbsolute: 5 }]).suppressed).toBe(true);
    expect(verdict([18, 50], [12, 50], [{ feature: 'count', minAbsolute: 5 }]).suppressed).toBe(false);
  });

  it('keeps only the chosen direction: spikes only, dips only', () => {
    expect(verdict([2, 50], [12, 50], [{ feature: 'count', direction: 'spikes' }])).toEqual({
      suppressed: true,
      reason: 'count 2 is below usual 12 (spikes only)',
    });
    expect(verdict([141, 50], [12, 50], [{ feature: 'count', direction: 'spikes' }]).suppressed).toBe(false);
    expect(verdict([141, 50], [12, 50], [{ feature: 'count', direction: 'dips' }]).suppressed).toBe(true);
    expect(verdict([0, 50], [12, 50], [{ feature: 'count', direction: 'dips', minRelative: 0.5 }]).suppressed).toBe(false);
  });

  it('alerts when any ruled feature moved enough, suppresses only when every ruled feature is ignored', () => {
    const rules: SuppressionRule[] = [
      { feature: 'count', minRelative: 0.2 },
      { feature: 'avg_speed', minAbsolute: 10 },
    ];
    expect(verdict([13, 80], [12, 50], rules).suppressed).toBe(false);
    expect(verdict([13, 55], [12, 50], rules)).toEqual({
      suppressed: true,
      reason: 'count 13 is within 20% of usual 12; avg_speed 55 is within 10 of usual 50',
    });
  });

  it('does not suppress without an applicable rule or before the usual value is known', () => {
    expect(verdict([13, 50], [12, 50], [])).toEqual({ suppressed: false });
    expect(verdict([13, 50], [12, 50], [{ feature: 'max_speed', minRelative: 0.5 }])).toEqual({ suppressed: false });
    expect(verdict([13, 50], [null, 50], [{ feature: 'count', minRelative: 0.5 }])).toEqual({ suppressed: false });
  });
});

describe('alert decision', () => {
  it('follows the grade rule by default and KDA’s score ≥ threshold with alertOn: score', () => {
    expect(decideAlert({ score: 5, threshold: 3.5, gradeAlert: false })).toEqual({ alert: false, suppressed: false });
    expect(decideAlert({ score: 1, threshold: 3.5, gradeAlert: true })).toEqual({ alert: true, suppressed: false });
    expect(decideAlert({ alertOn: 'score', score: 3.5, threshold: 3.5, gradeAlert: false }).alert).toBe(true);
    expect(decideAlert({ alertOn: 'score', score: 3.4, threshold: 3.5, gradeAlert: true }).alert).toBe(false);
  });

  it('applies suppression after the rule fired', () => {
    const suppression = { features, values: [14, 50], expected: [12, 50], rules: [{ feature: 'count', minRelative: 0.2 }] };
    expect(decideAlert({ score: 5, threshold: 3.5, gradeAlert: true, suppression })).toEqual({
      alert: false,
      suppressed: true,
      reason: 'count 14 is within 20% of usual 12',
    });
    expect(decideAlert({ alertOn: 'score', score: 1, threshold: 3.5, gradeAlert: false, suppression })).toEqual({
      alert: false,
      suppressed: false,
    });
  });
});
