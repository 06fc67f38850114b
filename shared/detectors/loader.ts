/**
 * Loading the detectors file: YAML → schema → typed detectors, with messages that say what to fix, and the refusal of
 * settings the functions do not run yet (support.ts) unless a caller only validates (import-sql, compare).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type * as z from 'zod/mini';
import { DetectorsConfigError } from './errors';
import { describeYamlError, parseYaml } from '../yaml';
import {
  DEFAULT_HOTSPOTS_MESSAGE,
  DEFAULT_RCF_MESSAGE,
  DEFAULT_RECORDS_MESSAGE,
  RCF_PLACEHOLDERS,
  RECORDS_PLACEHOLDERS,
  detectorInput,
  detectorsFileInput,
  type AnyDetector,
  type Detector,
  type HotspotsDetector,
  type OutputSpec,
  type RcfDetector,
  type RecordsDetector,
} from './schema';
import { missingSettingMessage, valueAt } from './required';
import { unsupportedByRuntime } from './support';
import { modelBoundProblem } from '../windows/model-bound';

export interface ParseOptions {
  /**
   * Validate the schema only: accept the settings the functions do not implement yet (support.ts). For tools that
   * write or read detectors without running them (import-sql, compare); never for a function that runs them.
   */
  schemaOnly?: boolean;
}

export interface DetectorDefaults {
  /** Window length for detectors that set none (the function's tumbling window, WINDOW_SECONDS). */
  windowSeconds: number;
  /** Threshold for detectors that set none (ANOMALY_THRESHOLD). */
  threshold: number;
}

export const BUILTIN_DEFAULTS: DetectorDefaults = { windowSeconds: 10, threshold: 2 };

const PLACEHOLDER = /\{([^{}]*)\}/g;

function issuePath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(top level)';
}

/**
 * The validator's issues as problems to fix. With the parsed input (`raw`), a required setting that is absent reads
 * as what it is for (required.ts), not as the type the validator expected; `kind` picks the detector kind's wording.
 */
function zodProblems(prefix: string, error: z.core.$ZodError, raw?: unknown, kind?: string): string[] {
  return error.issues.map((issue) => {
    if (
      raw !== undefined &&
      issue.code !== 'invalid_union' &&
      issue.code !== 'unrecognized_keys' &&
      valueAt(raw, issue.path) === undefined
    ) {
      const missing = missingSettingMessage(issue.path, kind);
      if (missing) return `${issuePath(prefix, issue.path)}: ${missing}`;
    }
    // A discriminated union reports an unknown kind with the raw list of options; say it plainly.
    if (issue.code === 'invalid_union' && issue.path.at(-1) === 'kind')
      return `${issuePath(prefix, issue.path)}: must be rcf (default), hotspots or records`;
    if (issue.code === 'invalid_union') {
      // Report the alternative that got furthest: a custom message from it, else what was expected.
      const inner = issue.errors.flat();
      const custom = inner.find((i) => i.code === 'custom');
      if (custom) return `${issuePath(prefix, [...issue.path, ...custom.path])}: ${custom.message}`;
      const deepest = inner.reduce<(typeof inner)[number] | undefined>(
        (best, i) => (!best || i.path.length > best.path.length ? i : best),
        undefined,
      );
      if (deepest && deepest.path.length) {
        const path = [...issue.path, ...deepest.path];
        const missing = raw !== undefined && valueAt(raw, path) === undefined ? missingSettingMessage(path, kind) : undefined;
        return `${issuePath(prefix, path)}: ${missing ?? deepest.message}`;
      }
    }
    if (issue.code === 'unrecognized_keys')
      return `${issuePath(prefix, issue.path)}: unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')} (check the spelling against docs/detectors.md)`;
    return `${issuePath(prefix, issue.path)}: ${issue.message}`;
  });
}

