import { parseDetectors, rcfDetectors } from '../../../shared/detectors';
import { finishAggregate } from '../../../shared/windows';
import { mergeLateWindow } from '../../../shared/windows/merge';

const [detector] = rcfDetectors(
  parseDetectors(
    `
detectors:
  - name: temp
    format: json
    key: station
    aggregates: [count, avg(t), min(t), max(t), sum(t)]
`,
    'merge test',
  ),
);

describe('merging late records into a stored window', () => {
  it('adds counts and sums, keeps the extremes and recomputes the mean over all records', () => {
    const start = Date.parse('2026-01-01T00:00:00Z');
    const stored = { count: 3, partials: { t: { sum: 30, min: 5, max: 15 } } };
    const late = finishAggregate(detector!, 'a', start, 2, { t: { sum: 50, min: 20, max: 30 } });
    expect(mergeLateWindow(stored, late)).toEqual({
      count: 5,
      partials: { t: { sum: 80, min: 5, max: 30 } },
      aggregates: { count: 5, avg_t: 16, min_t: 5, max_t: 30, sum_t: 80 },
    });
  });

  it('takes a window stored without records (a silent window) as empty', () => {
    const late = finishAggregate(detector!, 'a', 0, 1, { t: { sum: 4, min: 4, max: 4 } });
    expect(mergeLateWindow({}, late)).toEqual({
      count: 1,
      partials: { t: { sum: 4, min: 4, max: 4 } },
      aggregates: { count: 1, avg_t: 4, min_t: 4, max_t: 4, sum_t: 4 },
    });
  });
});
