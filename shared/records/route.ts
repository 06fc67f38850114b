import { namedFields, splitCsvLine } from './csv';
import { getField, matchesRule } from './fields';
import { DEFAULT_JSON_LIMITS, parseConcatenatedJson, type Fields, type JsonLimits } from './json';
import { quote, type Decoded } from './text';

/**
 * Which detectors a record's text belongs to: JSON (an object, an array of objects or concatenated objects)
 * or, for anything else, a CSV line read with each CSV detector's columns. Problems are returned, never thrown.
 */

/** What routing needs to know about a detector (both detector kinds satisfy it). */
export interface Selectable {
  name: string;
  format: 'json' | 'csv';
  csv?: { columns: string[]; delimiter: string };
  match?: Record<string, unknown>;
}

export interface Routed<D> {
  detector: D;
  fields: Fields;
  /** Position of the object within the record (concatenated JSON holds several). */
  index: number;
}

export interface RouteReject {
  detector?: string;
  reason: string;
  index: number;
}

/**
 * A detector with a `match` rule takes the objects the rule accepts; one without takes those that carry
 * `defaultField(detector)` (its key, or its first column), so two detectors can share a stream without
 * rejecting each other's records. An object no detector takes, or text that does not decode, is a problem
 * whose reason says what each detector thought of it. Every problem of the text is returned (see routeRecord
 * for one per record).
 */
export function routeText<D extends Selectable>(
  text: string,
  detectors: readonly D[],
  defaultField: (d: D) => string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): { events: Routed<D>[]; problems: RouteReject[] } {
  const events: Routed<D>[] = [];
  const problems: RouteReject[] = [];
  const first = firstNonBlank(text);
  if (first === 0x7b || first === 0x5b) {
    const parsed = parseConcatenatedJson(text, limits);
    if (!parsed.ok) {
      problems.push({ reason: parsed.reason, index: 0 });
      return { events, problems };
    }
    const pieces = parsed.value;
    for (let index = 0; index < pieces.length; index++) {
      const piece = pieces[index]!;
      if (!piece.ok) problems.push({ reason: piece.reason, index });
      else if (!offerJson(piece.value, index, detectors, defaultField, events))
        problems.push({ reason: `${jsonRejectReason(piece.value, detectors, defaultField)}: ${quote(piece.source)}`, index });
    }
    return { events, problems };
  }
  const notes: string[] = [];
  const parsed = new Map<string, Decoded<string[]>>();
  let taken = false;
  for (const d of detectors) {
    if (d.format !== 'csv' || !d.csv) {
      notes.push(`${d.name}: not JSON`);
      continue;
    }
    const { columns, delimiter } = d.csv;
    let values = parsed.get(delimiter);
    if (!values) parsed.set(delimiter, (values = splitCsvLine(text, delimiter)));
    if (!values.ok) {
      notes.push(`${d.name}: ${values.reason}`);
      continue;
    }
    if (values.value.length !== columns.length) {
      notes.push(`${d.name}: ${columnCountReason(columns, values.value.length, text)}`);
      continue;
    }
    const fields = namedFields(values.value, columns);
    if (d.match ? matchesRule(fields, d.match) : true) {
      events.push({ detector: d, fields, index: 0 });
      taken = true;
    } else notes.push(`${d.name}: match rule not met`);
  }
  if (!taken) {
    const reason = first < 0 ? 'empty record' : `matches no detector (${notes.join('; ') || 'no detectors'})`;
    problems.push({ reason, index: 0 });
  }
  return { events, problems };
}

export const columnCountReason = (columns: readonly string[], got: number, text: string): string =>
  `expected ${columns.length} CSV columns (${columns.join(', ')}), got ${got}: ${quote(text)}`;

/**
 * routeText with at most one reject for the whole text (its first problem, and how many more): what a stream
 * function keeps is bounded by its records, not by the objects they split into.
 */
export function routeRecord<D extends Selectable>(
  text: string,
  detectors: readonly D[],
  defaultField: (d: D) => string,
): { events: Routed<D>[]; rejects: RouteReject[] } {
  const { events, problems } = routeText(text, detectors, defaultField);
  if (problems.length <= 1) return { events, rejects: problems };
  const first = problems[0]!;
  return {
    events,
    rejects: [
      {
        index: first.index,
        reason: `${first.reason} (and ${problems.length - 1} more problem${problems.length === 2 ? '' : 's'} in this record)`,
      },
    ],
  };
}

function firstNonBlank(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0xfeff) return c;
  }
  return -1;
}

/** Gives a JSON object to every JSON detector that takes it; false when none does. */
function offerJson<D extends Selectable>(
  fields: Fields,
  index: number,
  detectors: readonly D[],
  defaultField: (d: D) => string,
  events: Routed<D>[],
): boolean {
  let taken = false;
  for (const d of detectors) {
    if (d.format !== 'json') continue;
    if (d.match ? matchesRule(fields, d.match) : getField(fields, defaultField(d)) !== undefined) {
      events.push({ detector: d, fields, index });
      taken = true;
    }
  }
  return taken;
}

/** What each detector thought of a JSON object none took: only worked out for rejects, off the hot path. */
function jsonRejectReason<D extends Selectable>(fields: Fields, detectors: readonly D[], defaultField: (d: D) => string): string {
  const notes = detectors.map((d) =>
    d.format === 'csv' ? `${d.name}: JSON, not CSV` : `${d.name}: ${d.match ? 'match rule not met' : `no ${defaultField(d)} field`}`,
  );
  return `matches no detector (${notes.join('; ') || 'no json detectors'})`;
}
