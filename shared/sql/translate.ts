import { dump } from 'js-yaml';
import { canonical, parseApplication, type Expr, type FromItem, type Name, type Select, type SelectItem, type Statement } from './parse';

/**
 * Translates a Kinesis Data Analytics SQL application (its statements, input schema and destinations) into
 * detectors.yml entries, and says for every statement what was translated, approximated (and how) or not (and
 * why). Follows the in-application streams from the source through the pumps: a window aggregate feeding
 * RANDOM_CUT_FOREST becomes an `rcf` detector, RANDOM_CUT_FOREST over raw rows a `records` detector, HOTSPOTS a
 * `hotspots` detector; filters become `match`, a `WHERE ANOMALY_SCORE > n` downstream becomes the threshold. Pure.
 */

export interface InputColumn {
  name: string;
  sqlType?: string;
  /** JSONPath of the field in a JSON record, e.g. `$.station` (KDA's RecordColumns Mapping). */
  mapping?: string;
}

/** KDA's input schema (RecordColumns and RecordFormat), when the template or the command line gives it. */
export interface InputSchema {
  format: 'json' | 'csv';
  columns: InputColumn[];
  delimiter?: string;
}

/** A destination of the application: an in-application stream delivered to Kinesis, Firehose or Lambda. */
export interface OutputTarget {
  /** The in-application stream (e.g. DESTINATION_SQL_STREAM). */
  stream: string;
  kinesis?: string;
  firehose?: string;
  lambda?: string;
  format: 'json' | 'csv';
}

export interface TranslateOptions {
  input?: InputSchema;
  outputs?: OutputTarget[];
  /** The alert threshold, which KDA applications usually kept in the consuming Lambda. */
  threshold?: number;
  /** Detector name (a prefix `<name>-<n>` when the application has several). */
  name?: string;
}

export type Verdict = 'translated' | 'approximated' | 'not translated';

export interface StatementReport {
  line: number;
  label: string;
  verdict: Verdict;
  notes: string[];
}

export interface Translation {
  /** detectors.yml entries, keys in the order docs/detectors.md lists them. */
  detectors: Array<Record<string, unknown>>;
  statements: StatementReport[];
  /** Application-wide remarks (input schema, thresholds, KDA's one forest, …). */
  notes: string[];
}

const SOURCE_STREAM = /^SOURCE_SQL_STREAM_\d+$/i;
/** The types KDA's RANDOM_CUT_FOREST scores; it ignores other columns (and does not take DECIMAL). */
const NUMERIC = /^(INT|INTEGER|BIGINT|SMALLINT|TINYINT|DOUBLE|REAL|FLOAT)\b/i;
const UNIT_SECONDS: Record<string, number> = { SECOND: 1, MINUTE: 60, HOUR: 3600, DAY: 86400 };
const AGGREGATE_CALLS = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);

type Scalar = string | number | boolean | null;
/** A statement that writes rows into a stream: a CREATE PUMP's INSERT, or a bare INSERT. */
type PumpStatement = Extract<Statement, { k: 'pump' | 'insert' }>;

interface Aggregate {
  name: string;
  fn: 'count' | 'sum' | 'avg' | 'min' | 'max' | 'count_distinct' | 'ratio';
  field?: string;
  where?: Record<string, Scalar | Scalar[]>;
  ratio?: [string, string];
}

/** What a stream (in-application or source) carries, as far as the translator could follow it. */
type Lineage =
  | { k: 'input' }
  /** A projection/filter of another stream: column → expression over `from`'s columns. */
  | { k: 'view'; from: string; columns: Map<string, Expr>; match: Record<string, Scalar | Scalar[]>; pumpReport: StatementReport }
  | { k: 'window'; from: string; draft: Draft; columns: Map<string, ColumnRole> }
  | { k: 'scored'; draft: Draft; columns: Map<string, ColumnRole> }
  | { k: 'hotspots'; draft: Draft }
  | { k: 'opaque'; why: string };

type ColumnRole =
  | { k: 'key' }
  | { k: 'aggregate'; name: string }
  | { k: 'windowStart' }
  | { k: 'score' }
  | { k: 'explanation' }
  | { k: 'field'; field: string };

interface Draft {
  kind: 'rcf' | 'records' | 'hotspots';
  name?: string;
  match: Record<string, Scalar | Scalar[]>;
  time?: string;
  windowSeconds?: number;
  everySeconds?: number;
  key?: string;
  aggregates: Aggregate[];
  features?: string[];
  columns?: string[];
  hotspots?: { windowSize: number; scanRadius: number; minPoints: number };
  rcf?: { numberOfTrees: number; subSampleSize: number; timeDecay: number; shingleSize: number };
  explain?: boolean;
  threshold?: number;
  thresholdFrom?: string;
  outputs: Array<{ kinesis?: string; firehose?: string; format: 'json' | 'csv'; columns?: Array<string | Record<string, string>> }>;
  /** The scored stream's columns in order, spelt as declared (for KDA-shaped outputs). */
  outputColumns?: string[];
  /** The in-application stream holding the results, which names the detector unless --name does. */
  stream?: string;
  /** The window pump's line, told when no forest ever reads its windows. */
  pumpReport?: StatementReport;
}

class Untranslatable extends Error {}

const slug = (s: string): string =>
  s
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
    .replace(/^([^a-z])/, 'd-$1')
    .slice(0, 64) || 'detector';

const aggregateName = (s: string): string => {
  const n = s.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([^A-Za-z_])/, '_$1');
  return n.slice(0, 64);
};

const show = (n: Name): string => (n.quoted ? `"${n.text}"` : n.text);

function describe(e: Expr): string {
  switch (e.k) {
    case 'col':
      return e.qualifier ? `${show(e.qualifier)}.${show(e.name)}` : show(e.name);
    case 'star':
      return e.qualifier ? `${show(e.qualifier)}.*` : '*';
    case 'num':
      return String(e.value);
    case 'str':
      return `'${e.value}'`;
    case 'call':
      return `${e.name}(${e.distinct ? 'DISTINCT ' : ''}${e.args.map(describe).join(', ')})${e.over ? ' OVER …' : ''}`;
    case 'bin':
      return `${describe(e.left)} ${e.op} ${describe(e.right)}`;
    case 'cast':
      return `CAST(${describe(e.arg)} AS ${e.type})`;
    case 'step':
      return `STEP(${describe(e.arg)} BY ${describe(e.interval)})`;
    case 'floor':
      return `FLOOR(${describe(e.arg)}${e.unit ? ` TO ${e.unit}` : ''})`;
    case 'interval':
      return `INTERVAL '${e.value}' ${e.unit}`;
    case 'case':
      return 'CASE …';
    default:
      return e.k.toUpperCase();
  }
}

function statementLabel(st: Statement): string {
  switch (st.k) {
    case 'stream':
      return `CREATE STREAM ${show(st.name)}`;
    case 'pump':
      return `CREATE PUMP ${show(st.name)}`;
    case 'insert':
      return `INSERT INTO ${show(st.target)}`;
    case 'select':
      return 'SELECT';
    case 'other':
      return st.keyword || 'statement';
    case 'error':
      return 'statement';
  }
}

const isRowtime = (e: Expr): boolean => e.k === 'col' && !e.name.quoted && e.name.text.toUpperCase() === 'ROWTIME';
const stripCast = (e: Expr): Expr => (e.k === 'cast' ? stripCast(e.arg) : e);

