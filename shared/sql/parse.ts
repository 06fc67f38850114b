import { SqlSyntaxError, tokenize, type Token } from './tokenize';

/**
 * Parser for the statements a Kinesis Data Analytics SQL application is made of: CREATE [OR REPLACE] STREAM,
 * CREATE [OR REPLACE] PUMP … AS INSERT INTO … SELECT STREAM …, and their expressions (aggregates, STEP, FLOOR,
 * CASE, CAST, INTERVAL, TABLE(RANDOM_CUT_FOREST(CURSOR(…), …)), OVER/WINDOW, WINDOWED BY STAGGER, joins). Each
 * statement parses on its own: one it cannot read becomes an `error` statement and the rest still parse. Pure.
 */

/** An identifier: `text` as written; `quoted` ones are case-sensitive, others KDA folds to upper case. */
export interface Name {
  text: string;
  quoted: boolean;
}

/** The name KDA compares: quoted as written, unquoted upper-cased. */
export const canonical = (n: Name): string => (n.quoted ? n.text : n.text.toUpperCase());

export interface WindowSpec {
  partitionBy: Expr[];
  /** RANGE INTERVAL … PRECEDING (time-based sliding window). */
  range?: Expr;
  /** ROWS n PRECEDING (count-based sliding window). */
  rows?: number;
}

export type Expr =
  | { k: 'col'; qualifier?: Name; name: Name }
  | { k: 'star'; qualifier?: Name }
  | { k: 'num'; value: number }
  | { k: 'str'; value: string }
  | { k: 'null' }
  | { k: 'bool'; value: boolean }
  | { k: 'interval'; value: string; unit: string }
  | { k: 'timestamp'; value: string }
  | { k: 'call'; name: string; distinct: boolean; args: Expr[]; over?: WindowSpec | Name }
  | { k: 'step'; arg: Expr; interval: Expr }
  | { k: 'floor'; arg: Expr; unit?: string }
  | { k: 'unit'; arg: Expr; unit: string }
  | { k: 'cast'; arg: Expr; type: string }
  | { k: 'case'; operand?: Expr; whens: Array<{ when: Expr; then: Expr }>; else?: Expr }
  | { k: 'bin'; op: string; left: Expr; right: Expr }
  | { k: 'not'; arg: Expr }
  | { k: 'neg'; arg: Expr }
  | { k: 'in'; arg: Expr; list: Expr[]; not: boolean }
  | { k: 'between'; arg: Expr; low: Expr; high: Expr; not: boolean }
  | { k: 'isnull'; arg: Expr; not: boolean }
  | { k: 'cursor'; query: Select };

export interface SelectItem {
  expr: Expr;
  alias?: Name;
}

export type FromItem =
  | { k: 'stream'; name: Name; alias?: Name; over?: WindowSpec }
  | { k: 'table'; call: Expr; alias?: Name }
  | { k: 'subquery'; query: Select; alias?: Name }
  | { k: 'join'; type: string; left: FromItem; right: FromItem; on?: Expr };

export interface Select {
  line: number;
  stream: boolean;
  items: SelectItem[];
  from: FromItem;
  where?: Expr;
  groupBy?: Expr[];
  having?: Expr;
  windowedBy?: { partitionBy: Expr[]; range: Expr };
  windows?: Array<{ name: Name; spec: WindowSpec }>;
  orderBy?: Expr[];
}

export interface ColumnDef {
  name: Name;
  type: string;
}

interface StatementBase {
  /** 1-based line where the statement starts. */
  line: number;
  /** The statement's text, for messages. */
  text: string;
}

export type Statement =
  | (StatementBase & { k: 'stream'; name: Name; columns: ColumnDef[] })
  | (StatementBase & { k: 'pump'; name: Name; target: Name; targetColumns?: Name[]; query: Select })
  | (StatementBase & { k: 'insert'; target: Name; targetColumns?: Name[]; query: Select })
  | (StatementBase & { k: 'select'; query: Select })
  | (StatementBase & { k: 'other'; keyword: string })
  | (StatementBase & { k: 'error'; message: string });

type StatementBody = Statement extends infer S ? (S extends Statement ? Omit<S, 'line' | 'text'> : never) : never;

