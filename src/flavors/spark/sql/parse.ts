import { MlflowError } from '../../../errors.js';
import type { Expr, Select, SelectItem, SqlType } from './ast.js';
import { tokenize, type Token } from './tokens.js';

/** SQL types a CAST may name, by Spark's names. */
const CAST_TYPES: Record<string, SqlType> = {
  int: 'int', integer: 'int', smallint: 'int', tinyint: 'int', bigint: 'long', long: 'long',
  double: 'double', float: 'double', real: 'double', string: 'string', varchar: 'string', boolean: 'boolean',
};

/**
 * Parses the SQLTransformer subset: SELECT of `*`, columns and expressions [AS alias] FROM
 * __THIS__ [WHERE cond]; expressions with arithmetic, comparisons, AND/OR/NOT, IS [NOT] NULL,
 * IN, CASE, IF, CAST and the functions the evaluator knows. Anything else (joins, GROUP BY,
 * subqueries, window functions...) is refused by name.
 */
export function parseSelect(sql: string, where: string): Select {
  const p = new Parser(tokenize(sql, where), where);
  return p.select();
}

class Parser {
  private pos = 0;

  constructor(
    private readonly toks: Token[],
    private readonly where: string,
  ) {}

  private peek(): Token {
    return this.toks[this.pos];
  }

  private isWord(w: string, t: Token = this.peek()): boolean {
    return t.kind === 'ident' && !t.quoted && t.text.toUpperCase() === w;
  }

  private isOp(o: string, t: Token = this.peek()): boolean {
    return t.kind === 'op' && t.text === o;
  }

  private refuse(what: string): never {
    throw new MlflowError(`${this.where}: ${what} is not supported natively by the SQLTransformer subset`, 'NOT_IMPLEMENTED');
  }

  private expectWord(w: string): void {
    if (!this.isWord(w)) this.refuse(`'${describe(this.peek())}' where ${w} was expected`);
    this.pos++;
  }

  private expectOp(o: string): void {
    if (!this.isOp(o)) this.refuse(`'${describe(this.peek())}' where '${o}' was expected`);
    this.pos++;
  }

  select(): Select {
    this.expectWord('SELECT');
    if (this.isWord('DISTINCT')) this.refuse('SELECT DISTINCT');
    const items: SelectItem[] = [];
    do {
      if (this.isOp('*')) {
        this.pos++;
        items.push({ expr: '*', alias: null });
        continue;
      }
      const expr = this.expr();
      let alias: string | null = null;
      if (this.isWord('AS')) {
        this.pos++;
        alias = this.identifier();
      } else if (this.peek().kind === 'ident' && !this.isWord('FROM')) {
        alias = this.identifier();
      }
      items.push({ expr, alias });
    } while (this.isOp(',') && ++this.pos);
    this.expectWord('FROM');
    const from = this.identifier();
    if (from !== '__THIS__') this.refuse(`FROM ${from} (only FROM __THIS__)`);
    let cond: Expr | null = null;
    if (this.isWord('WHERE')) {
      this.pos++;
      cond = this.expr();
    }
    if (this.peek().kind !== 'end') this.refuse(`'${describe(this.peek())}' after the SELECT`);
    return { items, where: cond };
  }

  private identifier(): string {
    const t = this.peek();
    if (t.kind !== 'ident') this.refuse(`'${describe(t)}' where a name was expected`);
    this.pos++;
    return t.text;
  }

  expr(): Expr {
    return this.or();
  }

  private or(): Expr {
    let e = this.and();
    while (this.isWord('OR')) {
      this.pos++;
      e = { kind: 'binary', op: 'OR', left: e, right: this.and() };
    }
    return e;
  }

  private and(): Expr {
    let e = this.not();
    while (this.isWord('AND')) {
      this.pos++;
      e = { kind: 'binary', op: 'AND', left: e, right: this.not() };
    }
    return e;
  }

  private not(): Expr {
    if (this.isWord('NOT')) {
      this.pos++;
      return { kind: 'unary', op: 'NOT', arg: this.not() };
    }
    return this.comparison();
  }

