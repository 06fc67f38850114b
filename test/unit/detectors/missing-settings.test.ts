import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateDetectors } from '../../../cli/commands/detectors';
import { DetectorsConfigError, parseDetectors } from '../../../shared/detectors';

/** A required setting left out is reported as what it is for, not as the validator's type message. */

function problemsOf(yaml: string): string[] {
  try {
    parseDetectors(yaml, 'd.yml');
  } catch (error) {
    if (error instanceof DetectorsConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the file to be refused');
}

describe('detectors file: missing required settings', () => {
  it('says an rcf detector needs key, the field to group by', () => {
    const problems = problemsOf('detectors:\n  - name: a\n    format: json\n');
    expect(problems).toEqual([expect.stringMatching(/^detectors\[0\] \(a\): key: rcf detectors need `key` \(the field to group by/)]);
    expect(problems.join('\n')).not.toMatch(/received undefined/);
  });

  it('names what each missing hotspots, records, csv and time setting is for', () => {
    const problems = problemsOf(
      [
        'detectors:',
        '  - kind: hotspots',
        '    format: json',
        '  - name: r',
        '    kind: records',
        '  - name: c',
        '    format: csv',
        '    csv: {}',
        '    key: x',
        '    time: { format: iso }',
      ].join('\n'),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^detectors\[0\]: name: every detector needs `name`/),
      expect.stringMatching(/^detectors\[0\]: columns: hotspots detectors need `columns`/),
      expect.stringMatching(/^detectors\[0\]: windowSize: hotspots detectors need `windowSize`/),
      expect.stringMatching(/^detectors\[0\]: scanRadius: hotspots detectors need `scanRadius`/),
      expect.stringMatching(/^detectors\[0\]: minPoints: hotspots detectors need `minPoints`/),
      expect.stringMatching(/^detectors\[1\] \(r\): format: every detector needs `format`: json or csv/),
      expect.stringMatching(/^detectors\[1\] \(r\): features: records detectors need `features`/),
      expect.stringMatching(/^detectors\[2\] \(c\): csv.columns: csv needs `columns`/),
      expect.stringMatching(/^detectors\[2\] \(c\): time.field: time needs `field`/),
    ]);
  });

  it('says to list detectors when the file has none', () => {
    expect(problemsOf('version: 1\n')).toEqual([expect.stringMatching(/^detectors: list the detectors under `detectors:`/)]);
  });

  it('keeps the type message when a setting is present but of the wrong type', () => {
    const problems = problemsOf('detectors:\n  - name: a\n    format: json\n    key: [1, 2]\n');
    expect(problems).toEqual(['detectors[0] (a): key: Invalid input']);
  });

  it('stream-sentinel detectors validate prints the same wording for a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-validate-'));
    try {
      const file = join(dir, 'detectors.yml');
      writeFileSync(file, 'detectors:\n  - name: toll\n    format: csv\n    csv: { columns: [date, station, plate] }\n');
      expect(() => validateDetectors(file)).toThrow(`${file}: detectors[0] (toll): key: rcf detectors need \`key\` (the field to group by`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