function checkCommon(where: string, d: AnyDetector, problems: string[]): void {
  if (d.format === 'csv' && !d.csv)
    problems.push(`${where}: format csv needs csv.columns, the column names in order (e.g. csv: { columns: [date, station, plate] })`);
  if (d.format === 'json' && d.csv) problems.push(`${where}: csv settings are only for format csv (this detector reads json)`);
  const columns = d.csv?.columns;
  if (columns) {
    const dup = columns.find((c, i) => columns.indexOf(c) !== i);
    if (dup) problems.push(`${where}: csv.columns names ${dup} twice`);
  }
  const needs = (field: string, what: string) => {
    if (columns && !columns.includes(field))
      problems.push(`${where}: ${what} "${field}" is not one of the CSV columns (${columns.join(', ')})`);
  };
  if (d.time) needs(d.time.field, 'time field');
  for (const f of Object.keys(d.match ?? {})) needs(f, 'match field');
  if (d.kind === 'rcf') {
    needs(d.key, 'key field');
    for (const a of d.aggregates) {
      if (a.field) needs(a.field, `aggregate ${a.name}'s field`);
      for (const f of Object.keys(a.where ?? {})) needs(f, `aggregate ${a.name}'s where field`);
    }
  } else if (d.kind === 'records') {
    if (d.key) needs(d.key, 'key field');
    for (const f of d.features) needs(f, 'feature');
  } else {
    for (const c of d.columns) needs(c, 'column');
  }
}

/** Output targets and columns: each column must come from something the detector produces. */
function checkOutputs(where: string, d: RcfDetector | RecordsDetector, problems: string[]): void {
  (d.outputs ?? []).forEach((o: OutputSpec, i) => {
    const at = `${where}: outputs[${i}]`;
    if ((o.kinesis === undefined) === (o.firehose === undefined))
      problems.push(`${at}: name exactly one target, kinesis: <stream name or ARN> or firehose: <delivery stream name or ARN>`);
    const columns = o.columns;
    if (!columns) return;
    const names = columns.map((c) => c.name);
    const dup = names.find((c, j) => names.indexOf(c) !== j);
    if (dup) problems.push(`${at}: columns names ${dup} twice`);
    if (!columns.some((c) => c.from === 'ANOMALY_SCORE'))
      problems.push(`${at}: columns has no ANOMALY_SCORE column (any case), so the consumer gets no score`);
    if (columns.some((c) => c.from === 'ANOMALY_SCORE_EXPLANATION') && !d.explain)
      problems.push(`${at}: column ANOMALY_SCORE_EXPLANATION needs explain: true`);
    const scores = new Set(['ANOMALY_SCORE', 'ANOMALY_SCORE_EXPLANATION']);
    if (d.kind === 'rcf') {
      const known = new Set([d.key, 'windowStart', 'windowEnd', ...d.aggregates.map((a) => a.name)]);
      for (const c of columns) {
        if (!scores.has(c.from) && !known.has(c.from))
          problems.push(
            `${at}: column ${c.name}${c.from !== c.name ? ` (from ${c.from})` : ''} is not the key, an aggregate, windowStart, windowEnd or ANOMALY_SCORE (known: ${[...known].join(', ')})`,
          );
      }
    } else if (d.csv) {
      for (const c of columns) {
        if (!scores.has(c.from) && !d.csv.columns.includes(c.from))
          problems.push(
            `${at}: column ${c.name}${c.from !== c.name ? ` (from ${c.from})` : ''} is not one of the CSV columns (${d.csv.columns.join(', ')}) or ANOMALY_SCORE`,
          );
      }
    }
  });
}

function checkRecords(where: string, d: RecordsDetector, problems: string[]): void {
  if (new Set(d.features).size !== d.features.length) problems.push(`${where}: features lists a field twice`);
  if (d.rcf.shingleSize * d.features.length > 30)
    problems.push(`${where}: features × rcf.shingleSize must be at most 30 (a forest point has at most 30 dimensions)`);
  checkOutputs(where, d, problems);
  const allowed = new Set<string>([...RECORDS_PLACEHOLDERS, ...d.features]);
  for (const m of d.message.matchAll(PLACEHOLDER)) {
    if (!allowed.has(m[1]!))
      problems.push(`${where}: message placeholder {${m[1]}} is unknown; use ${[...allowed].map((p) => `{${p}}`).join(', ')}`);
  }
}

