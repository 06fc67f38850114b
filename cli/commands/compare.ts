import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { BUILTIN_DEFAULTS, loadDetectorsFile, type AnyDetector, type RcfDetector, type RecordsDetector } from '../../shared/detectors';
import { CompareError, compareWithKda, reportText, type CompareOptions, type CompareReport } from '../../shared/sql/compare';

/**
 * `stream-sentinel compare <input> <kda-output>`: stream-sentinel's scores for a recorded input next to what the KDA
 * application wrote for it (shared/sql/compare.ts) — the acceptance test of a migration (docs/migration.md).
 */

/** The detector to compare: by name, else the file's only rcf or records detector. */
export function pickDetector(detectors: AnyDetector[], name: string | undefined): RcfDetector | RecordsDetector {
  const scoring = detectors.filter((d): d is RcfDetector | RecordsDetector => d.kind !== 'hotspots');
  if (name) {
    const d = detectors.find((x) => x.name === name);
    if (!d) throw new CompareError(`no detector named ${name} (detectors: ${detectors.map((x) => x.name).join(', ')})`);
    if (d.kind === 'hotspots') throw new CompareError(`${name} is a hotspots detector; compare scores rcf and records detectors`);
    return d;
  }
  if (scoring.length !== 1)
    throw new CompareError(
      `the file has ${scoring.length} rcf/records detectors (${scoring.map((d) => d.name).join(', ')}); name one with --detector`,
    );
  return scoring[0]!;
}

export function compareFiles(
  detectorsFile: string,
  inputFile: string,
  kdaFile: string,
  options: CompareOptions & { detector?: string },
): CompareReport {
  // Schema only: compare runs nothing deployed, and per-record detectors are what it is most often for.
  const detectors = loadDetectorsFile(detectorsFile, BUILTIN_DEFAULTS, { schemaOnly: true });
  const detector = pickDetector(detectors, options.detector);
  return compareWithKda(detector, readFileSync(inputFile, 'utf8'), readFileSync(kdaFile, 'utf8'), options);
}

export function register(program: Command): void {
  program
    .command('compare')
    .description("Score a recorded input with a detector and compare with the KDA application's ANOMALY_SCORE output for it")
    .argument('<input>', 'the recorded input: CSV with a header line (or raw CSV records for a csv detector) or JSON lines')
    .argument('<kda-output>', 'what the KDA application wrote for it: CSV with a header or JSON lines, with an ANOMALY_SCORE column')
    .option('-d, --detectors <file>', 'the detectors file', 'detectors.yml')
    .option('--detector <name>', 'which detector (default: the only rcf or records detector)')
    .option('--kda-scale <n>', "multiply KDA's scores by n first (NAB's published KDA scores are divided by 8: use 8)", Number, 1)
    .option('--kda-key <column>', "the KDA output's key column, for window detectors (default: the detector's key)")
    .option('--arrival-field <field>', "input field with each row's arrival time, for window detectors on arrival time (ROWTIME)")
    .option(
      '--one-forest',
      "window detectors: one forest for all keys in KDA's row order, as KDA scored (the deployed detector has one per key)",
      false,
    )
    .option('--json', 'print the report as JSON', false)
    .action((input: string, kda: string, opts: CompareOptions & { detectors: string; detector?: string; json: boolean }) => {
      try {
        const report = compareFiles(opts.detectors, input, kda, opts);
        console.log(opts.json ? JSON.stringify(report, null, 2) : reportText(report).join('\n'));
      } catch (error) {
        if (!(error instanceof CompareError)) throw error;
        console.error(`stream-sentinel compare: ${error.message}`);
        process.exitCode = 1;
      }
    });
}
