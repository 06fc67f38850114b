/**
 * What each required detector setting is for, said when it is missing: the schema's intent ("rcf detectors need
 * `key` (the field to group by) …") instead of the validator's type message ("expected string, received undefined").
 * Only the wording of the loader's problems lives here; what is required is the schema's (schema.ts).
 */

type Kind = 'rcf' | 'hotspots' | 'records';

/** Setting path (names joined by ".", list indexes left out) → what to write; `kind` narrows it to one kind. */
const REQUIRED: Record<string, string | Partial<Record<Kind, string>>> = {
  detectors: 'list the detectors under `detectors:` (docs/detectors.md has one of each kind)',
  name: 'every detector needs `name`, unique in the file (a letter, then up to 63 letters, digits, "_", "-" or "."; it is part of the table keys)',
  format: 'every detector needs `format`: json or csv, how its records are encoded',
  key: {
    rcf: 'rcf detectors need `key` (the field to group by: one window and one forest per value, e.g. key: station); for a single series without a key column, use kind: records',
  },
  features: {
    records: 'records detectors need `features`, the numeric fields scored for every record (e.g. features: [price])',
  },
  columns: {
    hotspots: 'hotspots detectors need `columns`, the numeric fields that make a point (e.g. columns: [latitude, longitude])',
  },
  windowSize: { hotspots: 'hotspots detectors need `windowSize`, how many recent points the HOTSPOTS window holds (e.g. 1000)' },
  scanRadius: {
    hotspots:
      "hotspots detectors need `scanRadius`, the distance within which points count as neighbours, in the columns' units (e.g. 0.0005)",
  },
  minPoints: { hotspots: 'hotspots detectors need `minPoints`, the fewest points that make a hotspot (e.g. 30)' },
  'csv.columns': 'csv needs `columns`, the CSV column names in order (e.g. csv: { columns: [date, station, plate] })',
  'time.field': 'time needs `field`, the field that holds the event time (e.g. time: { field: timestamp, format: iso })',
  'aggregates.name': 'an aggregate written as a map needs `name` (what features and the message call it)',
  'aggregates.fn': 'an aggregate written as a map needs `fn`: count, sum, avg, min, max or count_distinct',
  'aggregates.ratio': "a ratio aggregate needs `ratio: [numerator, denominator]`, two other aggregates' names",
};

/** The message for a required setting missing at `path` (relative to a detector, or to the file without `kind`). */
export function missingSettingMessage(path: ReadonlyArray<PropertyKey>, kind?: string): string | undefined {
  const name = path.filter((p) => typeof p === 'string').join('.');
  const entry = REQUIRED[name];
  if (typeof entry === 'string') return entry;
  return entry && kind ? entry[kind as Kind] : undefined;
}

/** The raw value at `path`, undefined when any step is missing (the setting was left out). */
export function valueAt(raw: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let at = raw;
  for (const p of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[p];
  }
  return at;
}