function intervalSeconds(e: Expr): number {
  if (e.k !== 'interval') throw new Untranslatable(`${describe(e)} is not an INTERVAL`);
  const n = Number(e.value);
  const unit = UNIT_SECONDS[e.unit];
  if (!unit || !Number.isFinite(n) || n <= 0 || !Number.isInteger(n * unit))
    throw new Untranslatable(`INTERVAL '${e.value}' ${e.unit} is not a whole number of seconds`);
  return n * unit;
}

function literal(e: Expr): Scalar | undefined {
  if (e.k === 'str') return e.value;
  if (e.k === 'num') return e.value;
  if (e.k === 'bool') return e.value;
  if (e.k === 'neg' && e.arg.k === 'num') return -e.arg.value;
  return undefined;
}

class Translator {
  readonly statements: StatementReport[] = [];
  readonly notes: string[] = [];
  private readonly lineage = new Map<string, Lineage>();
  private readonly declared = new Map<string, { name: Name; columns: Array<{ name: Name; type: string }> }>();
  private readonly drafts: Draft[] = [];
  /** Views a detector reads through (the others feed nothing that was translated). */
  private readonly usedViews = new Set<string>();

  constructor(private readonly options: TranslateOptions) {}

  run(sql: string): Translation {
    const parsed = parseApplication(sql);
    for (const st of parsed) if (st.k === 'stream') this.declared.set(canonical(st.name), { name: st.name, columns: st.columns });
    const pumpReports = new Map<Statement, StatementReport>();
    for (const st of parsed) {
      if (st.k === 'pump' || st.k === 'insert') pumpReports.set(st, this.pump(st));
    }
    for (const [stream, lin] of this.lineage) {
      if (lin.k !== 'view' || this.usedViews.has(stream)) continue;
      lin.pumpReport.verdict = 'not translated';
      lin.pumpReport.notes = [`no translated detector reads its stream ${stream}`];
    }
    for (const lin of this.lineage.values()) {
      if (
        lin.k !== 'window' ||
        this.drafts.includes(lin.draft) ||
        !lin.draft.pumpReport ||
        lin.draft.pumpReport.verdict === 'not translated'
      )
        continue;
      lin.draft.pumpReport.verdict = 'not translated';
      lin.draft.pumpReport.notes.push(
        'no RANDOM_CUT_FOREST reads these windows: a detector always scores its windows, so aggregates kept only for a dashboard or a consumer have no detector of their own (score them, or keep computing them elsewhere)',
      );
    }
    this.applyOutputs();
    this.nameDrafts();
    for (const st of parsed) {
      const label = statementLabel(st);
      if (st.k === 'error')
        this.statements.push({ line: st.line, label, verdict: 'not translated', notes: [`cannot parse it: ${st.message}`] });
      else if (st.k === 'stream') this.statements.push(this.streamReport(st));
      else if (st.k === 'pump' || st.k === 'insert') this.statements.push(pumpReports.get(st)!);
      else if (st.k === 'select')
        this.statements.push({
          line: st.line,
          label,
          verdict: 'not translated',
          notes: ['a SELECT outside a pump only shows results in the KDA console; nothing to deploy'],
        });
      else
        this.statements.push({
          line: st.line,
          label,
          verdict: 'not translated',
          notes: [`${st.keyword || 'this statement'} has no equivalent (only streams and pumps are translated)`],
        });
    }
    this.globalNotes();
    return { detectors: this.drafts.map((d) => this.emit(d)), statements: this.statements, notes: this.notes };
  }

  // ---- streams and columns -------------------------------------------------------------------------------

  private lineageOf(stream: string): Lineage {
    const known = this.lineage.get(stream);
    if (known) return known;
    if (SOURCE_STREAM.test(stream) || (!this.declared.has(stream) && /SOURCE/i.test(stream))) return { k: 'input' };
    return { k: 'opaque', why: `stream ${stream} is not written by any pump translated before it` };
  }

  /** The input field a column of `stream` comes from (following views), or why it cannot be found. */
  private inputField(stream: string, column: Name): string {
    const lin = this.lineageOf(stream);
    if (lin.k === 'input') return this.schemaField(column);
    if (lin.k === 'view') {
      this.usedViews.add(stream);
      const e = lin.columns.get(canonical(column));
      if (!e) throw new Untranslatable(`column ${show(column)} is not a column of ${stream}`);
      const inner = stripCast(e);
      if (inner.k !== 'col')
        throw new Untranslatable(
          `column ${show(column)} of ${stream} is computed (${describe(e)}); only plain columns can be followed to a record field`,
        );
      return this.inputField(lin.from, inner.name);
    }
    throw new Untranslatable(`column ${show(column)} of ${stream} is not an input field`);
  }

