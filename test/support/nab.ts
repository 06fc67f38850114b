import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The NAB corpus in ../shared/data/nab, found relative to this file so tests never depend on an absolute path. */
export const NAB_ROOT = resolve(__dirname, '../../../shared/data/nab');

export interface NabSeries {
  /** `<category>/<file>.csv`, e.g. `realTweets/Twitter_volume_AAPL.csv`. */
  name: string;
  timestamps: string[];
  values: number[];
}

export interface KdaScores {
  values: number[];
  /** KDA's RANDOM_CUT_FOREST score on KDA's own scale (the file's anomaly_score × 8). */
  scores: number[];
  labels: number[];
}

/** Every series of the corpus as `<category>/<file>.csv`, sorted. */
export function listNabSeries(): string[] {
  const dataDir = join(NAB_ROOT, 'data');
  return readdirSync(dataDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(dataDir, d.name))
        .filter((f) => f.endsWith('.csv'))
        .map((f) => `${d.name}/${f}`),
    )
    .sort();
}

/** Splits a small, well-formed CSV file into rows of fields (NAB files have no quoting). */
function readRows(file: string): string[][] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const rows = lines.slice(1).filter((l) => l.trim() !== '');
  return rows.map((l) => l.split(','));
}

function toNumber(field: string | undefined, file: string, line: number): number {
  const x = Number(field);
  if (field === undefined || field.trim() === '' || !Number.isFinite(x))
    throw new Error(`${file}:${line}: not a number: ${JSON.stringify(field)}`);
  return x;
}

/** A raw NAB series (`timestamp,value`). */
export function loadNabSeries(name: string): NabSeries {
  const file = join(NAB_ROOT, 'data', name);
  const rows = readRows(file);
  return {
    name,
    timestamps: rows.map((r) => r[0] ?? ''),
    values: rows.map((r, i) => toNumber(r[1], file, i + 2)),
  };
}

/** KDA's real scores for a series (`timestamp,value,anomaly_score,label`, anomaly_score = KDA score / 8). */
export function loadKdaScores(name: string): KdaScores {
  const file = join(NAB_ROOT, 'kda-rcf-scores', name);
  const rows = readRows(file);
  return {
    values: rows.map((r, i) => toNumber(r[1], file, i + 2)),
    scores: rows.map((r, i) => toNumber(r[2], file, i + 2) * 8),
    labels: rows.map((r, i) => toNumber(r[3], file, i + 2)),
  };
}

// The same statistics `sql compare` reports, so a test's threshold and a migration report measure alike.
export { mean, pearson } from '../../shared/sql/correlation';
