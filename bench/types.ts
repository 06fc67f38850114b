/** What one bench/*.bench.ts default export resolves to. */
export interface BenchReport {
  name: string;
  /** Measured figures, printed as `key: value` (include units in the key, e.g. `points/s`). */
  figures: Record<string, number | string>;
  /** Each performance target of an issue, checked here rather than in tests. */
  targets?: Array<{ name: string; value: number | string; target: string; met: boolean }>;
  /** Optional per-row detail (e.g. per-file fidelity), printed as a table. */
  table?: Array<Record<string, number | string>>;
  seconds?: number;
}
