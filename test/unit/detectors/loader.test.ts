import { resolve } from 'node:path';
import { DetectorsConfigError, loadDetectorsFile, parseDetectors, rcfDetectors } from '../../../shared/detectors';
import { validateDetectors } from '../../../cli/commands/detectors';

const problemsOf = (yaml: string): string[] => {
  try {
    parseDetectors(yaml, 'test.yml');
  } catch (error) {
    if (error instanceof DetectorsConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the detectors to be invalid');
};

describe('detectors file', () => {
  it('ships valid detectors for the toll, wind and clicks seeds', () => {
    const detectors = loadDetectorsFile(resolve(__dirname, '../../../detectors.yml'));
    const names = rcfDetectors(detectors).map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(['toll-stations', 'wind-speed', 'clicks']));
    const toll = rcfDetectors(detectors).find((d) => d.name === 'toll-stations')!;
    expect(toll).toMatchObject({ format: 'csv', csv: { columns: ['date', 'station', 'plate'] }, key: 'station', features: ['count'] });
  });

  it('fills defaults: kind rcf, count, KDA forest parameters, the environment window and threshold', () => {
    const [d] = parseDetectors('detectors:\n  - name: a\n    format: json\n    key: k\n', 'x', { windowSeconds: 30, threshold: 3 });
    expect(d).toMatchObject({ kind: 'rcf', aggregates: [{ fn: 'count', name: 'count' }], features: ['count'], rcf: { numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 }, windowSeconds: 30, threshold: 3, silentKeys: false });
  });

  it('parses aggregate shorthands into named aggregates', () => {
    const [d] = parseDetectors('detectors:\n  - name: a\n    format: json\n    key: k\n    aggregates: [count, sum(bytes), avg(speed), {name: peak, fn: max, field: speed}]\n');
    expect(rcfDetectors([d!])[0]!.aggregates.map((a) => a.name)).toEqual(['count', 'sum_bytes', 'avg_speed', 'peak']);
  });

  it('lists every problem with the detector and setting to fix', () => {
    const problems = problemsOf(`
detectors:
  - name: toll
    format: csv
    csv: { columns: [date, station] }
    key: plate
    aggregates: [count, median(x)]
  - name: wind
    format: json
    key: location
    aggregates: [avg(speed)]
    features: [max_speed]
    silentKeys: true
    message: 'gust at {where}'
    rcf: { numberOfTrees: 0, sampleSize: 10 }
  - name: wind
    kind: hotspots
    format: json
    columns: [lat, lon]
    windowSize: 100
    scanRadius: 0.1
    minPoints: 5
`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'detectors[0] (toll): aggregates[1]: "median(x)" is not an aggregate: write count, sum(field), avg(field), min(field) or max(field)',
        expect.stringMatching(/^detectors\[1\] \(wind\): rcf.*numberOfTrees/),
        expect.stringMatching(/^detectors\[1\] \(wind\): rcf.*unknown setting sampleSize/),
      ]),
    );
    const second = problemsOf(`
detectors:
  - name: toll
    format: csv
    csv: { columns: [date, station] }
    key: plate
  - name: wind
    format: json
    key: location
    aggregates: [avg(speed)]
    features: [max_speed]
    silentKeys: true
    message: 'gust at {where}'
  - name: wind
    kind: hotspots
    format: json
    columns: [lat, lon]
    windowSize: 100
    scanRadius: 0.1
    minPoints: 5
`);
    expect(second).toEqual([
      'detectors[0] (toll): key field "plate" is not one of the CSV columns (date, station)',
      'detectors[1] (wind): feature max_speed is not an aggregate of this detector (aggregates: avg_speed)',
      'detectors[1] (wind): message placeholder {where} is unknown; use {detector}, {key}, {score}, {threshold}, {windowStart}, {windowEnd}, {count}, {feature}, {direction}, {avg_speed}',
      'detectors[2] (wind): the name wind is used by another detector; names must be unique (they are part of the table keys)',
    ]);
  });

  it('refuses silent keys on features an empty window cannot have', () => {
    expect(problemsOf('detectors:\n  - name: a\n    format: json\n    key: k\n    aggregates: [avg(speed)]\n    silentKeys: true\n')[0]).toContain('silentKeys needs features that are defined for an empty window');
  });

  it('accepts a hotspots detector next to rcf detectors', () => {
    const ds = parseDetectors('detectors:\n  - name: players\n    kind: hotspots\n    format: json\n    columns: [latitude, longitude]\n    windowSeconds: 10\n    windowSize: 1000\n    scanRadius: 0.05\n    minPoints: 20\n    threshold: 3\n');
    expect(ds[0]).toMatchObject({ kind: 'hotspots', columns: ['latitude', 'longitude'], scanRadius: 0.05, minPoints: 20, threshold: 3, message: expect.any(String) });
  });

  it('says when the file is not YAML or missing', () => {
    expect(problemsOf('detectors: [\n')).toEqual(['not valid YAML: unexpected end of the stream within a flow collection at line 2, column 1']);
    // A key given twice is an error, not the last value silently winning.
    expect(problemsOf('detectors:\n  - name: a\n    key: station\n    key: plate\n')).toEqual(['not valid YAML: duplicated mapping key at line 4, column 5']);
    expect(() => loadDetectorsFile('/nonexistent/detectors.yml')).toThrow(/cannot read the detectors file/);
  });

  it('validates from the command line helper with a summary per detector', () => {
    const text = validateDetectors(resolve(__dirname, '../../../detectors.yml'), {});
    expect(text).toMatch(/detectors valid/);
    expect(text).toMatch(/toll-stations \(rcf, csv\): key station/);
  });
});
