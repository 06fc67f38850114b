import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseDetectors, schemaOnlySettings, type AnyDetector } from '../../shared/detectors';
import { readSqlApplication } from '../../shared/sql/sources';
import { reportLines, toDetectorsYaml, translateSql, type InputSchema } from '../../shared/sql/translate';

/**
 * `stream-sentinel import-sql <file>`: a KDA SQL application (.sql, CloudFormation/SAM template or Terraform)
 * → detectors.yml entries and one line per statement on what was translated (docs/migration.md).
 */

export interface ImportOptions {
  threshold?: number;
  name?: string;
  /** Input CSV columns when the file has no input schema (a bare .sql): `name` or `name:SQLTYPE`. */
  csvColumns?: string[];
}

export interface ImportResult {
  yaml: string;
  /** The report: one line per statement, then notes, then what the deployed functions cannot run yet. */
  lines: string[];
  detectors: AnyDetector[];
}

/** Translates the application in `text` (read from `file`) and checks the result against the detectors schema. */
export function importSql(text: string, file: string, options: ImportOptions = {}): ImportResult {
  const app = readSqlApplication(text, file);
  let input: InputSchema | undefined = app.input;
  if (!input && options.csvColumns)
    input = {
      format: 'csv',
      columns: options.csvColumns.map((c) => {
        const [name, sqlType] = c.split(':').map((s) => s.trim());
        return { name: name!, ...(sqlType ? { sqlType: sqlType.toUpperCase() } : {}) };
      }),
    };
  const translation = translateSql(app.sql, {
    ...(input ? { input } : {}),
    outputs: app.outputs,
    ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
    ...(options.name ? { name: options.name } : {}),
  });
  translation.notes.unshift(...app.notes);
  const yaml = toDetectorsYaml(translation, basename(app.source));
  const lines = reportLines(translation);
  if (!translation.detectors.length) return { yaml, lines: [...lines, 'result: no detector could be translated'], detectors: [] };
  // Schema-only: the importer may write settings the functions do not run yet; say which instead of refusing.
  const detectors = parseDetectors(yaml, 'import-sql output', { windowSeconds: 10, threshold: 2 }, { schemaOnly: true });
  for (const d of detectors) {
    const pending = schemaOnlySettings(d);
    lines.push(
      pending.length
        ? `result: ${d.name} uses ${pending.join(', ')}, which the deployed functions do not run yet: \`detectors validate\` refuses it until they do`
        : `result: ${d.name} is valid and deployable`,
    );
  }
  return { yaml, lines, detectors };
}

const numberOption = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a number above 0, got ${v}`);
  return n;
};

export function register(program: Command): void {
  program
    .command('import-sql')
    .description(
      'Translate a Kinesis Data Analytics SQL application (.sql, CloudFormation/SAM template or Terraform file) into detectors.yml entries',
    )
    .argument('<file>', 'the .sql file, template (.yaml/.yml/.json) or Terraform file (.tf)')
    .option(
      '--threshold <score>',
      'the alert threshold (KDA apps usually kept it in the consuming Lambda, e.g. ANOMALY_THRESHOLD = 2.5)',
      numberOption('--threshold'),
    )
    .option('--name <name>', 'detector name (a prefix when there are several)')
    .option(
      '--csv-columns <list>',
      'comma-separated input CSV columns, name or name:TYPE (e.g. date,station_id:VARCHAR,count:INTEGER), when the file has no input schema (RecordColumns)',
      (v: string) => v.split(',').map((s) => s.trim()),
    )
    .option('-o, --output <file>', 'write the detectors here instead of standard output')
    .action((file: string, opts: ImportOptions & { output?: string }) => {
      const result = importSql(readFileSync(file, 'utf8'), file, opts);
      for (const line of result.lines) console.error(line);
      if (opts.output) writeFileSync(opts.output, result.yaml);
      else process.stdout.write(result.yaml);
      if (!result.detectors.length) process.exitCode = 1;
    });
}