const UNITS = new Set(['SECOND', 'MINUTE', 'HOUR', 'DAY', 'MONTH', 'YEAR', 'MILLISECOND']);
/** Words that end an expression or a select item without AS (so they are never taken as an alias). */
const RESERVED = new Set([
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'WINDOW',
  'WINDOWED',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'FULL',
  'CROSS',
  'ON',
  'AS',
  'AND',
  'OR',
  'NOT',
  'BY',
  'UNION',
  'OVER',
  'THEN',
  'ELSE',
  'END',
  'WHEN',
  'IN',
  'IS',
  'LIKE',
  'BETWEEN',
  'SELECT',
  'TO',
  'OUTER',
]);

class Parser {
  private i = 0;
  constructor(private readonly t: Token[]) {}

  get peek(): Token {
    return this.t[this.i]!;
  }
  at(offset: number): Token {
    return this.t[Math.min(this.i + offset, this.t.length - 1)]!;
  }
  get done(): boolean {
    return this.peek.type === 'eof';
  }
  next(): Token {
    const tok = this.t[this.i]!;
    if (tok.type !== 'eof') this.i++;
    return tok;
  }
  isWord(word: string, offset = 0): boolean {
    const tok = this.at(offset);
    return tok.type === 'ident' && tok.upper === word;
  }
  isOp(op: string, offset = 0): boolean {
    const tok = this.at(offset);
    return tok.type === 'op' && tok.text === op;
  }
  acceptWord(...words: string[]): boolean {
    if (!words.every((w, k) => this.isWord(w, k))) return false;
    this.i += words.length;
    return true;
  }
  acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.i++;
    return true;
  }
  fail(what: string): never {
    const tok = this.peek;
    throw new SqlSyntaxError(
      `expected ${what}, found ${tok.type === 'eof' ? 'the end of the statement' : JSON.stringify(tok.text)}`,
      tok.line,
    );
  }
  word(word: string): void {
    if (!this.acceptWord(word)) this.fail(word);
  }
  op(op: string): void {
    if (!this.acceptOp(op)) this.fail(`"${op}"`);
  }
  name(): Name {
    const tok = this.peek;
    if (tok.type === 'quoted' || tok.type === 'ident') {
      this.i++;
      return { text: tok.text, quoted: tok.type === 'quoted' };
    }
    return this.fail('a name');
  }

  statement(): StatementBody {
    if (this.acceptWord('CREATE')) {
      this.acceptWord('OR', 'REPLACE');
      if (this.acceptWord('STREAM')) return this.createStream();
      if (this.acceptWord('PUMP')) {
        const name = this.name();
        this.skipDescription();
        this.word('AS');
        const insert = this.insert();
        return { k: 'pump', name, ...insert };
      }
      return { k: 'other', keyword: `CREATE ${this.peek.upper}` };
    }
    if (this.isWord('INSERT')) return { k: 'insert', ...this.insert() };
    if (this.isWord('SELECT')) {
      const query = this.select();
      return { k: 'select', query };
    }
    return { k: 'other', keyword: this.peek.upper };
  }

  private skipDescription(): void {
    if (this.acceptWord('DESCRIPTION')) this.next();
  }

  private createStream(): StatementBody {
    const name = this.name();
    const columns: ColumnDef[] = [];
    this.op('(');
    do {
      const col = this.name();
      columns.push({ name: col, type: this.typeName() });
    } while (this.acceptOp(','));
    this.op(')');
    this.skipDescription();
    return { k: 'stream', name, columns };
  }

  private typeName(): string {
    let type = this.next().upper;
    while (this.peek.type === 'ident' && ['PRECISION', 'VARYING', 'WITH', 'WITHOUT', 'TIME', 'ZONE', 'LOCAL'].includes(this.peek.upper))
      type += ` ${this.next().upper}`;
    if (this.acceptOp('(')) {
      const args = [this.next().text];
      while (this.acceptOp(',')) args.push(this.next().text);
      this.op(')');
      type += `(${args.join(',')})`;
    }
    return type;
  }

  private insert(): { target: Name; targetColumns?: Name[]; query: Select } {
    this.word('INSERT');
    this.word('INTO');
    const target = this.name();
    let targetColumns: Name[] | undefined;
    if (this.acceptOp('(')) {
      targetColumns = [this.name()];
      while (this.acceptOp(',')) targetColumns.push(this.name());
      this.op(')');
    }
    return { target, ...(targetColumns ? { targetColumns } : {}), query: this.select() };
  }

  select(): Select {
    const line = this.peek.line;
    this.word('SELECT');
    const stream = this.acceptWord('STREAM');
    this.acceptWord('ALL');
    const items: SelectItem[] = [];
    do {
      const expr = this.expr();
      let alias: Name | undefined;
      if (this.acceptWord('AS')) alias = this.name();
      else if (this.peek.type === 'quoted' || (this.peek.type === 'ident' && !RESERVED.has(this.peek.upper))) alias = this.name();
      items.push({ expr, ...(alias ? { alias } : {}) });
    } while (this.acceptOp(','));
    this.word('FROM');
    const from = this.fromList();
    const q: Select = { line, stream, items, from };
    if (this.acceptWord('WINDOWED', 'BY')) {
      this.word('STAGGER');
      this.op('(');
      this.word('PARTITION');
      this.word('BY');
      const partitionBy = this.exprList();
      this.word('RANGE');
      const range = this.expr();
      this.op(')');
      q.windowedBy = { partitionBy, range };
    }
    if (this.acceptWord('WHERE')) q.where = this.expr();
    if (this.acceptWord('GROUP', 'BY')) q.groupBy = this.exprList();
    if (this.acceptWord('HAVING')) q.having = this.expr();
    if (this.acceptWord('WINDOW')) {
      q.windows = [];
      do {
        const name = this.name();
        this.word('AS');
        this.op('(');
        q.windows.push({ name, spec: this.windowSpec() });
        this.op(')');
      } while (this.acceptOp(','));
    }
    if (this.acceptWord('ORDER', 'BY')) q.orderBy = this.orderList();
    return q;
  }

  private windowSpec(): WindowSpec {
    const spec: WindowSpec = { partitionBy: [] };
    if (this.acceptWord('PARTITION', 'BY')) spec.partitionBy = this.exprList();
    if (this.acceptWord('ORDER', 'BY')) this.orderList();
    if (this.acceptWord('RANGE')) {
      spec.range = this.expr();
      this.word('PRECEDING');
    } else if (this.acceptWord('ROWS')) {
      const tok = this.next();
      if (tok.type !== 'number') this.fail('a number of rows');
      spec.rows = Number(tok.text);
      this.word('PRECEDING');
    }
    return spec;
  }

  private fromList(): FromItem {
    let left = this.fromItem();
    for (;;) {
      if (this.acceptOp(',')) {
        left = { k: 'join', type: 'CROSS', left, right: this.fromItem() };
        continue;
      }
      let type = '';
      while (['INNER', 'LEFT', 'RIGHT', 'FULL', 'OUTER', 'CROSS'].includes(this.peek.upper) && this.peek.type === 'ident')
        type += `${this.next().upper} `;
      if (!this.acceptWord('JOIN')) {
        if (type) this.fail('JOIN');
        return left;
      }
      const right = this.fromItem();
      const on = this.acceptWord('ON') ? this.expr() : undefined;
      left = { k: 'join', type: `${type}JOIN`.trim(), left, right, ...(on ? { on } : {}) };
    }
  }

  private alias(): Name | undefined {
    if (this.acceptWord('AS')) return this.name();
    if (this.peek.type === 'quoted' || (this.peek.type === 'ident' && !RESERVED.has(this.peek.upper))) return this.name();
    return undefined;
  }

  private fromItem(): FromItem {
    if (this.acceptWord('TABLE')) {
      this.op('(');
      const call = this.expr();
      this.op(')');
      const alias = this.alias();
      return { k: 'table', call, ...(alias ? { alias } : {}) };
    }
    if (this.isOp('(')) {
      this.next();
      const query = this.select();
      this.op(')');
      const alias = this.alias();
      return { k: 'subquery', query, ...(alias ? { alias } : {}) };
    }
    const name = this.name();
    // A stream in a join carries its window: `"QUOTES" OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS q`.
    let over: WindowSpec | undefined;
    if (this.acceptWord('OVER')) {
      this.op('(');
      over = this.windowSpec();
      this.op(')');
    }
    const alias = this.alias();
    return { k: 'stream', name, ...(alias ? { alias } : {}), ...(over ? { over } : {}) };
  }

  /** ORDER BY items: expressions with ASC/DESC and NULLS FIRST/LAST, which streams ignore beyond ordering. */
  private orderList(): Expr[] {
    const list: Expr[] = [];
    do {
      list.push(this.expr());
      if (!this.acceptWord('ASC')) this.acceptWord('DESC');
      if (this.acceptWord('NULLS') && !this.acceptWord('FIRST')) this.word('LAST');
    } while (this.acceptOp(','));
    return list;
  }

  private exprList(): Expr[] {
    const list = [this.expr()];
    while (this.acceptOp(',')) list.push(this.expr());
    return list;
  }

  expr(): Expr {
    let left = this.and();
    while (this.acceptWord('OR')) left = { k: 'bin', op: 'OR', left, right: this.and() };
    return left;
  }
  private and(): Expr {
    let left = this.notExpr();
    while (this.acceptWord('AND')) left = { k: 'bin', op: 'AND', left, right: this.notExpr() };
    return left;
  }
  private notExpr(): Expr {
    if (this.acceptWord('NOT')) return { k: 'not', arg: this.notExpr() };
    return this.comparison();
  }
  private comparison(): Expr {
    const left = this.additive();
    const tok = this.peek;
    if (tok.type === 'op' && ['=', '<>', '!=', '<', '>', '<=', '>='].includes(tok.text)) {
      this.next();
      return { k: 'bin', op: tok.text === '!=' ? '<>' : tok.text, left, right: this.additive() };
    }
    if (this.acceptWord('IS')) {
      const not = this.acceptWord('NOT');
      this.word('NULL');
      return { k: 'isnull', arg: left, not };
    }
    const not = this.isWord('NOT') && ['IN', 'LIKE', 'BETWEEN'].includes(this.at(1).upper) ? (this.next(), true) : false;
    if (this.acceptWord('IN')) {
      this.op('(');
      const list = this.exprList();
      this.op(')');
      return { k: 'in', arg: left, list, not };
    }
    if (this.acceptWord('LIKE')) {
      const e: Expr = { k: 'bin', op: 'LIKE', left, right: this.additive() };
      return not ? { k: 'not', arg: e } : e;
    }
    if (this.acceptWord('BETWEEN')) {
      const low = this.additive();
      this.word('AND');
      return { k: 'between', arg: left, low, high: this.additive(), not };
    }
    if (not) this.fail('IN, LIKE or BETWEEN after NOT');
    return left;
  }
  private additive(): Expr {
    return this.binaryLevel(['+', '-', '||'], () => this.multiplicative());
  }
  private multiplicative(): Expr {
    return this.binaryLevel(['*', '/', '%'], () => this.unary());
  }
  /** One left-associative precedence level: `operand (op operand)*` for the operator tokens in `ops`. */
  private binaryLevel(ops: readonly string[], operand: () => Expr): Expr {
    let left = operand();
    for (;;) {
      const tok = this.peek;
      if (tok.type !== 'op' || !ops.includes(tok.text)) return left;
      this.next();
      left = { k: 'bin', op: tok.text, left, right: operand() };
    }
  }
  private unary(): Expr {
    if (this.acceptOp('-')) return { k: 'neg', arg: this.unary() };
    if (this.acceptOp('+')) return this.unary();
    return this.primary();
  }
  private primary(): Expr {
    const tok = this.peek;
    if (tok.type === 'number') {
      this.next();
      return { k: 'num', value: Number(tok.text) };
    }
    if (tok.type === 'string') {
      this.next();
      return { k: 'str', value: tok.text };
    }
    if (tok.type === 'op' && tok.text === '*') {
      this.next();
      return { k: 'star' };
    }
    if (tok.type === 'op' && tok.text === '(') {
      this.next();
      if (this.isWord('SELECT')) this.fail('an expression (sub-queries in expressions are not part of KDA streaming SQL)');
      const inner = this.expr();
      this.op(')');
      // `(ROWTIME - TIMESTAMP '1970-01-01 00:00:00') SECOND`: an interval expressed in one unit.
      if (this.peek.type === 'ident' && UNITS.has(this.peek.upper)) return { k: 'unit', arg: inner, unit: this.next().upper };
      return inner;
    }
    if (tok.type === 'ident') {
      const word = tok.upper;
      if (word === 'NULL') return (this.next(), { k: 'null' });
      if (word === 'TRUE' || word === 'FALSE') return (this.next(), { k: 'bool', value: word === 'TRUE' });
      if (word === 'INTERVAL') {
        this.next();
        const value = this.next();
        if (value.type !== 'string' && value.type !== 'number') this.fail("the interval's value, e.g. INTERVAL '10' SECOND");
        const unit = this.next().upper;
        if (!UNITS.has(unit)) throw new SqlSyntaxError(`${unit} is not an interval unit (SECOND, MINUTE, HOUR, DAY)`, value.line);
        if (this.acceptOp('(')) {
          this.next();
          this.op(')');
        }
        if (this.acceptWord('TO')) this.next();
        return { k: 'interval', value: value.text, unit };
      }
      if ((word === 'TIMESTAMP' || word === 'DATE' || word === 'TIME') && this.at(1).type === 'string') {
        this.next();
        return { k: 'timestamp', value: this.next().text };
      }
      if (word === 'CASE') return this.caseExpr();
      if (word === 'CURSOR' && this.isOp('(', 1)) {
        this.next();
        this.op('(');
        const query = this.select();
        this.op(')');
        return { k: 'cursor', query };
      }
    }
    if ((tok.type !== 'ident' && tok.type !== 'quoted') || (tok.type === 'ident' && RESERVED.has(tok.upper))) this.fail('an expression');
    const first = this.name();
    if (this.isOp('(') && !first.quoted) return this.call(first.text.toUpperCase());
    if (this.acceptOp('.')) {
      if (this.acceptOp('*')) return { k: 'star', qualifier: first };
      return { k: 'col', qualifier: first, name: this.name() };
    }
    return { k: 'col', name: first };
  }

  private caseExpr(): Expr {
    this.word('CASE');
    const operand = this.isWord('WHEN') ? undefined : this.expr();
    const whens: Array<{ when: Expr; then: Expr }> = [];
    while (this.acceptWord('WHEN')) {
      const when = this.expr();
      this.word('THEN');
      whens.push({ when, then: this.expr() });
    }
    const otherwise = this.acceptWord('ELSE') ? this.expr() : undefined;
    this.word('END');
    return { k: 'case', ...(operand ? { operand } : {}), whens, ...(otherwise ? { else: otherwise } : {}) };
  }

  private call(name: string): Expr {
    this.op('(');
    if (name === 'STEP') {
      const arg = this.expr();
      this.word('BY');
      const interval = this.expr();
      this.op(')');
      return { k: 'step', arg, interval };
    }
    if (name === 'FLOOR' || name === 'CEIL') {
      const arg = this.expr();
      const unit = this.acceptWord('TO') ? this.next().upper : undefined;
      this.op(')');
      return name === 'FLOOR' ? { k: 'floor', arg, ...(unit ? { unit } : {}) } : { k: 'call', name, distinct: false, args: [arg] };
    }
    if (name === 'CAST') {
      const arg = this.expr();
      this.word('AS');
      const type = this.typeName();
      this.op(')');
      return { k: 'cast', arg, type };
    }
    const distinct = this.acceptWord('DISTINCT');
    this.acceptWord('ALL');
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      args.push(this.expr());
      while (this.acceptOp(',')) args.push(this.expr());
    }
    this.op(')');
    let over: WindowSpec | Name | undefined;
    if (this.acceptWord('OVER')) {
      if (this.acceptOp('(')) {
        over = this.windowSpec();
        this.op(')');
      } else over = this.name();
    }
    return { k: 'call', name, distinct, args, ...(over ? { over } : {}) };
  }
}

