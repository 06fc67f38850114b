import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDetectors, type RcfDetector, type RecordsDetector } from '../../../shared/detectors';
import { RandomCutForest } from '../../../shared/rcf';
import { seedFor } from '../../../shared/windows';
import { CompareError, compareWithKda, pearson, ranks, reportText, spearman } from '../../../shared/sql/compare';

const NAB = resolve(__dirname, '../../../../shared/data/nab');
const DEFAULTS = { windowSeconds: 10, threshold: 2 };
const detector = <T>(yaml: string) => parseDetectors(`detectors:\n${yaml}`, 'test', DEFAULTS, { schemaOnly: true })[0] as T;

describe('compare with KDA', () => {
  it("scores a NAB series per record as KDA's RANDOM_CUT_FOREST did and agrees with KDA's published scores", () => {
    const series = 'realKnownCause/nyc_taxi.csv';
    const taxi = detector<RecordsDetector>(
      '  - name: taxi\n    kind: records\n    format: csv\n    csv: { columns: [timestamp, value] }\n    features: [value]\n    threshold: 3.5\n',
    );
    const report = compareWithKda(
      taxi,
      readFileSync(`${NAB}/data/${series}`, 'utf8'),
      readFileSync(`${NAB}/kda-rcf-scores/${series}`, 'utf8'),
      { kdaScale: 8 },
    );
    expect(report).toMatchObject({ detector: 'taxi', kind: 'records', threshold: 3.5, compared: 10320 });
    // KDA's first 256 rows are warm-up zeros, and so are ours.
    expect(report.warm).toBe(10320 - 256);
    expect(report.pearson).toBeGreaterThan(0.97);
    expect(report.spearman).toBeGreaterThan(0.9);
    expect(report.meanRatio).toBeGreaterThan(0.95);
    expect(report.meanRatio).toBeLessThan(1.05);
    const { both, onlyOurs, onlyKda, neither } = report.alerts;
    expect(both + onlyOurs + onlyKda + neither).toBe(10320);
    expect(both).toBeGreaterThan(0);
    expect(onlyOurs + onlyKda).toBeLessThanOrEqual(both);
    expect(reportText(report)[0]).toBe('taxi (records): 10320 rows compared, 10064 past warm-up on both sides');
  }, 120_000);

  it.each([
    ['event time (time: t)', '    time: t\n', {}],
    ["arrival time (KDA's ROWTIME), recorded in a column", '', { arrivalField: 't' }],
  ])('lines window detectors on %s up with KDA rows by key and order, and lists the alerts that differ', (_, time, options) => {
    const d = detector<RcfDetector>(
      `  - name: toll\n    format: json\n    key: station\n${time}    windowSeconds: 10\n    rcf: { numberOfTrees: 10, subSampleSize: 10, timeDecay: 100, shingleSize: 1 }\n    threshold: 2.5\n`,
    );
    // 40 windows for two stations, counts varying by a known pattern, then the KDA output for those windows.
    const input: string[] = [];
    const counts: Record<string, number[]> = { A: [], B: [] };
    for (let w = 0; w < 40; w++) {
      for (const station of ['A', 'B']) {
        const n = 3 + ((w * (station === 'A' ? 7 : 3)) % 5) + (station === 'A' && w === 35 ? 30 : 0);
        counts[station]!.push(n);
        for (let i = 0; i < n; i++) input.push(JSON.stringify({ station, t: w * 10 + i / 10 }));
      }
    }
    // Stand-in for KDA's output: each key's windows scored by its own forest (so agreement must be exact), A and B interleaved.
    const expected: Record<string, number[]> = {};
    for (const station of ['A', 'B']) {
      const forest = new RandomCutForest({
        numberOfTrees: 10,
        subSampleSize: 10,
        timeDecay: 100,
        dimensions: 1,
        seed: seedFor('toll', station),
      });
      expected[station] = counts[station]!.map((c) => forest.process([c]).score);
    }
    const kdaRows = ['station_id,vehicle_count,ANOMALY_SCORE'];
    for (let w = 0; w < 40; w++)
      for (const s of ['A', 'B']) kdaRows.push(`${s},${counts[s]![w]},${w === 20 && s === 'B' ? 9 : expected[s]![w]}`);
    const report = compareWithKda(d, input.join('\n'), kdaRows.join('\n'), { kdaKey: 'station_id', ...options });
    expect(report.compared).toBe(80);
    expect(report.pearson).toBeGreaterThan(0.5);
    const peak = expected.A![35]!;
    expect(peak).toBeGreaterThan(2.5);
    expect(report.differences).toEqual([
      { index: 41, key: 'B', window: '1970-01-01T00:03:20.000Z', features: [counts.B![20]], ours: expected.B![20], kda: 9 },
    ]);
    expect(report.alerts.onlyKda).toBe(1);
    expect(report.alerts.onlyOurs).toBe(0);
  });

  it("scores windows as KDA did with oneForest: every key through one forest in KDA's row order", () => {
    const d = detector<RcfDetector>(
      '  - name: toll\n    format: json\n    key: station\n    time: t\n    windowSeconds: 10\n    rcf: { numberOfTrees: 10, subSampleSize: 10, timeDecay: 100 }\n    threshold: 2.5\n',
    );
    const input: string[] = [];
    const kdaRows = ['station,ANOMALY_SCORE'];
    const forest = new RandomCutForest({ numberOfTrees: 10, subSampleSize: 10, timeDecay: 100, dimensions: 1, seed: seedFor('toll', '') });
    for (let w = 0; w < 30; w++) {
      for (const station of ['A', 'B', 'C']) {
        const n = 2 + ((w + station.charCodeAt(0)) % 4) * (station === 'C' ? 3 : 1);
        for (let i = 0; i < n; i++) input.push(JSON.stringify({ station, t: w * 10 + i / 2 }));
        kdaRows.push(`${station},${forest.process([n]).score}`);
      }
    }
    const kda = compareWithKda(d, input.join('\n'), kdaRows.join('\n'), { oneForest: true });
    expect(kda).toMatchObject({ compared: 90, differences: [] });
    expect(kda.pearson).toBeCloseTo(1, 10);
    expect(kda.notes).toEqual([
      `one forest for every station, fed in KDA's row order, as KDA did (the deployed detector keeps one per station)`,
    ]);
    // The deployed arrangement (a forest per station) scores the same windows differently.
    const perKey = compareWithKda(d, input.join('\n'), kdaRows.join('\n'));
    expect(perKey.compared).toBe(90);
    expect(perKey.pearson).toBeLessThan(kda.pearson);
  });

  it('says what is missing instead of guessing', () => {
    const records = detector<RecordsDetector>('  - name: r\n    kind: records\n    format: json\n    features: [x]\n');
    expect(() => compareWithKda(records, '{"x":1}', 'x,score\n1,2')).toThrow(
      new CompareError('the KDA output has no ANOMALY_SCORE column (columns: x, score)'),
    );
    const arrival = detector<RcfDetector>('  - name: w\n    format: json\n    key: k\n');
    expect(() => compareWithKda(arrival, '{"k":"a"}', 'k,ANOMALY_SCORE\na,0')).toThrow(
      /windows by arrival time \(KDA's ROWTIME\), which a recording does not have: give the column holding each row's arrival time \(--arrival-field\)/,
    );
    const report = compareWithKda(records, '{"x":1}\n{"x":"n/a"}\n{"y":2}\n{"x":3}', '{"x":1,"ANOMALY_SCORE":0}');
    expect(report.notes).toEqual([
      '1 input rows not taken by the detector (its match rule, or no x field): not scored',
      '1 input rows skipped: no key or a feature that is not a number (KDA would have rejected them to its error stream)',
      '2 rows scored, the KDA output has 1: compared the first 1 in order (a WHERE in the KDA application, or a different recording, shifts them)',
      'one forest for every row (no key), as KDA had',
    ]);
  });

  it('computes Pearson and rank correlation with ties sharing their average rank', () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 100])).toBeCloseTo(1, 12);
    expect(pearson([1, 1], [2, 3])).toBeNaN();
  });
});
