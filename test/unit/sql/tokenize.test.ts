import { SqlSyntaxError, tokenize } from '../../../shared/sql/tokenize';
import { parseApplication } from '../../../shared/sql/parse';

describe('KDA SQL tokenizer', () => {
  it('keeps quoted identifiers as written, folds unquoted ones, unescapes doubled quotes and skips comments', () => {
    const tokens = tokenize(`-- a comment\nSELECT STREAM "say ""hi""", col_a /* block\n comment */ FROM "S" WHERE x = 'it''s';`);
    expect(tokens.map((t) => [t.type, t.text, t.upper, t.line])).toEqual([
      ['ident', 'SELECT', 'SELECT', 2],
      ['ident', 'STREAM', 'STREAM', 2],
      ['quoted', 'say "hi"', 'say "hi"', 2],
      ['op', ',', ',', 2],
      ['ident', 'col_a', 'COL_A', 2],
      ['ident', 'FROM', 'FROM', 3],
      ['quoted', 'S', 'S', 3],
      ['ident', 'WHERE', 'WHERE', 3],
      ['ident', 'x', 'X', 3],
      ['op', '=', '=', 3],
      ['string', "it's", "it's", 3],
      ['op', ';', ';', 3],
      ['eof', '', '', 3],
    ]);
  });

  it('says where a string or comment is never closed', () => {
    expect(() => tokenize("SELECT 'open")).toThrow(new SqlSyntaxError("a 'string' is never closed", 1));
    expect(() => tokenize('\n/* open')).toThrow('line 2: a /* comment is never closed');
  });

  it('parses each statement on its own, so one error does not hide the others', () => {
    const statements = parseApplication(
      'CREATE OR REPLACE STREAM "A" ("x" INTEGER);\nCREATE PUMP "P" AS INSERT INTO "A" SELECT STREAM FROM;\nCREATE STREAM B (y DOUBLE PRECISION);',
    );
    expect(statements.map((s) => [s.k, s.line])).toEqual([
      ['stream', 1],
      ['error', 2],
      ['stream', 3],
    ]);
    expect(statements[1]).toMatchObject({ message: 'line 2: expected an expression, found "FROM"' });
    expect(statements[2]).toMatchObject({ columns: [{ name: { text: 'y', quoted: false }, type: 'DOUBLE PRECISION' }] });
  });
});