/** Splits the application into statements at top-level semicolons and parses each one. */
export function parseApplication(sql: string): Statement[] {
  let tokens: Token[];
  try {
    tokens = tokenize(sql);
  } catch (error) {
    if (error instanceof SqlSyntaxError) return [{ k: 'error', line: error.line, text: sql.trim(), message: error.message }];
    throw error;
  }
  const statements: Statement[] = [];
  let start = 0;
  while (start < tokens.length - 1) {
    let end = start;
    let depth = 0;
    while (tokens[end]!.type !== 'eof' && !(depth === 0 && tokens[end]!.type === 'op' && tokens[end]!.text === ';')) {
      const t = tokens[end]!;
      if (t.type === 'op' && t.text === '(') depth++;
      if (t.type === 'op' && t.text === ')') depth--;
      end++;
    }
    if (end > start) {
      const slice = tokens.slice(start, end);
      const first = slice[0]!;
      const last = tokens[end]!;
      const text = sql.slice(first.offset, last.type === 'eof' ? sql.length : last.offset).trim();
      const parser = new Parser([...slice, { type: 'eof', text: '', upper: '', line: last.line, offset: last.offset }]);
      try {
        const st = parser.statement();
        if (st.k !== 'other' && !parser.done) parser.fail('the end of the statement');
        statements.push({ ...st, line: first.line, text } as Statement);
      } catch (error) {
        if (!(error instanceof SqlSyntaxError)) throw error;
        statements.push({ k: 'error', line: first.line, text, message: error.message });
      }
    }
    start = end + 1;
  }
  return statements;
}