function checkRcf(where: string, d: RcfDetector, problems: string[]): void {
  const names = new Set<string>();
  for (const a of d.aggregates) {
    if (names.has(a.name)) problems.push(`${where}: two aggregates are named ${a.name}; give one a different name`);
    names.add(a.name);
    if (a.fn === 'count' && a.field) problems.push(`${where}: aggregate ${a.name}: count takes no field`);
    if (a.fn !== 'count' && a.fn !== 'ratio' && !a.field)
      problems.push(`${where}: aggregate ${a.name}: ${a.fn} needs a field, e.g. ${a.fn}(speed)`);
    if (a.where && a.fn !== 'count' && a.fn !== 'sum')
      problems.push(`${where}: aggregate ${a.name}: where is for count and sum only (COUNT/SUM of the matching records)`);
  }
  for (const a of d.aggregates) {
    if (a.fn !== 'ratio') continue;
    for (const operand of a.ratio!) {
      const target = d.aggregates.find((b) => b.name === operand);
      if (!target) problems.push(`${where}: aggregate ${a.name}: ratio operand ${operand} is not an aggregate of this detector`);
      else if (target.fn === 'ratio')
        problems.push(
          `${where}: aggregate ${a.name}: ratio operand ${operand} is itself a ratio; use count, sum, avg, min, max or count_distinct aggregates`,
        );
    }
  }
  if (d.everySeconds !== undefined) {
    if (d.everySeconds >= d.windowSeconds)
      problems.push(
        `${where}: everySeconds (${d.everySeconds}) must be less than windowSeconds (${d.windowSeconds}); equal is a tumbling window, leave everySeconds out`,
      );
    else if (d.windowSeconds % d.everySeconds !== 0)
      problems.push(
        `${where}: windowSeconds (${d.windowSeconds}) must be a multiple of everySeconds (${d.everySeconds}) so that windows start on hop boundaries`,
      );
  }
  checkOutputs(where, d, problems);
  for (const f of d.features) {
    if (!names.has(f)) problems.push(`${where}: feature ${f} is not an aggregate of this detector (aggregates: ${[...names].join(', ')})`);
  }
  if (new Set(d.features).size !== d.features.length) problems.push(`${where}: features lists an aggregate twice`);
  if (d.rcf.shingleSize * d.features.length > 30)
    problems.push(`${where}: features × rcf.shingleSize must be at most 30 (a forest point has at most 30 dimensions)`);
  if (d.silentKeys) {
    const undefinedWhenEmpty = d.features.filter((f) => {
      const fn = d.aggregates.find((a) => a.name === f)?.fn;
      return fn === 'avg' || fn === 'min' || fn === 'max' || fn === 'ratio';
    });
    if (undefinedWhenEmpty.length) {
      problems.push(
        `${where}: silentKeys needs features that are defined for an empty window (count or sum); ${undefinedWhenEmpty.join(', ')} ${undefinedWhenEmpty.length > 1 ? 'are' : 'is'} not — add count to the features or turn silentKeys off`,
      );
    }
  }
  const allowed = new Set<string>([...RCF_PLACEHOLDERS, ...names]);
  for (const m of d.message.matchAll(PLACEHOLDER)) {
    if (!allowed.has(m[1]!))
      problems.push(`${where}: message placeholder {${m[1]}} is unknown; use ${[...allowed].map((p) => `{${p}}`).join(', ')}`);
  }
}

function checkHotspots(where: string, d: HotspotsDetector, problems: string[]): void {
  for (const m of d.message.matchAll(PLACEHOLDER)) {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(m[1]!)) problems.push(`${where}: message placeholder {${m[1]}} is not a name`);
  }
}

/**
 * Parses and validates a detectors document. Every problem is collected (not just the first), each naming the
 * detector and the setting, so one run of `stream-sentinel detectors validate` shows everything to fix. Settings the
 * functions do not implement yet are problems too, unless `options.schemaOnly` (support.ts).
 */
