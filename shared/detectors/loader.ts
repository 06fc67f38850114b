import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type * as z from 'zod/mini';
import { DetectorsConfigError } from './errors';
import { describeYamlError, parseYaml } from '../yaml';
import {
  DEFAULT_HOTSPOTS_MESSAGE,
  DEFAULT_RCF_MESSAGE,
  RCF_PLACEHOLDERS,
  detectorInput,
  detectorsFileInput,
  type Detector,
  type HotspotsDetector,
  type RcfDetector,
} from './schema';

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

function zodProblems(prefix: string, error: z.core.$ZodError): string[] {
  return error.issues.map((issue) => {
    // A discriminated union reports an unknown kind with the raw list of options; say it plainly.
    if (issue.code === 'invalid_union' && issue.path.at(-1) === 'kind')
      return `${issuePath(prefix, issue.path)}: kind must be rcf (default) or hotspots`;
    if (issue.code === 'invalid_union') {
      // Report the alternative that got furthest: a custom message from it, else what was expected.
      const inner = issue.errors.flat();
      const custom = inner.find((i) => i.code === 'custom');
      if (custom) return `${issuePath(prefix, [...issue.path, ...custom.path])}: ${custom.message}`;
      const deepest = inner.reduce<(typeof inner)[number] | undefined>(
        (best, i) => (!best || i.path.length > best.path.length ? i : best),
        undefined,
      );
      if (deepest && deepest.path.length) return `${issuePath(prefix, [...issue.path, ...deepest.path])}: ${deepest.message}`;
    }
    if (issue.code === 'unrecognized_keys')
      return `${issuePath(prefix, issue.path)}: unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')} (check the spelling against docs/detectors.md)`;
    return `${issuePath(prefix, issue.path)}: ${issue.message}`;
  });
}

function checkCommon(where: string, d: Detector, problems: string[]): void {
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
    for (const a of d.aggregates) if (a.field) needs(a.field, `aggregate ${a.name}'s field`);
  } else {
    for (const c of d.columns) needs(c, 'column');
  }
}

function checkRcf(where: string, d: RcfDetector, problems: string[]): void {
  const names = new Set<string>();
  for (const a of d.aggregates) {
    if (names.has(a.name)) problems.push(`${where}: two aggregates are named ${a.name}; give one a different name`);
    names.add(a.name);
    if (a.fn === 'count' && a.field) problems.push(`${where}: aggregate ${a.name}: count takes no field`);
    if (a.fn !== 'count' && !a.field) problems.push(`${where}: aggregate ${a.name}: ${a.fn} needs a field, e.g. ${a.fn}(speed)`);
  }
  for (const f of d.features) {
    if (!names.has(f)) problems.push(`${where}: feature ${f} is not an aggregate of this detector (aggregates: ${[...names].join(', ')})`);
  }
  if (new Set(d.features).size !== d.features.length) problems.push(`${where}: features lists an aggregate twice`);
  if (d.rcf.shingleSize * d.features.length > 30)
    problems.push(`${where}: features × rcf.shingleSize must be at most 30 (a forest point has at most 30 dimensions)`);
  if (d.silentKeys) {
    const undefinedWhenEmpty = d.features.filter((f) => {
      const fn = d.aggregates.find((a) => a.name === f)?.fn;
      return fn === 'avg' || fn === 'min' || fn === 'max';
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
 * detector and the setting, so one run of `stream-sentinel detectors validate` shows everything to fix.
 */
export function parseDetectors(text: string, source = 'detectors.yml', defaults: DetectorDefaults = BUILTIN_DEFAULTS): Detector[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const problem = describeYamlError(error);
    if (problem === undefined) throw error;
    throw new DetectorsConfigError(source, [`not valid YAML: ${problem}`]);
  }
  const file = detectorsFileInput.safeParse(raw);
  if (!file.success) throw new DetectorsConfigError(source, zodProblems('', file.error));
  const problems: string[] = [];
  const detectors: Detector[] = [];
  file.data.detectors.forEach((entry, i) => {
    const label =
      entry && typeof entry === 'object' && typeof (entry as { name?: unknown }).name === 'string'
        ? `detectors[${i}] (${(entry as { name: string }).name})`
        : `detectors[${i}]`;
    const withKind = entry && typeof entry === 'object' && !('kind' in entry) ? { ...entry, kind: 'rcf' } : entry;
    const parsed = detectorInput.safeParse(withKind);
    if (!parsed.success) {
      problems.push(...zodProblems(label, parsed.error).map((p) => p.replace(`${label}.`, `${label}: `)));
      return;
    }
    const d = parsed.data;
    const base = {
      ...d,
      windowSeconds: d.windowSeconds ?? defaults.windowSeconds,
      threshold: d.threshold ?? defaults.threshold,
    };
    let detector: Detector;
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
        message: d.message ?? DEFAULT_RCF_MESSAGE,
      } as RcfDetector;
      checkCommon(label, detector, problems);
      checkRcf(label, detector, problems);
    } else {
      detector = { ...base, kind: 'hotspots', message: d.message ?? DEFAULT_HOTSPOTS_MESSAGE } as HotspotsDetector;
      checkCommon(label, detector, problems);
      checkHotspots(label, detector, problems);
    }
    if (detectors.some((x) => x.name === detector.name))
      problems.push(
        `${label}: the name ${detector.name} is used by another detector; names must be unique (they are part of the table keys)`,
      );
    detectors.push(detector);
  });
  if (problems.length) throw new DetectorsConfigError(source, problems);
  return detectors;
}

/** Reads and validates a detectors file. */
export function loadDetectorsFile(file: string, defaults: DetectorDefaults = BUILTIN_DEFAULTS): Detector[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DetectorsConfigError(file, [
      `cannot read the detectors file (${error instanceof Error ? error.message : String(error)}); set DETECTORS_FILE or package detectors.yml with the function`,
    ]);
  }
  return parseDetectors(text, file, defaults);
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
