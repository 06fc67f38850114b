import { getField, matchesRule, parseCsvLine, parseJsonObjects, preview, type Fields } from './decode';

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
 * Which detectors a record's data belongs to. A detector with a `match` rule takes the objects the rule
 * accepts; one without takes those that carry `defaultField(detector)` (its key, or its first column), so two
 * detectors can share a stream without rejecting each other's records. An object no detector takes, or text
 * that does not decode, is a reject; the reason says what each detector thought of it.
 */
export function routeRecord<D extends Selectable>(
  text: string,
  detectors: readonly D[],
  defaultField: (d: D) => string,
): { events: Routed<D>[]; rejects: RouteReject[] } {
  const events: Routed<D>[] = [];
  const rejects: RouteReject[] = [];
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const pieces = parseJsonObjects(text);
    for (let index = 0; index < pieces.length; index++) {
      const piece = pieces[index]!;
      if (!piece.ok) rejects.push({ reason: piece.reason, index });
      else if (!offerJson(piece.value, index, detectors, defaultField, events))
        rejects.push({ reason: jsonRejectReason(piece.value, detectors, defaultField), index });
    }
    return { events, rejects };
  }
  const notes: string[] = [];
  const parsed = new Map<string, ReturnType<typeof parseCsvLine>>();
  let taken = false;
  for (const d of detectors) {
    if (d.format !== 'csv' || !d.csv) {
      notes.push(`${d.name}: not JSON`);
      continue;
    }
    const sig = `${d.csv.delimiter}${d.csv.columns.join('\u0000')}`;
    let result = parsed.get(sig);
    if (!result) parsed.set(sig, (result = parseCsvLine(text, d.csv.columns, d.csv.delimiter)));
    if (!result.ok) {
      notes.push(`${d.name}: ${result.reason}`);
      continue;
    }
    const member = d.match ? matchesRule(result.value, d.match) : true;
    if (member) {
      events.push({ detector: d, fields: result.value, index: 0 });
      taken = true;
    } else notes.push(`${d.name}: match rule not met`);
  }
  if (!taken) {
    const reason = text.trim() === '' ? 'empty record' : `matches no detector (${notes.join('; ') || 'no detectors'})`;
    rejects.push({ reason, index: 0 });
  }
  return { events, rejects };
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
  return `matches no detector (${notes.join('; ') || 'no json detectors'}): ${JSON.stringify(preview(JSON.stringify(fields), 60))}`;
}
