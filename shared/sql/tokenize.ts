/**
 * Tokenizer for the SQL dialect of Kinesis Data Analytics for SQL applications (SQLstream's streaming SQL):
 * quoted identifiers keep their case, unquoted ones are compared upper-cased (as KDA folds them), strings use ''
 * to escape a quote, `--` and block comments are skipped. Pure: no I/O.
 */

export type TokenType = 'ident' | 'quoted' | 'string' | 'number' | 'op' | 'eof';

export interface Token {
  type: TokenType;
  /** As written (without the quotes of a quoted identifier or string). */
  text: string;
  /** Upper-cased for unquoted identifiers (keywords and KDA's folded names); as written otherwise. */
  upper: string;
  /** 1-based line of the token's first character. */
  line: number;
  /** Offset in the source text, for slicing a statement back out. */
  offset: number;
}

export class SqlSyntaxError extends Error {
  override readonly name = 'SqlSyntaxError';
  constructor(
    message: string,
    readonly line: number,
    options?: { cause?: unknown },
  ) {
    super(`line ${line}: ${message}`, options);
  }
}

const OPERATORS = ['<>', '!=', '<=', '>=', '||', '(', ')', ',', ';', '.', '*', '=', '<', '>', '+', '-', '/', '%'];

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const n = sql.length;
  const push = (type: TokenType, text: string, offset: number, startLine: number, upper = text) =>
    tokens.push({ type, text, upper, line: startLine, offset });
  while (i < n) {
    const c = sql[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const startLine = line;
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new SqlSyntaxError('a /* comment is never closed', startLine);
      for (let k = i; k < end; k++) if (sql[k] === '\n') line++;
      i = end + 2;
      continue;
    }
    const start = i;
    const startLine = line;
    if (c === '"' || c === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= n) throw new SqlSyntaxError(c === '"' ? 'a "quoted identifier" is never closed' : "a 'string' is never closed", startLine);
        const d = sql[i]!;
        if (d === c) {
          if (sql[i + 1] === c) {
            text += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (d === '\n') line++;
        text += d;
        i++;
      }
      push(c === '"' ? 'quoted' : 'string', text, start, startLine);
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(sql.slice(i, i + 64))!;
      i += m[0].length;
      push('number', m[0], start, startLine);
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$#]*/.exec(sql.slice(i, i + 256))!;
      i += m[0].length;
      push('ident', m[0], start, startLine, m[0].toUpperCase());
      continue;
    }
    const op = OPERATORS.find((o) => sql.startsWith(o, i));
    if (!op) throw new SqlSyntaxError(`unexpected character ${JSON.stringify(c)}`, startLine);
    i += op.length;
    push('op', op, start, startLine);
  }
  tokens.push({ type: 'eof', text: '', upper: '', line, offset: n });
  return tokens;
}
