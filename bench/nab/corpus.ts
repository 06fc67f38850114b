import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareNabFile, type NabFile } from '../../shared/anomaly/nab-score';
import { listNabSeries, loadKdaScores, loadNabSeries, NAB_ROOT } from '../../test/support/nab';

/**
 * The NAB corpus in ../shared/data/nab as the scorer needs it: each series' values and timestamps, its
 * labelled windows turned into a scoring table, and KDA's published RANDOM_CUT_FOREST scores (KDA scale).
 */

export interface NabCorpusFile {
  name: string;
  values: number[];
  /** Epoch ms (NAB's timestamps are UTC without an offset). */
  times: number[];
  file: NabFile;
  /** KDA's real score per row (the file's anomaly_score × 8). */
  kda: number[];
}

/** NAB timestamps look like `2014-04-10 07:15:00` (labels add `.000000`); both are UTC. */
export function parseNabTime(text: string): number {
  const t = Date.parse(`${text.trim().replace(' ', 'T')}Z`);
  if (!Number.isFinite(t)) throw new Error(`not a NAB timestamp: ${JSON.stringify(text)}`);
  return t;
}

export function loadNabWindows(): Record<string, Array<[string, string]>> {
  return JSON.parse(readFileSync(join(NAB_ROOT, 'labels', 'combined_windows.json'), 'utf8')) as Record<string, Array<[string, string]>>;
}

/** Every series (or those whose name contains one of `filters`), in a stable order. */
export function loadNabCorpus(filters: string[] = []): NabCorpusFile[] {
  const windows = loadNabWindows();
  return listNabSeries()
    .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
    .map((name) => {
      const series = loadNabSeries(name);
      const times = series.timestamps.map(parseNabTime);
      const limits = (windows[name] ?? []).map(([a, b]) => [parseNabTime(a), parseNabTime(b)] as [number, number]);
      return { name, values: series.values, times, file: prepareNabFile(name, times, limits), kda: loadKdaScores(name).scores };
    });
}