  /** The record field of a source column: the JSONPath mapping's field, else the column name as declared. */
  private schemaField(column: Name): string {
    const cols = this.options.input?.columns;
    if (!cols) return column.text;
    const match =
      cols.find((c) => c.name === column.text) ??
      (column.quoted ? undefined : cols.find((c) => c.name.toUpperCase() === column.text.toUpperCase()));
    if (!match) throw new Untranslatable(`column ${show(column)} is not in the input schema (${cols.map((c) => c.name).join(', ')})`);
    if (this.options.input!.format === 'json' && match.mapping) {
      const m = /^\$\.(.+)$/.exec(match.mapping.trim());
      if (!m || /[[\]*]/.test(m[1]!))
        throw new Untranslatable(`column ${match.name}'s mapping ${match.mapping} is not a plain $.field or $.a.b path`);
      return m[1]!.replace(/\["?([^"\]]+)"?\]/g, '.$1');
    }
    return match.name;
  }

  private isNumericInput(stream: string, column: Name): boolean | undefined {
    const lin = this.lineageOf(stream);
    const decl = this.declared.get(stream)?.columns.find((c) => canonical(c.name) === canonical(column));
    if (decl) return NUMERIC.test(decl.type);
    if (lin.k === 'input') {
      const col = this.options.input?.columns.find((c) => c.name.toUpperCase() === column.text.toUpperCase());
      return col?.sqlType ? NUMERIC.test(col.sqlType) : undefined;
    }
    if (lin.k === 'view') {
      const e = lin.columns.get(canonical(column));
      return e && stripCast(e).k === 'col' ? this.isNumericInput(lin.from, (stripCast(e) as { name: Name }).name) : undefined;
    }
    return undefined;
  }

  /** A stream's columns, for SELECT *: as declared, else the input schema's. */
  private streamColumns(stream: string): Name[] | undefined {
    const decl = this.declared.get(stream);
    if (decl) return decl.columns.map((c) => c.name);
    if (this.lineageOf(stream).k === 'input' && this.options.input)
      return this.options.input.columns.map((c) => ({ text: c.name, quoted: true }));
    return undefined;
  }

  private expandStar(items: SelectItem[], stream: string): SelectItem[] {
    return items.flatMap((it) => {
      if (it.expr.k !== 'star') return [it];
      const cols = this.streamColumns(stream);
      if (!cols)
        throw new Untranslatable(
          `SELECT * FROM ${stream}: its columns are unknown (no CREATE STREAM and no input schema); list them or give the schema`,
        );
      return cols.map((name): SelectItem => ({ expr: { k: 'col', name } }));
    });
  }

  /** Column names of the pump's target, by position (KDA's INSERT INTO maps select items by position). */
  private targetColumns(target: Name, explicit: Name[] | undefined, query: Select): Name[] {
    if (explicit) return explicit;
    const decl = this.declared.get(canonical(target));
    if (decl) return decl.columns.map((c) => c.name);
    return query.items.map((it, i) => it.alias ?? (it.expr.k === 'col' ? it.expr.name : { text: `COLUMN_${i + 1}`, quoted: false }));
  }

  // ---- pumps -------------------------------------------------------------------------------------------------

  private pump(st: PumpStatement): StatementReport {
    const label = statementLabel(st);
    const report: StatementReport = { line: st.line, label, verdict: 'translated', notes: [] };
    const target = canonical(st.target);
    try {
      const q = st.query;
      const from = q.from;
      if (from.k === 'join') {
        // A joined name no statement creates and that is not a source is KDA's reference data (a table loaded from S3).
        const names: string[] = [];
        const collect = (f: FromItem): void => {
          if (f.k === 'join') {
            collect(f.left);
            collect(f.right);
          } else if (f.k === 'stream') names.push(canonical(f.name));
        };
        collect(from);
        const reference = names.filter((n) => !this.declared.has(n) && !SOURCE_STREAM.test(n));
        if (reference.length)
          throw new Untranslatable(
            `a join with reference data (${reference.join(', ')}, a table KDA loaded from S3) has no equivalent: a detector reads only the stream's records; add the looked-up columns before the records reach the stream (the producer, or a Firehose/Lambda transformation)`,
          );
        throw new Untranslatable(
          'stream joins have no equivalent: a detector reads one stream and keeps no records of another to join with; enrich the records before they reach the stream (the producer or a Lambda) or keep the join in Managed Service for Apache Flink',
        );
      }
      if (from.k === 'subquery') throw new Untranslatable('a sub-query in FROM: split it into its own stream and pump');
      if (q.orderBy) report.notes.push("ORDER BY only ordered rows within a time group of KDA's output: nothing to translate");
      if (from.k === 'table') this.tablePump(st, from, report);
      else {
        const source = canonical(from.name);
        const lin = this.lineageOf(source);
        if (lin.k === 'opaque') throw new Untranslatable(lin.why);
        if (lin.k === 'hotspots')
          throw new Untranslatable(
            `${source} carries HOTSPOTS_RESULT (JSON text), which no detector reads; alert on the hotspots detector's density instead`,
          );
        const windowed = Boolean(q.groupBy || q.windowedBy || q.items.some((it) => this.hasAggregate(it.expr)));
        if (lin.k === 'scored') this.scoreFilterPump(st, lin, report);
        else if (lin.k === 'window' && windowed)
          throw new Untranslatable(
            `aggregates of aggregates (${source} is already a window stream) have no equivalent: one window level per detector`,
          );
        else if (lin.k === 'window') this.windowViewPump(st, source, lin, report);
        else if (windowed) this.windowPump(st, source, report);
        else this.viewPump(st, source, report);
      }
    } catch (error) {
      if (!(error instanceof Untranslatable)) throw error;
      report.verdict = 'not translated';
      report.notes.push(error.message);
      this.lineage.set(target, {
        k: 'opaque',
        why: `stream ${st.target.text} comes from a pump that was not translated (line ${st.line})`,
      });
    }
    return report;
  }

  private hasAggregate(e: Expr): boolean {
    switch (e.k) {
      case 'call':
        return AGGREGATE_CALLS.has(e.name) || e.args.some((a) => this.hasAggregate(a));
      case 'bin':
        return this.hasAggregate(e.left) || this.hasAggregate(e.right);
      case 'cast':
      case 'neg':
      case 'not':
        return this.hasAggregate(e.arg);
      default:
        return false;
    }
  }

  /** WHERE → match rules (conjunctions of = and IN on input fields); what does not fit is reported. */
  private whereToMatch(where: Expr | undefined, source: string, report: StatementReport): Record<string, Scalar | Scalar[]> {
    const match: Record<string, Scalar | Scalar[]> = {};
    if (!where) return match;
    const conjuncts: Expr[] = [];
    const split = (e: Expr): void => {
      if (e.k === 'bin' && e.op === 'AND') {
        split(e.left);
        split(e.right);
      } else conjuncts.push(e);
    };
    split(where);
    const dropped: string[] = [];
    for (const c of conjuncts) {
      const rule = this.equality(c, source);
      if (!rule) {
        dropped.push(describe(c));
        continue;
      }
      const [field, values] = rule;
      const prev = match[field];
      if (prev === undefined) match[field] = values.length === 1 ? values[0]! : values;
      else {
        const both = (Array.isArray(prev) ? prev : [prev]).filter((v) => values.includes(v));
        match[field] = both.length === 1 ? both[0]! : both;
      }
    }
    if (dropped.length) {
      report.verdict = 'approximated';
      report.notes.push(
        `WHERE ${dropped.join(' AND ')}: match takes only field = value and field IN (…); the detector takes those records too (filter them upstream)`,
      );
    } else report.notes.push(`WHERE → match ${JSON.stringify(match)}`);
    return match;
  }

  /** `col = 'x'`, `'x' = col`, `col IN ('x', 'y')`, `col = 'x' OR col = 'y'` → [field, values]. */
  private equality(e: Expr, source: string): [string, Scalar[]] | undefined {
    try {
      if (e.k === 'bin' && e.op === '=') {
        const [col, lit] =
          e.left.k === 'col' ? [e.left, literal(e.right)] : e.right.k === 'col' ? [e.right, literal(e.left)] : [undefined, undefined];
        if (col?.k === 'col' && lit !== undefined) return [this.inputField(source, col.name), [lit]];
      }
      if (e.k === 'in' && !e.not && e.arg.k === 'col') {
        const values = e.list.map(literal);
        if (values.every((v) => v !== undefined)) return [this.inputField(source, e.arg.name), values as Scalar[]];
      }
      if (e.k === 'bin' && e.op === 'OR') {
        const l = this.equality(e.left, source);
        const r = this.equality(e.right, source);
        if (l && r && l[0] === r[0]) return [l[0], [...l[1], ...r[1]]];
      }
    } catch (error) {
      if (!(error instanceof Untranslatable)) throw error;
    }
    return undefined;
  }

  private viewPump(st: PumpStatement, source: string, report: StatementReport): void {
    const q = st.query;
    const targets = this.targetColumns(st.target, st.targetColumns, q);
    const columns = new Map<string, Expr>();
    const parent = this.lineageOf(source);
    q.items.forEach((it, i) => {
      if (it.expr.k === 'star') {
        const decl =
          this.declared.get(source)?.columns ?? this.options.input?.columns.map((c) => ({ name: { text: c.name, quoted: true } }));
        for (const c of decl ?? []) columns.set(canonical(c.name), { k: 'col', name: c.name });
        return;
      }
      const t = targets[i];
      if (t) columns.set(canonical(t), it.expr);
    });
    const match = { ...(parent.k === 'view' ? parent.match : {}), ...this.whereToMatch(q.where, source, report) };
    this.lineage.set(canonical(st.target), { k: 'view', from: source, columns, match, pumpReport: report });
    const computed = q.items.filter((it) => !['col', 'star', 'cast'].includes(it.expr.k));
    if (computed.length) {
      report.verdict = 'approximated';
      report.notes.push(
        `computed columns ${computed.map((it) => describe(it.expr)).join(', ')} have no equivalent (a detector reads record fields); detectors downstream can use only the plain columns`,
      );
    }
    report.notes.unshift(`in-application stream ${st.target.text} is a view of ${source}: folded into the detectors that read it`);
  }

  /** A projection (or filter) of a window stream: the same windows under the target's column names. */
  private windowViewPump(st: PumpStatement, source: string, lin: Extract<Lineage, { k: 'window' }>, report: StatementReport): void {
    const q = st.query;
    const items = q.items.flatMap((it): SelectItem[] =>
      it.expr.k === 'star'
        ? [...lin.columns.keys()].map((k): SelectItem => ({ expr: { k: 'col', name: { text: k, quoted: true } } }))
        : [it],
    );
    const targets = this.targetColumns(st.target, st.targetColumns, { ...q, items });
    const columns = new Map<string, ColumnRole>();
    items.forEach((it, i) => {
      const e = stripCast(it.expr);
      const role = e.k === 'col' ? lin.columns.get(canonical(e.name)) : undefined;
      if (role && targets[i]) columns.set(canonical(targets[i]), role);
      else {
        report.verdict = 'approximated';
        report.notes.push(`column ${describe(it.expr)} is computed from the window columns: dropped`);
      }
    });
    if (q.where) {
      report.verdict = 'approximated';
      report.notes.push(`WHERE ${describe(q.where)} on window aggregates has no equivalent: every window is scored`);
    }
    report.notes.unshift(
      `in-application stream ${st.target.text} is a projection of the window stream ${source}: folded into its detector`,
    );
    this.lineage.set(canonical(st.target), { k: 'window', from: lin.from, draft: lin.draft, columns });
  }

  /** Matches of every view between `stream` and the input, merged. */
  private inheritedMatch(stream: string): Record<string, Scalar | Scalar[]> {
    const lin = this.lineageOf(stream);
    if (lin.k !== 'view') return {};
    this.usedViews.add(stream);
    return { ...this.inheritedMatch(lin.from), ...lin.match };
  }

  private windowPump(st: PumpStatement, source: string, report: StatementReport): void {
    const q = st.query;
    const approx = (note: string) => {
      report.verdict = 'approximated';
      report.notes.push(note);
    };
    const draft: Draft = { kind: 'rcf', match: { ...this.inheritedMatch(source) }, aggregates: [], outputs: [], pumpReport: report };
    Object.assign(draft.match, this.whereToMatch(q.where, source, report));
    // The window: STEP/FLOOR in GROUP BY, WINDOWED BY STAGGER, or a sliding OVER (RANGE … PRECEDING).
    const keys: Expr[] = [];
    let windowExpr: Expr | undefined;
    for (const g of q.groupBy ?? []) {
      if (g.k === 'step' || g.k === 'floor') windowExpr = g;
      else if (isRowtime(g)) throw new Untranslatable('GROUP BY ROWTIME without STEP or FLOOR groups by the exact arrival time');
      else keys.push(g);
    }
    const overs = q.items.flatMap((it) => (it.expr.k === 'call' && it.expr.over ? [it.expr.over] : []));
    if (windowExpr) this.windowFrom(windowExpr, draft, source, report);
    else if (q.windowedBy) {
      draft.windowSeconds = intervalSeconds(q.windowedBy.range);
      keys.push(...q.windowedBy.partitionBy);
      approx(
        `WINDOWED BY STAGGER(RANGE ${describe(q.windowedBy.range)}) → tumbling windows of ${draft.windowSeconds} s by arrival time: a stagger window opened at each key's first record; tumbling windows start on multiples of ${draft.windowSeconds} s, so a burst that straddles a boundary is split`,
      );
    } else if (overs.length) {
      const named = new Map((q.windows ?? []).map((w) => [canonical(w.name), w.spec]));
      const spec = 'partitionBy' in overs[0]! ? overs[0] : named.get(canonical(overs[0] as Name));
      if (!spec) throw new Untranslatable(`window ${show(overs[0] as Name)} is not defined in a WINDOW clause`);
      if (spec.rows !== undefined)
        throw new Untranslatable(`ROWS ${spec.rows} PRECEDING counts rows, not time: no window detector keeps the last N records per key`);
      if (!spec.range) throw new Untranslatable('a window without RANGE … PRECEDING has no bounded length');
      const seconds = intervalSeconds(spec.range);
      const every = seconds % 10 === 0 && seconds > 10 ? 10 : 1;
      draft.windowSeconds = seconds;
      keys.push(...spec.partitionBy);
      // The smallest step is 1 s: a 1-s range has no shorter step to hop by, and a step equal to the window is a
      // tumbling window (the detectors loader refuses everySeconds equal to windowSeconds).
      if (every >= seconds)
        approx(
          `sliding window RANGE ${describe(spec.range)} PRECEDING → tumbling windows of ${seconds} s (no everySeconds: the smallest step, 1 s, is the whole window, and a step equal to the window is a tumbling window): each key is scored once per ${seconds}-s window with records on the exact aggregates of that window (KDA emitted one row per record, over the ${seconds} s before it)`,
        );
      else {
        draft.everySeconds = every;
        approx(
          `sliding window RANGE ${describe(spec.range)} PRECEDING → hopping windows (windowSeconds ${seconds}, everySeconds ${every}): every ${every} s each key is scored on the exact aggregates of its last ${seconds} s (KDA emitted one row per record, over the ${seconds} s before it; the detector emits one per key and ${every}-s step with records)`,
        );
      }
    } else {
      throw new Untranslatable(
        'aggregates without a STEP/FLOOR group, WINDOWED BY or OVER window run over the whole stream: no window to translate',
      );
    }
    if (keys.length === 0)
      throw new Untranslatable(
        'no GROUP BY key besides the window: a window detector scores per key; add a key field to the records or score rows with RANDOM_CUT_FOREST over the input (kind: records)',
      );
    const keyFields = keys.map((k) => {
      const e = stripCast(k);
      if (e.k !== 'col') throw new Untranslatable(`GROUP BY ${describe(k)}: only columns can be keys`);
      return { name: e.name, field: this.inputField(source, e.name) };
    });
    draft.key = keyFields[0]!.field;
    if (keyFields.length > 1)
      approx(
        `GROUP BY ${keyFields.map((k) => show(k.name)).join(', ')}: one key field only, ${draft.key}; combine the fields into one upstream to keep KDA's grouping`,
      );
    const targets = this.targetColumns(st.target, st.targetColumns, q);
    const columns = new Map<string, ColumnRole>();
    const keyCanon = new Set(keyFields.map((k) => canonical(k.name)));
    q.items.forEach((it, i) => {
      const target = targets[i];
      if (!target) return approx(`select item ${describe(it.expr)} has no column in ${st.target.text}`);
      const e = stripCast(it.expr);
      if (e.k === 'col' && keyCanon.has(canonical(e.name))) columns.set(canonical(target), { k: 'key' });
      else if (e.k === 'step' || e.k === 'floor' || isRowtime(e)) columns.set(canonical(target), { k: 'windowStart' });
      else {
        const name = this.aggregate(e, aggregateName(target.text), source, draft, report);
        if (name) columns.set(canonical(target), { k: 'aggregate', name });
      }
    });
    if (q.having) approx(`HAVING ${describe(q.having)} has no equivalent: every window is scored`);
    if (!draft.aggregates.length) throw new Untranslatable('no aggregate to score');
    this.lineage.set(canonical(st.target), { k: 'window', from: source, draft, columns });
    report.notes.unshift(
      `window aggregate: key ${draft.key}, ${draft.everySeconds ? `${draft.windowSeconds} s hopping every ${draft.everySeconds} s` : `${draft.windowSeconds} s tumbling windows`}${draft.time ? ` on event time ${draft.time}` : ' on arrival time (ROWTIME)'}, aggregates ${draft.aggregates.map((a) => a.name).join(', ')}`,
    );
  }

  private windowFrom(e: Expr, draft: Draft, source: string, report: StatementReport): void {
    let timeExpr: Expr;
    if (e.k === 'step') {
      timeExpr = e.arg;
      draft.windowSeconds = intervalSeconds(e.interval);
    } else if (e.k === 'floor') {
      const unitSeconds = e.unit ? UNIT_SECONDS[e.unit] : undefined;
      if (!unitSeconds) throw new Untranslatable(`${describe(e)}: FLOOR needs TO SECOND, MINUTE, HOUR or DAY`);
      // FLOOR((t - TIMESTAMP '1970-01-01 00:00:00') SECOND / 10 TO SECOND): windows of 10 × the unit.
      const arg = e.arg;
      if (
        arg.k === 'bin' &&
        arg.op === '/' &&
        arg.right.k === 'num' &&
        arg.left.k === 'unit' &&
        arg.left.arg.k === 'bin' &&
        arg.left.arg.op === '-'
      ) {
        const per = UNIT_SECONDS[arg.left.unit];
        if (!per) throw new Untranslatable(`${describe(e)}: unknown unit ${arg.left.unit}`);
        draft.windowSeconds = arg.right.value * per;
        timeExpr = arg.left.arg.left;
        if (!Number.isInteger(draft.windowSeconds) || draft.windowSeconds <= 0)
          throw new Untranslatable(`${describe(e)} is not a whole number of seconds`);
      } else {
        timeExpr = arg;
        draft.windowSeconds = unitSeconds;
      }
    } else throw new Untranslatable(`${describe(e)} is not a window`);
    const t = stripCast(timeExpr);
    if (isRowtime(t)) return;
    if (t.k !== 'col') throw new Untranslatable(`the window's time ${describe(timeExpr)} is not a column`);
    draft.time = this.inputField(source, t.name);
    report.notes.push(`event time from ${draft.time} (ROWTIME would have been arrival time)`);
  }

  /** One select item → an aggregate (or a ratio of two); returns its name, or undefined when reported as dropped. */
  private aggregate(e: Expr, name: string, source: string, draft: Draft, report: StatementReport): string | undefined {
    const approx = (note: string) => {
      report.verdict = 'approximated';
      report.notes.push(note);
    };
    const add = (a: Aggregate): string => {
      const same = draft.aggregates.find(
        (b) =>
          b.fn === a.fn &&
          b.field === a.field &&
          JSON.stringify(b.where) === JSON.stringify(a.where) &&
          JSON.stringify(b.ratio) === JSON.stringify(a.ratio),
      );
      if (same) return same.name;
      let n = a.name;
      for (let k = 2; draft.aggregates.some((b) => b.name === n); k++) n = `${a.name}_${k}`;
      draft.aggregates.push({ ...a, name: n });
      return n;
    };
    if (e.k === 'bin' && e.op === '/' && this.hasAggregate(e.left) && this.hasAggregate(e.right)) {
      const num = this.aggregate(stripCast(e.left), `${name}_numerator`, source, draft, report);
      const den = this.aggregate(stripCast(e.right), `${name}_denominator`, source, draft, report);
      if (!num || !den) return undefined;
      report.notes.push(`${name} = ${num} / ${den} → ratio: [${num}, ${den}]`);
      return add({ name, fn: 'ratio', ratio: [num, den] });
    }
    if (e.k !== 'call' || !AGGREGATE_CALLS.has(e.name)) {
      approx(`column ${name} (${describe(e)}) is not an aggregate the detector can compute: dropped`);
      return undefined;
    }
    const fn = e.name.toLowerCase() as 'count' | 'sum' | 'avg' | 'min' | 'max';
    const arg = e.args[0] ? stripCast(e.args[0]) : undefined;
    if (e.distinct) {
      if (fn !== 'count' || arg?.k !== 'col')
        return (approx(`${describe(e)}: only COUNT(DISTINCT column) is translated; dropped`), undefined);
      const field = this.inputField(source, arg.name);
      approx(
        `COUNT(DISTINCT ${show(arg.name)}) → count_distinct(${field}), an approximate count (HyperLogLog-style, bounded memory) instead of KDA's exact one`,
      );
      return add({ name, fn: 'count_distinct', field });
    }
    if (!arg || arg.k === 'star') {
      if (fn !== 'count') throw new Untranslatable(`${describe(e)} needs a column`);
      return add({ name, fn: 'count' });
    }
    if (arg.k === 'case') return this.conditional(fn, arg, name, source, add, approx);
    if (arg.k !== 'col') return (approx(`${describe(e)}: aggregates of computed expressions are not translated; dropped`), undefined);
    const field = this.inputField(source, arg.name);
    if (fn === 'count') {
      approx(
        `COUNT(${show(arg.name)}) → count: KDA skipped rows where ${show(arg.name)} is null, count takes every record of the detector`,
      );
      return add({ name, fn: 'count' });
    }
    return add({ name, fn, field });
  }

  /** SUM(CASE WHEN c = v THEN 1 ELSE 0 END), COUNT(CASE WHEN … THEN 1 END), SUM(CASE WHEN … THEN x ELSE 0 END). */
  private conditional(
    fn: string,
    c: Extract<Expr, { k: 'case' }>,
    name: string,
    source: string,
    add: (a: Aggregate) => string,
    approx: (note: string) => void,
  ): string | undefined {
    const elseZero = !c.else || c.else.k === 'null' || (c.else.k === 'num' && c.else.value === 0);
    const when = c.whens.length === 1 ? c.whens[0]! : undefined;
    const cond = when && (c.operand ? ({ k: 'bin', op: '=', left: c.operand, right: when.when } as Expr) : when.when);
    const rule = cond ? this.equality(cond, source) : undefined;
    if (!when || !rule || !elseZero) {
      approx(`${fn.toUpperCase()}(CASE …) in ${name}: only one WHEN field = value (or IN) with ELSE 0/NULL is translated; dropped`);
      return undefined;
    }
    const where = { [rule[0]]: rule[1].length === 1 ? rule[1][0]! : rule[1] };
    const then = stripCast(when.then);
    if ((fn === 'sum' && then.k === 'num' && then.value === 1) || (fn === 'count' && then.k !== 'null'))
      return add({ name, fn: 'count', where });
    if (fn === 'sum' && then.k === 'col') return add({ name, fn: 'sum', field: this.inputField(source, then.name), where });
    approx(`${fn.toUpperCase()}(CASE …) in ${name}: not a conditional count or sum; dropped`);
    return undefined;
  }

  private rcfArgs(call: Extract<Expr, { k: 'call' }>, report: StatementReport): Draft['rcf'] & { explainDirection?: boolean } {
    const names = ['numberOfTrees', 'subSampleSize', 'timeDecay', 'shingleSize'] as const;
    const rest = call.args.slice(1);
    const params = { numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 };
    rest.slice(0, 4).forEach((a, i) => {
      const v = literal(a);
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new Untranslatable(`${names[i]} ${describe(a)} is not an integer`);
      params[names[i]!] = v;
    });
    if (rest.length === 0) report.notes.push("RANDOM_CUT_FOREST's defaults (100, 256, 100000, 1) written out");
    else if (rest.length < 4) report.notes.push(`${rest.length} of 4 parameters given; the rest are KDA's defaults`);
    const withDirection = rest[4] ? literal(rest[4]) : undefined;
    return { ...params, ...(withDirection === false ? { explainDirection: false } : {}) };
  }

  private tablePump(st: PumpStatement, from: Extract<FromItem, { k: 'table' }>, report: StatementReport): void {
    const call = from.call;
    if (call.k !== 'call' || call.args[0]?.k !== 'cursor')
      throw new Untranslatable(`TABLE(${describe(call)}) is not a function over CURSOR(SELECT STREAM …)`);
    const cursor = call.args[0].query;
    if (cursor.from.k !== 'stream') throw new Untranslatable("the cursor's FROM is not a stream");
    const inner = canonical(cursor.from.name);
    const lin = this.lineageOf(inner);
    if (lin.k === 'opaque') throw new Untranslatable(lin.why);
    if (lin.k === 'scored' || lin.k === 'hotspots')
      throw new Untranslatable(`${call.name} over already-scored records (${inner}) has no equivalent`);
    const cursorItems = this.expandStar(cursor.items, inner);
    if (call.name === 'HOTSPOTS') return this.hotspotsPump(st, call, { ...cursor, items: cursorItems }, inner, lin, report);
    const explainCall = call.name === 'RANDOM_CUT_FOREST_WITH_EXPLANATION';
    // SELECT * FROM TABLE(RANDOM_CUT_FOREST(…)): the cursor's columns, then the score (and explanation).
    const outer = st.query.items.flatMap((it): SelectItem[] =>
      it.expr.k === 'star'
        ? [
            ...cursorItems,
            { expr: { k: 'col', name: { text: 'ANOMALY_SCORE', quoted: false } } },
            ...(explainCall ? [{ expr: { k: 'col', name: { text: 'ANOMALY_SCORE_EXPLANATION', quoted: false } } } as SelectItem] : []),
          ]
        : [it],
    );
    const q = { ...st.query, items: outer };
    const targets = this.targetColumns(st.target, st.targetColumns, q);
    const explain = call.name === 'RANDOM_CUT_FOREST_WITH_EXPLANATION';
    if (call.name !== 'RANDOM_CUT_FOREST' && !explain)
      throw new Untranslatable(`${call.name} has no equivalent (RANDOM_CUT_FOREST, _WITH_EXPLANATION and HOTSPOTS are translated)`);
    const { explainDirection, ...rcf } = this.rcfArgs(call, report);
    if (explainDirection === false) report.notes.push('withDirectionality false: the attribution always carries the direction (HIGH/LOW)');
    let draft: Draft;
    const featureNames: string[] = [];
    const ignored: string[] = [];
    const untyped: string[] = [];
    if (lin.k === 'window') {
      // A second forest over the same windows is a second detector with the same aggregation.
      draft = this.drafts.includes(lin.draft)
        ? {
            ...lin.draft,
            match: { ...lin.draft.match },
            aggregates: [...lin.draft.aggregates],
            outputs: [],
            features: undefined,
            explain: undefined,
            threshold: undefined,
            name: undefined,
            stream: undefined,
          }
        : lin.draft;
      for (const it of cursorItems) {
        const e = stripCast(it.expr);
        if (e.k !== 'col') throw new Untranslatable(`cursor column ${describe(it.expr)} is computed; select it in the window pump instead`);
        const role = lin.columns.get(canonical(e.name));
        if (role?.k === 'aggregate') featureNames.push(role.name);
        else ignored.push(show(e.name));
      }
      report.notes.push(
        `RANDOM_CUT_FOREST over the window stream → rcf detector: features ${featureNames.join(', ')}${ignored.length ? ` (${ignored.join(', ')} not numeric: KDA's forest ignored ${ignored.length > 1 ? 'them' : 'it'} too)` : ''}`,
      );
      report.notes.push(
        `KDA scored every ${draft.key} with one forest; stream-sentinel keeps one forest per ${draft.key} (scores differ from KDA's: each key is compared with its own history)`,
      );
      if (rcf.shingleSize > 1)
        report.notes.push(
          `shingle ${rcf.shingleSize}: KDA shingled consecutive rows of all keys together; here consecutive windows of one key`,
        );
      report.verdict = 'approximated';
    } else {
      const match = { ...this.inheritedMatch(inner), ...this.whereToMatch(cursor.where, inner, report) };
      draft = { kind: 'records', match, aggregates: [], outputs: [] };
      for (const it of cursorItems) {
        const e = stripCast(it.expr);
        if (e.k !== 'col') throw new Untranslatable(`cursor column ${describe(it.expr)} is computed; only record fields can be scored`);
        if (isRowtime(e)) {
          ignored.push('ROWTIME');
          continue;
        }
        // The source's type, else the type the pump's target stream declares for the same name.
        const targetType = this.declared.get(canonical(st.target))?.columns.find((c) => canonical(c.name) === canonical(e.name))?.type;
        const numeric = this.isNumericInput(inner, e.name) ?? (targetType ? NUMERIC.test(targetType) : undefined);
        if (numeric === false) ignored.push(show(e.name));
        else {
          if (numeric === undefined) untyped.push(show(e.name));
          featureNames.push(this.inputField(inner, e.name));
        }
      }
      report.notes.push(
        `RANDOM_CUT_FOREST over records → kind: records, features ${featureNames.join(', ')}${ignored.length ? ` (${ignored.join(', ')} not numeric: ignored, as KDA's forest did)` : ''}; one forest per detector and shard (KDA: one per application)`,
      );
      if (untyped.length) report.notes.push(`type of ${untyped.join(', ')} unknown (no input schema type): taken as numeric`);
    }
    if (!featureNames.length) throw new Untranslatable('the cursor selects no numeric column to score');
    draft.features = featureNames;
    draft.rcf = rcf;
    if (explain) {
      draft.explain = true;
      report.notes.push('WITH_EXPLANATION → explain: true');
    }
    const columns = new Map<string, ColumnRole>();
    const outputColumns: string[] = [];
    q.items.forEach((it, i) => {
      const t = targets[i];
      if (!t) return;
      outputColumns.push(t.text);
      const e = stripCast(it.expr);
      const col = e.k === 'col' ? canonical(e.name) : '';
      if (col === 'ANOMALY_SCORE') columns.set(canonical(t), { k: 'score' });
      else if (col === 'ANOMALY_SCORE_EXPLANATION' || col === 'ANOMALY_EXPLANATION') columns.set(canonical(t), { k: 'explanation' });
      else if (e.k === 'col' && lin.k === 'window') {
        const role = lin.columns.get(col);
        if (role) columns.set(canonical(t), role);
      } else if (e.k === 'col') {
        try {
          columns.set(canonical(t), { k: 'field', field: this.inputField(inner, e.name) });
        } catch (error) {
          if (!(error instanceof Untranslatable)) throw error;
        }
      }
    });
    draft.outputColumns = outputColumns;
    if (q.where) this.scoreWhere(q.where, (e) => e.k === 'col' && canonical(e.name) === 'ANOMALY_SCORE', draft, st, report);
    this.lineage.set(canonical(st.target), { k: 'scored', draft, columns });
    if (!this.drafts.includes(draft)) this.drafts.push(draft);
    draft.name ??= this.options.name;
    draft.stream ??= st.target.text;
  }

  private hotspotsPump(
    st: PumpStatement,
    call: Extract<Expr, { k: 'call' }>,
    cursor: Select,
    inner: string,
    lin: Lineage,
    report: StatementReport,
  ): void {
    if (lin.k === 'window')
      throw new Untranslatable('HOTSPOTS over window aggregates has no equivalent (hotspots detectors read record fields)');
    const [windowSize, scanRadius, minPoints] = call.args.slice(1).map(literal);
    if (typeof windowSize !== 'number' || typeof scanRadius !== 'number' || typeof minPoints !== 'number')
      throw new Untranslatable('HOTSPOTS needs windowSize, scanRadius and minimumNumberOfPointsInAHotspot as numbers');
    const columns = cursor.items.map((it) => {
      const e = stripCast(it.expr);
      if (e.k !== 'col') throw new Untranslatable(`cursor column ${describe(it.expr)} is computed`);
      return this.inputField(inner, e.name);
    });
    const draft: Draft = {
      kind: 'hotspots',
      match: { ...this.inheritedMatch(inner), ...this.whereToMatch(cursor.where, inner, report) },
      aggregates: [],
      columns,
      hotspots: { windowSize, scanRadius, minPoints },
      outputs: [],
      name: this.options.name,
    };
    draft.stream = st.target.text;
    this.drafts.push(draft);
    this.lineage.set(canonical(st.target), { k: 'hotspots', draft });
    report.verdict = 'approximated';
    report.notes.push(
      `HOTSPOTS → hotspots detector: columns ${columns.join(', ')}, windowSize ${windowSize}, scanRadius ${scanRadius}, minPoints ${minPoints}; evaluated once per window (windowSeconds) over the last ${windowSize} points instead of once per record, and density is relative to the window (docs/hotspots.md): set threshold after measuring`,
    );
  }

  /** A pump reading a scored stream: `WHERE ANOMALY_SCORE > n` is the alert threshold; otherwise an output shape. */
  private scoreFilterPump(st: PumpStatement, lin: Extract<Lineage, { k: 'scored' }>, report: StatementReport): void {
    const q = st.query;
    const draft = lin.draft;
    if (q.where) this.scoreWhere(q.where, (e) => e.k === 'col' && lin.columns.get(canonical(e.name))?.k === 'score', draft, st, report);
    else report.notes.push('passes the scored rows on');
    const targets = this.targetColumns(st.target, st.targetColumns, q);
    const columns = new Map<string, ColumnRole>();
    const outputColumns: string[] = [];
    q.items.forEach((it, i) => {
      const t = targets[i];
      const e = stripCast(it.expr);
      if (it.expr.k === 'star') {
        for (const [k, v] of lin.columns) columns.set(k, v);
        outputColumns.push(...(draft.outputColumns ?? []));
        return;
      }
      if (!t || e.k !== 'col') return;
      const role = lin.columns.get(canonical(e.name));
      if (role) columns.set(canonical(t), role);
      outputColumns.push(t.text);
    });
    draft.stream = st.target.text;
    draft.outputColumns = outputColumns;
    this.lineage.set(canonical(st.target), { k: 'scored', draft, columns });
  }

  /** `WHERE ANOMALY_SCORE > n` after scoring is the alert threshold; any other filter of scored rows is not kept. */
  private scoreWhere(w: Expr, isScore: (e: Expr) => boolean, draft: Draft, st: { line: number }, report: StatementReport): void {
    if (w.k === 'bin' && ['>', '>='].includes(w.op) && isScore(w.left) && typeof literal(w.right) === 'number') {
      draft.threshold = literal(w.right) as number;
      draft.thresholdFrom = `line ${st.line}`;
      report.notes.push(
        `WHERE ${describe(w)} → threshold: ${draft.threshold}${w.op === '>' ? ' (alerts fire at ≥, KDA kept rows strictly above)' : ''}`,
      );
      if (w.op === '>') report.verdict = 'approximated';
      return;
    }
    report.verdict = 'approximated';
    report.notes.push(
      `WHERE ${describe(w)} after scoring only filtered KDA's output rows: every row is scored and can alert here (move the filter into the cursor, as match, to score only those rows — which also changes what the forest learns)`,
    );
  }

  // ---- outputs, names, stream lines, notes -------------------------------------------------------------------

  private applyOutputs(): void {
    for (const o of this.options.outputs ?? []) {
      const lin = this.lineage.get(o.stream.toUpperCase()) ?? this.lineage.get(o.stream);
      const where = `destination ${o.stream}`;
      if (!lin || lin.k !== 'scored') {
        this.notes.push(`${where}: not translated — it is not a scored stream the detectors produce`);
        continue;
      }
      if (!o.kinesis && !o.firehose && !o.lambda) {
        this.notes.push(`${where}: not translated — its destination ARN could not be resolved; add outputs: by hand`);
        continue;
      }
      if (o.lambda) {
        this.notes.push(
          `${where} → Lambda ${o.lambda}: not translated — stream-sentinel raises the alerts itself; to keep the Lambda, point it at a Kinesis stream output (outputs: kinesis) and give it an event source mapping`,
        );
        continue;
      }
      const draft = lin.draft;
      const cols = draft.outputColumns ?? [];
      // Each column of the KDA output stream, named as the consumer reads it, filled from what produces it here.
      const columns: Array<string | Record<string, string>> = [];
      const missing: string[] = [];
      for (const c of cols) {
        const role = [...lin.columns.entries()].find(([k]) => k === c || k === c.toUpperCase())?.[1];
        const from =
          role?.k === 'score'
            ? 'ANOMALY_SCORE'
            : role?.k === 'explanation'
              ? 'ANOMALY_SCORE_EXPLANATION'
              : role?.k === 'key'
                ? draft.key
                : role?.k === 'aggregate'
                  ? role.name
                  : role?.k === 'field'
                    ? role.field
                    : role?.k === 'windowStart'
                      ? 'windowStart'
                      : undefined;
        if (!from) missing.push(c);
        else columns.push(from === c || from === c.toUpperCase() ? c : { [c]: from });
      }
      const target = o.kinesis ? { kinesis: o.kinesis } : { firehose: o.firehose! };
      draft.outputs.push({ ...target, format: o.format, ...(missing.length ? {} : { columns }) });
      const renamed = columns.filter((c): c is Record<string, string> => typeof c !== 'string');
      this.notes.push(
        `${where} → outputs: ${o.kinesis ? `kinesis ${o.kinesis}` : `firehose ${o.firehose}`} (${o.format})${
          missing.length
            ? `; columns ${missing.join(', ')} have no counterpart here, so the default columns are written`
            : `, columns ${cols.join(', ')} as KDA wrote them${renamed.length ? ` (${renamed.map((r) => Object.entries(r).map(([n, f]) => `${n} from ${f}`)[0]).join(', ')})` : ''}`
        }`,
      );
    }
  }

  private nameDrafts(): void {
    const used = new Set<string>();
    this.drafts.forEach((d, i) => {
      const stream = d.stream ?? `detector-${i + 1}`;
      let name = this.options.name ? (this.drafts.length > 1 ? `${this.options.name}-${i + 1}` : this.options.name) : slug(stream);
      for (let k = 2; used.has(name); k++) name = `${slug(stream)}-${k}`;
      used.add(name);
      d.name = name;
    });
  }

  private streamReport(st: Extract<Statement, { k: 'stream' }>): StatementReport {
    const label = statementLabel(st);
    const c = canonical(st.name);
    const lin = this.lineage.get(c);
    const cols = st.columns.map((x) => x.name.text).join(', ');
    if (!lin) return { line: st.line, label, verdict: 'not translated', notes: [`no translated pump writes it (${cols})`] };
    if (lin.k === 'opaque') return { line: st.line, label, verdict: 'not translated', notes: [lin.why] };
    if (lin.k === 'view' && !this.usedViews.has(c))
      return { line: st.line, label, verdict: 'not translated', notes: [`no translated detector reads it (${cols})`] };
    if (lin.k === 'view')
      return { line: st.line, label, verdict: 'translated', notes: [`a view (${cols}): folded into the detectors reading it`] };
    if (lin.k === 'input')
      return { line: st.line, label, verdict: 'translated', notes: ['the source stream: the records the detectors read'] };
    if (lin.k === 'hotspots')
      return {
        line: st.line,
        label,
        verdict: 'approximated',
        notes: [
          `the results of hotspots detector ${lin.draft.name} (${cols}): hotspots are written to the hotspots table and alerted on, not as a HOTSPOTS_RESULT column`,
        ],
      };
    const name = lin.draft.name;
    if (lin.k === 'window' && !this.drafts.includes(lin.draft) && !this.drafts.some((d) => d.pumpReport === lin.draft.pumpReport))
      return { line: st.line, label, verdict: 'not translated', notes: [`windows no forest scores (${cols})`] };
    if (lin.k === 'window') {
      const names = this.drafts.filter((d) => d.pumpReport === lin.draft.pumpReport).map((d) => d.name);
      return {
        line: st.line,
        label,
        verdict: 'translated',
        notes: [`the windows of detector${names.length > 1 ? 's' : ''} ${names.join(', ')} (${cols})`],
      };
    }
    return { line: st.line, label, verdict: 'translated', notes: [`the scored results of detector ${name} (${cols})`] };
  }

  private globalNotes(): void {
    const input = this.options.input;
    if (!input)
      this.notes.push(
        'input schema: none given — format json with fields named as the SQL columns; give the template (RecordColumns) or --csv-columns to change it',
      );
    else
      this.notes.push(
        `input schema: ${input.format}, columns ${input.columns.map((c) => (c.mapping ? `${c.name} (${c.mapping})` : c.name)).join(', ')}`,
      );
    for (const d of this.drafts) {
      if (d.kind === 'hotspots') continue;
      const used = new Set([
        ...(d.features ?? d.aggregates.map((a) => a.name)),
        ...d.aggregates.flatMap((a) => a.ratio ?? []),
        ...d.outputs.flatMap((o) => (o.columns ?? []).map((c) => (typeof c === 'string' ? c : Object.values(c)[0]!))),
      ]);
      const unused = d.aggregates.filter((a) => !used.has(a.name)).map((a) => a.name);
      if (unused.length)
        this.notes.push(
          `${d.name}: ${unused.join(', ')} ${unused.length > 1 ? 'are' : 'is'} computed (KDA's window stream had ${unused.length > 1 ? 'them' : 'it'}) but neither scored nor delivered: keep for alert messages, or remove`,
        );
      if (this.options.threshold !== undefined && d.threshold === undefined) {
        d.threshold = this.options.threshold;
        d.thresholdFrom = '--threshold';
      }
      if (d.threshold === undefined)
        this.notes.push(
          `${d.name}: no threshold in the SQL — KDA applications usually kept it in the consuming Lambda; pass --threshold (until then the stage's ANOMALY_THRESHOLD applies)`,
        );
      else
        this.notes.push(
          `${d.name}: threshold ${d.threshold} (from ${d.thresholdFrom}), alertOn: score so the migrated number keeps its meaning; alerts fire at score ≥ threshold`,
        );
      const max = Math.log2(d.rcf!.subSampleSize);
      if (d.threshold !== undefined && d.threshold > max)
        this.notes.push(
          `${d.name}: threshold ${d.threshold} can never fire: scores cannot exceed log2(subSampleSize) = ${max.toFixed(2)} with subSampleSize ${d.rcf!.subSampleSize}`,
        );
    }
  }

  private emit(d: Draft): Record<string, unknown> {
    const input = this.options.input;
    const out: Record<string, unknown> = { name: d.name };
    if (d.kind !== 'rcf') out.kind = d.kind;
    out.format = input?.format ?? 'json';
    if (input?.format === 'csv')
      out.csv = {
        columns: input.columns.map((c) => c.name),
        ...(input.delimiter && input.delimiter !== ',' ? { delimiter: input.delimiter } : {}),
      };
    if (Object.keys(d.match).length) out.match = d.match;
    if (d.time) out.time = d.time;
    if (d.windowSeconds !== undefined) out.windowSeconds = d.windowSeconds;
    if (d.everySeconds !== undefined) out.everySeconds = d.everySeconds;
    if (d.key) out.key = d.key;
    if (d.kind === 'rcf') {
      out.aggregates = d.aggregates.map((a) => {
        if (a.fn === 'ratio') return { name: a.name, ratio: a.ratio };
        const short = a.field ? `${a.fn}_${a.field}` : a.fn;
        if (!a.where && short === a.name) return a.field ? `${a.fn}(${a.field})` : a.fn;
        return { name: a.name, fn: a.fn, ...(a.field ? { field: a.field } : {}), ...(a.where ? { where: a.where } : {}) };
      });
      if (d.features && d.features.join() !== d.aggregates.map((a) => a.name).join()) out.features = d.features;
    }
    if (d.kind === 'records') out.features = d.features;
    if (d.kind === 'hotspots') {
      out.columns = d.columns;
      Object.assign(out, d.hotspots);
    }
    if (d.rcf) out.rcf = d.rcf;
    if (d.explain) out.explain = true;
    if (d.threshold !== undefined) out.threshold = d.threshold;
    if (d.kind !== 'hotspots') out.alertOn = 'score';
    if (d.outputs.length) out.outputs = d.outputs;
    return out;
  }
}

export function translateSql(sql: string, options: TranslateOptions = {}): Translation {
  return new Translator(options).run(sql);
}

/** One line per statement, then the application-wide notes. */
export function reportLines(t: Translation): string[] {
  return [
    ...t.statements.map((s) => `line ${s.line}, ${s.label}: ${s.verdict} — ${s.notes.join('; ')}`),
    ...t.notes.map((n) => `note: ${n}`),
  ];
}

/** The detectors as a detectors.yml document, the report as comments above them. */
export function toDetectorsYaml(t: Translation, source: string): string {
  const header = [`# Translated from ${source} by stream-sentinel import-sql (docs/migration.md).`, ...reportLines(t).map((l) => `# ${l}`)];
  const body = dump({ version: 1, detectors: t.detectors }, { flowLevel: 3, lineWidth: -1, noRefs: true });
  return `${header.join('\n')}\n${body}`;
}