export function parseDetectors(
  text: string,
  source?: string,
  defaults?: DetectorDefaults,
  options?: ParseOptions & { schemaOnly?: false },
): Detector[];
export function parseDetectors(
  text: string,
  source: string,
  defaults: DetectorDefaults,
  options: ParseOptions & { schemaOnly: true },
): AnyDetector[];
export function parseDetectors(
  text: string,
  source = 'detectors.yml',
  defaults: DetectorDefaults = BUILTIN_DEFAULTS,
  options: ParseOptions = {},
): AnyDetector[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const problem = describeYamlError(error);
    if (problem === undefined) throw error;
    throw new DetectorsConfigError(source, [`not valid YAML: ${problem}`]);
  }
  const file = detectorsFileInput.safeParse(raw);
  if (!file.success) throw new DetectorsConfigError(source, zodProblems('', file.error, raw ?? {}));
  const problems: string[] = [];
  const detectors: AnyDetector[] = [];
  file.data.detectors.forEach((entry, i) => {
    const label =
      entry && typeof entry === 'object' && typeof (entry as { name?: unknown }).name === 'string'
        ? `detectors[${i}] (${(entry as { name: string }).name})`
        : `detectors[${i}]`;
    const withKind = entry && typeof entry === 'object' && !('kind' in entry) ? { ...entry, kind: 'rcf' } : entry;
    const parsed = detectorInput.safeParse(withKind);
    if (!parsed.success) {
      problems.push(
        ...zodProblems(label, parsed.error, withKind, (withKind as { kind?: unknown }).kind as string | undefined).map((p) =>
          p.replace(`${label}.`, `${label}: `),
        ),
      );
      return;
    }
    const d = parsed.data;
    const base = {
      ...d,
      windowSeconds: d.windowSeconds ?? defaults.windowSeconds,
      threshold: d.threshold ?? defaults.threshold,
    };
    let detector: AnyDetector;
    if (d.kind === 'rcf') {
      detector = {
        ...base,
        kind: 'rcf',
        key: d.key,
        aggregates: d.aggregates,
        features: d.features ?? d.aggregates.map((a) => a.name),
        rcf: d.rcf,
        silentKeys: d.silentKeys,
        maxKeys: d.maxKeys,
        lateness: d.lateness,
        message: d.message ?? DEFAULT_RCF_MESSAGE,
      } as RcfDetector;
      checkCommon(label, detector, problems);
      checkRcf(label, detector, problems);
    } else if (d.kind === 'records') {
      detector = { ...base, kind: 'records', rcf: d.rcf, message: d.message ?? DEFAULT_RECORDS_MESSAGE } as RecordsDetector;
      checkCommon(label, detector, problems);
      checkRecords(label, detector, problems);
    } else {
      detector = { ...base, kind: 'hotspots', message: d.message ?? DEFAULT_HOTSPOTS_MESSAGE } as HotspotsDetector;
      checkCommon(label, detector, problems);
      checkHotspots(label, detector, problems);
    }
    if (detectors.some((x) => x.name === detector.name))
      problems.push(
        `${label}: the name ${detector.name} is used by another detector; names must be unique (they are part of the table keys)`,
      );
    if (!options.schemaOnly) {
      for (const why of unsupportedByRuntime(detector))
        problems.push(`${label}: ${why} — remove it before deploying (only schema-only validation, e.g. import-sql, accepts it)`);
      // A forest that could outgrow what the model store keeps would fail its key's saves months after deploying.
      const tooLarge = detector.kind === 'hotspots' ? undefined : modelBoundProblem(detector);
      if (tooLarge) problems.push(`${label}: ${tooLarge}`);
    }
    detectors.push(detector);
  });
  if (problems.length) throw new DetectorsConfigError(source, problems);
  return detectors;
}

/** Reads and validates a detectors file (see parseDetectors for `options`). */
export function loadDetectorsFile(file: string, defaults?: DetectorDefaults, options?: ParseOptions & { schemaOnly?: false }): Detector[];
export function loadDetectorsFile(file: string, defaults: DetectorDefaults, options: ParseOptions & { schemaOnly: true }): AnyDetector[];
export function loadDetectorsFile(file: string, defaults: DetectorDefaults = BUILTIN_DEFAULTS, options: ParseOptions = {}): AnyDetector[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DetectorsConfigError(file, [
      `cannot read the detectors file (${error instanceof Error ? error.message : String(error)}); set DETECTORS_FILE or package detectors.yml with the function`,
    ]);
  }
  return options.schemaOnly ? parseDetectors(text, file, defaults, { schemaOnly: true }) : parseDetectors(text, file, defaults);
}

/**
 * Where the detectors file is: DETECTORS_FILE if set; in Lambda, detectors.yml at the package root
 * (LAMBDA_TASK_ROOT, packaged through `package.patterns`); otherwise the repository's detectors.yml.
 */
export function detectorsFilePath(env: NodeJS.ProcessEnv = process.env, fallbackDir = process.cwd()): string {
  if (env.DETECTORS_FILE) return resolve(env.DETECTORS_FILE);
  const candidates = [env.LAMBDA_TASK_ROOT, fallbackDir, resolve(__dirname, '../..')]
    .filter((d): d is string => Boolean(d))
    .map((d) => resolve(d, 'detectors.yml'));
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

export const rcfDetectors = (detectors: Detector[]): RcfDetector[] => detectors.filter((d): d is RcfDetector => d.kind === 'rcf');
export const hotspotsDetectors = (detectors: Detector[]): HotspotsDetector[] =>
  detectors.filter((d): d is HotspotsDetector => d.kind === 'hotspots');
