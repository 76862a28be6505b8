/** The expressions of the SQLTransformer subset. */
export type Expr =
  | { kind: 'column'; name: string }
  | { kind: 'literal'; value: number | string | boolean | null; type: SqlType }
  | { kind: 'unary'; op: '-' | 'NOT'; arg: Expr }
  | { kind: 'binary'; op: string; left: Expr; right: Expr }
  | { kind: 'isnull'; arg: Expr; negated: boolean }
  | { kind: 'case'; branches: { when: Expr; then: Expr }[]; otherwise: Expr | null }
  | { kind: 'if'; cond: Expr; then: Expr; otherwise: Expr }
  | { kind: 'cast'; arg: Expr; to: SqlType; typeText: string }
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'in'; arg: Expr; list: Expr[]; negated: boolean };

export type SqlType = 'int' | 'long' | 'double' | 'string' | 'boolean' | 'null';

export interface SelectItem {
  readonly expr: Expr | '*';
  readonly alias: string | null;
}

export interface Select {
  readonly items: readonly SelectItem[];
  readonly where: Expr | null;
}

/**
 * The name Spark gives an unaliased expression (its pretty SQL): binary operations in
 * parentheses, `=` for equality, literals unquoted, functions lower case.
 */
export function prettySql(e: Expr): string {
  switch (e.kind) {
    case 'column':
      return e.name;
    case 'literal':
      return e.value === null ? 'NULL' : String(e.value);
    case 'unary':
      return e.op === '-' ? `(- ${prettySql(e.arg)})` : `(NOT ${prettySql(e.arg)})`;
    case 'binary':
      return `(${prettySql(e.left)} ${e.op === '==' ? '=' : e.op === '<>' ? '!=' : e.op} ${prettySql(e.right)})`;
    case 'isnull':
      return `(${prettySql(e.arg)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
    case 'case':
      return `CASE ${e.branches.map((b) => `WHEN ${prettySql(b.when)} THEN ${prettySql(b.then)}`).join(' ')}${e.otherwise ? ` ELSE ${prettySql(e.otherwise)}` : ''} END`;
    case 'if':
      return `(IF(${prettySql(e.cond)}, ${prettySql(e.then)}, ${prettySql(e.otherwise)}))`;
    case 'cast':
      return `CAST(${prettySql(e.arg)} AS ${e.typeText.toUpperCase()})`;
    case 'call':
      return `${e.name}(${e.args.map(prettySql).join(', ')})`;
    case 'in':
      return `(${prettySql(e.arg)}${e.negated ? ' NOT' : ''} IN (${e.list.map(prettySql).join(', ')}))`;
  }
}