  private comparison(): Expr {
    let e = this.additive();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && ['=', '==', '!=', '<>', '<', '<=', '>', '>='].includes(t.text)) {
        this.pos++;
        e = { kind: 'binary', op: t.text, left: e, right: this.additive() };
      } else if (this.isWord('IS')) {
        this.pos++;
        const negated = this.isWord('NOT');
        if (negated) this.pos++;
        this.expectWord('NULL');
        e = { kind: 'isnull', arg: e, negated };
      } else if (this.isWord('IN') || (this.isWord('NOT') && this.isWord('IN', this.toks[this.pos + 1]))) {
        const negated = this.isWord('NOT');
        this.pos += negated ? 2 : 1;
        this.expectOp('(');
        const list = [this.expr()];
        while (this.isOp(',')) {
          this.pos++;
          list.push(this.expr());
        }
        this.expectOp(')');
        e = { kind: 'in', arg: e, list, negated };
      } else return e;
    }
  }

  private additive(): Expr {
    let e = this.multiplicative();
    while (this.isOp('+') || this.isOp('-') || this.isOp('||')) {
      const op = (this.toks[this.pos++] as { text: string }).text;
      const right = this.multiplicative();
      e = op === '||' ? { kind: 'call', name: 'concat', args: [e, right] } : { kind: 'binary', op, left: e, right };
    }
    return e;
  }

  private multiplicative(): Expr {
    let e = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = (this.toks[this.pos++] as { text: string }).text;
      e = { kind: 'binary', op, left: e, right: this.unary() };
    }
    return e;
  }

  private unary(): Expr {
    if (this.isOp('-')) {
      this.pos++;
      const arg = this.unary();
      if (arg.kind === 'literal' && typeof arg.value === 'number') return { ...arg, value: -arg.value };
      return { kind: 'unary', op: '-', arg };
    }
    if (this.isOp('+')) {
      this.pos++;
      return this.unary();
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.peek();
    if (t.kind === 'number') {
      this.pos++;
      const text = t.text.replace(/[dDlL]$/, '');
      const isDouble = /[.eE]/.test(text) || /[dD]$/.test(t.text);
      const value = Number(text);
      const type: SqlType = isDouble ? 'double' : /[lL]$/.test(t.text) || Math.abs(value) > 2147483647 ? 'long' : 'int';
      return { kind: 'literal', value, type };
    }
    if (t.kind === 'string') {
      this.pos++;
      return { kind: 'literal', value: t.text, type: 'string' };
    }
    if (this.isOp('(')) {
      this.pos++;
      if (this.isWord('SELECT')) this.refuse('a subquery');
      const e = this.expr();
      this.expectOp(')');
      return e;
    }
    if (t.kind !== 'ident') this.refuse(`'${describe(t)}'`);
    if (!t.quoted) {
      const w = t.text.toUpperCase();
      if (w === 'NULL') return this.advance({ kind: 'literal', value: null, type: 'null' });
      if (w === 'TRUE' || w === 'FALSE') return this.advance({ kind: 'literal', value: w === 'TRUE', type: 'boolean' });
      if (w === 'CASE') return this.caseExpr();
      if (w === 'CAST') return this.cast();
      if (this.isOp('(', this.toks[this.pos + 1])) return this.call();
    }
    this.pos++;
    if (this.isOp('.')) this.refuse('a qualified column name');
    return { kind: 'column', name: t.text };
  }

  private advance(e: Expr): Expr {
    this.pos++;
    return e;
  }

  private caseExpr(): Expr {
    this.pos++;
    const subject = this.isWord('WHEN') ? null : this.expr();
    const branches: { when: Expr; then: Expr }[] = [];
    while (this.isWord('WHEN')) {
      this.pos++;
      const w = this.expr();
      this.expectWord('THEN');
      const then = this.expr();
      branches.push({ when: subject ? { kind: 'binary', op: '=', left: subject, right: w } : w, then });
    }
    if (branches.length === 0) this.refuse('CASE without WHEN');
    let otherwise: Expr | null = null;
    if (this.isWord('ELSE')) {
      this.pos++;
      otherwise = this.expr();
    }
    this.expectWord('END');
    return { kind: 'case', branches, otherwise };
  }

  private cast(): Expr {
    this.pos++;
    this.expectOp('(');
    const arg = this.expr();
    this.expectWord('AS');
    const typeText = this.identifier();
    const to = CAST_TYPES[typeText.toLowerCase()];
    if (!to) this.refuse(`CAST to ${typeText}`);
    this.expectOp(')');
    return { kind: 'cast', arg, to, typeText };
  }

  private call(): Expr {
    const name = this.identifier().toLowerCase();
    this.expectOp('(');
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      if (this.isWord('DISTINCT')) this.refuse(`${name}(DISTINCT ...)`);
      args.push(this.expr());
      while (this.isOp(',')) {
        this.pos++;
        args.push(this.expr());
      }
    }
    this.expectOp(')');
    if (this.isWord('OVER')) this.refuse('a window function');
    if (name === 'if') {
      if (args.length !== 3) this.refuse('IF without 3 arguments');
      return { kind: 'if', cond: args[0], then: args[1], otherwise: args[2] };
    }
    return { kind: 'call', name, args };
  }
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'end of statement' : t.text;
}
