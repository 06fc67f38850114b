import type { AnyDetector } from './schema';

/**
 * Which detector settings the deployed functions do not implement yet. The schema accepts them (import-sql writes
 * them, issue 15), but a function that loaded them would silently ignore them, so the loader refuses each one with
 * the message here unless the caller asked for schema-only validation. The engineer who lands a setting's runtime
 * deletes its entry; nothing else changes.
 */
export const SCHEMA_ONLY = {
  recordsGrade:
    'records detectors alert on score only for now (the anomaly grade is wired into rcf window detectors, issue 16): write alertOn: score',
  recordsSuppress: 'suppress is not supported for records detectors yet (issue 16 wired it for rcf window detectors); remove it',
} as const;

export type SchemaOnlySetting = keyof typeof SCHEMA_ONLY;

const pending = (s: SchemaOnlySetting): boolean => Object.prototype.hasOwnProperty.call(SCHEMA_ONLY, s);

/** The schema-only settings one detector uses, each once, in a fixed order. */
export function schemaOnlySettings(d: AnyDetector): SchemaOnlySetting[] {
  const used = new Set<SchemaOnlySetting>();
  // Records detectors score record by record (shared/per-record) and have no grade yet: they alert on score.
  if (d.kind === 'records') {
    if (d.alertOn === 'grade') used.add('recordsGrade');
    if (d.suppress?.length) used.add('recordsSuppress');
  }
  return (Object.keys(SCHEMA_ONLY) as SchemaOnlySetting[]).filter((s) => used.has(s) && pending(s));
}

/** Messages for the settings of `d` that the runtime would ignore; empty when the functions can run it. */
export const unsupportedByRuntime = (d: AnyDetector): string[] => schemaOnlySettings(d).map((s) => SCHEMA_ONLY[s]);
