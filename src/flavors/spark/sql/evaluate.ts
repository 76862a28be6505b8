import { MlflowError } from '../../../errors.js';
import { javaDoubleToString } from '../java-format.js';
import type { SparkColumn, Table } from '../table.js';
import type { Expr, SqlType } from './ast.js';

export type Value = number | string | boolean | null;

/** An expression compiled against a table: its Spark result type and a per-row evaluator. */
export interface Compiled {
  readonly type: SqlType;
  eval(row: number): Value;
}

const NUMERIC_RANK: Record<string, number> = { int: 1, long: 2, double: 3 };

function widest(types: SqlType[], where: string): SqlType {
  const known = types.filter((t) => t !== 'null');
  if (known.length === 0) return 'null';
  if (known.includes('string')) return 'string';
  if (known.every((t) => t === 'boolean')) return 'boolean';
  if (known.includes('boolean')) throw new MlflowError(`${where}: cannot mix boolean and numeric branches`, 'NOT_IMPLEMENTED');
  return known.reduce((a, b) => (NUMERIC_RANK[a] >= NUMERIC_RANK[b] ? a : b));
}

function toDouble(v: Value): number | null {
  if (v === null) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const s = v.trim();
  if (s === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?$|^[+-]?(Infinity|NaN)$/.test(s)) return null;
  return Number(s.replace(/[dDfF]$/, ''));
}

/** A value as Spark casts it to string. */
export function castToString(v: Value, type: SqlType): string | null {
  if (v === null) return null;
  if (typeof v === 'number') return type === 'double' ? javaDoubleToString(v) : String(v);
  return String(v);
}

function castTo(v: Value, from: SqlType, to: SqlType): Value {
  if (v === null) return null;
  switch (to) {
    case 'string':
      return castToString(v, from);
    case 'double':
      return toDouble(v);
    case 'int':
    case 'long': {
      const d = toDouble(typeof v === 'string' && !/^[+-]?\d+$/.test(v.trim()) ? null : v);
      if (d === null) return null;
      return Number.isNaN(d) ? 0 : Math.trunc(d);
    }
    case 'boolean':
      if (typeof v === 'string') {
        const s = v.trim().toLowerCase();
        return ['t', 'true', 'y', 'yes', '1'].includes(s) ? true : ['f', 'false', 'n', 'no', '0'].includes(s) ? false : null;
      }
      return typeof v === 'number' ? v !== 0 : v;
    default:
      return null;
  }
}

function columnType(col: SparkColumn, name: string, where: string): SqlType {
  if (col.kind === 'numeric') return col.type === 'double' || col.type === 'float' ? 'double' : col.type === 'long' ? 'long' : 'int';
  if (col.kind === 'string') return 'string';
  if (col.kind === 'boolean') return 'boolean';
  throw new MlflowError(`${where}: column '${name}' of type ${col.kind} can only be selected as is, not used in an expression`, 'NOT_IMPLEMENTED');
}

function compare(a: Value, b: Value, ta: SqlType, tb: SqlType): number | null {
  if (a === null || b === null) return null;
  if (ta === 'string' && tb === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const x = toDouble(a);
  const y = toDouble(b);
  if (x === null || y === null) return null;
  // Spark orders NaN above every number and equal to itself
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y) ? 0 : Number.isNaN(x) ? 1 : -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

type Fn = (args: Compiled[], where: string) => Compiled;

const math1 = (f: (x: number) => number, type: SqlType = 'double'): Fn => (args, where) => {
  arity(args, 1, where);
  return { type, eval: (r) => {
    const x = toDouble(args[0].eval(r));
    return x === null ? null : f(x);
  } };
};

function arity(args: Compiled[], n: number, where: string): void {
  if (args.length !== n) throw new MlflowError(`${where}: a function call has ${args.length} arguments, expected ${n}`, 'INVALID_PARAMETER_VALUE');
}

const str1 = (f: (s: string) => Value, type: SqlType = 'string'): Fn => (args, where) => {
  arity(args, 1, where);
  return { type, eval: (r) => {
    const s = castToString(args[0].eval(r), args[0].type);
    return s === null ? null : f(s);
  } };
};

/** Spark's ROUND (HALF_UP on the decimal value). */
function roundHalfUp(x: number, d: number): number {
  if (!Number.isFinite(x)) return x;
  const s = Number(`${Math.abs(x)}e${d}`);
  const r = Math.round(s);
  return Math.sign(x) * Number(`${r}e${-d}`);
}

const FUNCTIONS: Record<string, Fn> = {
  concat: (args) => ({ type: 'string', eval: (r) => {
    let out = '';
    for (const a of args) {
      const s = castToString(a.eval(r), a.type);
      if (s === null) return null;
      out += s;
    }
    return out;
  } }),
  upper: str1((s) => s.toUpperCase()),
  lower: str1((s) => s.toLowerCase()),
  trim: str1((s) => s.replace(/^ +| +$/g, '')),
  ltrim: str1((s) => s.replace(/^ +/, '')),
  rtrim: str1((s) => s.replace(/ +$/, '')),
  length: str1((s) => [...s].length, 'int'),
  abs: (args, where) => {
    arity(args, 1, where);
    return { type: args[0].type === 'string' ? 'double' : args[0].type, eval: (r) => {
      const x = toDouble(args[0].eval(r));
      return x === null ? null : Math.abs(x);
    } };
  },
  sqrt: math1(Math.sqrt),
  exp: math1(Math.exp),
  ln: math1((x) => (x <= 0 ? NaN : Math.log(x))),
  log10: math1((x) => (x <= 0 ? NaN : Math.log10(x))),
  log2: math1((x) => (x <= 0 ? NaN : Math.log2(x))),
  log1p: math1(Math.log1p),
  expm1: math1(Math.expm1),
  signum: math1(Math.sign),
  sign: math1(Math.sign),
  floor: math1(Math.floor, 'long'),
  ceil: math1(Math.ceil, 'long'),
  ceiling: math1(Math.ceil, 'long'),
  log: (args, where) => {
    if (args.length === 1) return (FUNCTIONS.ln as Fn)(args, where);
    arity(args, 2, where);
    return { type: 'double', eval: (r) => {
      const b = toDouble(args[0].eval(r));
      const x = toDouble(args[1].eval(r));
      return b === null || x === null ? null : b <= 0 || x <= 0 ? null : Math.log(x) / Math.log(b);
    } };
  },
  pow: (args, where) => {
    arity(args, 2, where);
    return { type: 'double', eval: (r) => {
      const a = toDouble(args[0].eval(r));
      const b = toDouble(args[1].eval(r));
      return a === null || b === null ? null : Math.pow(a, b);
    } };
  },
  round: (args, where) => {
    if (args.length !== 1 && args.length !== 2) arity(args, 2, where);
    return { type: args[0].type === 'string' ? 'double' : args[0].type, eval: (r) => {
      const x = toDouble(args[0].eval(r));
      const d = args.length === 2 ? toDouble(args[1].eval(r)) : 0;
      return x === null || d === null ? null : roundHalfUp(x, d);
    } };
  },
  coalesce: (args, where) => {
    const type = widest(args.map((a) => a.type), where);
    return { type, eval: (r) => {
      for (const a of args) {
        const v = a.eval(r);
        if (v !== null) return castTo(v, a.type, type);
      }
      return null;
    } };
  },
  isnull: (args, where) => {
    arity(args, 1, where);
    return { type: 'boolean', eval: (r) => args[0].eval(r) === null };
  },
  isnotnull: (args, where) => {
    arity(args, 1, where);
    return { type: 'boolean', eval: (r) => args[0].eval(r) !== null };
  },
  greatest: (args, where) => extremum(args, where, 1),
  least: (args, where) => extremum(args, where, -1),
  substring: (args, where) => {
    if (args.length !== 2 && args.length !== 3) arity(args, 3, where);
    return { type: 'string', eval: (r) => {
      const s = castToString(args[0].eval(r), args[0].type);
      const pos = toDouble(args[1].eval(r));
      const len = args.length === 3 ? toDouble(args[2].eval(r)) : Infinity;
      if (s === null || pos === null || len === null) return null;
      const chars = [...s];
      const start = pos > 0 ? pos - 1 : pos < 0 ? Math.max(chars.length + pos, 0) : 0;
      return chars.slice(start, start + Math.max(len, 0)).join('');
    } };
  },
};
FUNCTIONS.power = FUNCTIONS.pow;
FUNCTIONS.nvl = FUNCTIONS.coalesce;
FUNCTIONS.substr = FUNCTIONS.substring;

function extremum(args: Compiled[], where: string, sign: number): Compiled {
  const type = widest(args.map((a) => a.type), where);
  return { type, eval: (r) => {
    let best: Value = null;
    for (const a of args) {
      const v = castTo(a.eval(r), a.type, type);
      if (v === null) continue;
      const c = best === null ? 1 : compare(v, best, type, type);
      if (best === null || (c !== null && c * sign > 0)) best = v;
    }
    return best;
  } };
}

function arithmetic(op: string, l: Compiled, r: Compiled): Compiled {
  const num = (t: SqlType): SqlType => (t === 'string' || t === 'boolean' ? 'double' : t);
  const lt = num(l.type);
  const rt = num(r.type);
  const type: SqlType = op === '/' ? 'double' : widest([lt, rt], '');
  const integral = type === 'int' || type === 'long';
  return { type, eval: (row) => {
    const a = toDouble(l.eval(row));
    const b = toDouble(r.eval(row));
    if (a === null || b === null) return null;
    switch (op) {
      case '+': return integral && type === 'int' ? (a + b) | 0 : a + b;
      case '-': return integral && type === 'int' ? (a - b) | 0 : a - b;
      case '*': return integral && type === 'int' ? Math.imul(a, b) : a * b;
      case '/': return b === 0 ? null : a / b;
      default: return b === 0 ? null : integral ? a % b : a % b;
    }
  } };
}

/** Compiles an expression against the table's columns (unknown columns are a 400 naming them). */
export function compile(e: Expr, t: Table, where: string): Compiled {
  switch (e.kind) {
    case 'column': {
      const col = t.get(e.name, where);
      const type = columnType(col, e.name, where);
      if (col.kind === 'numeric') {
        const vals = col.values;
        const integral = type !== 'double';
        return { type, eval: (r) => (integral && Number.isNaN(vals[r]) ? null : vals[r]) };
      }
      const vals = col.values as readonly (string | boolean | null)[];
      return { type, eval: (r) => vals[r] };
    }
    case 'literal':
      return { type: e.type, eval: () => e.value };
    case 'unary': {
      const a = compile(e.arg, t, where);
      if (e.op === 'NOT') return { type: 'boolean', eval: (r) => {
        const v = castTo(a.eval(r), a.type, 'boolean');
        return v === null ? null : !v;
      } };
      const type = a.type === 'string' || a.type === 'boolean' ? 'double' : a.type;
      return { type, eval: (r) => {
        const v = toDouble(a.eval(r));
        return v === null ? null : -v;
      } };
    }
    case 'binary': {
      const l = compile(e.left, t, where);
      const r = compile(e.right, t, where);
      if (e.op === 'AND' || e.op === 'OR') {
        const and = e.op === 'AND';
        return { type: 'boolean', eval: (row) => {
          const a = castTo(l.eval(row), l.type, 'boolean');
          if (a === !and) return !and;
          const b = castTo(r.eval(row), r.type, 'boolean');
          if (b === !and) return !and;
          return a === null || b === null ? null : and;
        } };
      }
      if (['+', '-', '*', '/', '%'].includes(e.op)) return arithmetic(e.op, l, r);
      const test: Record<string, (c: number) => boolean> = {
        '=': (c) => c === 0, '==': (c) => c === 0, '!=': (c) => c !== 0, '<>': (c) => c !== 0,
        '<': (c) => c < 0, '<=': (c) => c <= 0, '>': (c) => c > 0, '>=': (c) => c >= 0,
      };
      const f = test[e.op];
      return { type: 'boolean', eval: (row) => {
        const c = compare(l.eval(row), r.eval(row), l.type, r.type);
        return c === null ? null : f(c);
      } };
    }
    case 'isnull': {
      const a = compile(e.arg, t, where);
      return { type: 'boolean', eval: (r) => (a.eval(r) === null) !== e.negated };
    }
    case 'in': {
      const a = compile(e.arg, t, where);
      const list = e.list.map((x) => compile(x, t, where));
      return { type: 'boolean', eval: (r) => {
        const v = a.eval(r);
        if (v === null) return null;
        let sawNull = false;
        for (const x of list) {
          const c = compare(v, x.eval(r), a.type, x.type);
          if (c === 0) return !e.negated;
          if (c === null) sawNull = true;
        }
        return sawNull ? null : e.negated;
      } };
    }
    case 'if':
      return conditional([{ when: e.cond, then: e.then }], e.otherwise, t, where);
    case 'case':
      return conditional(e.branches, e.otherwise, t, where);
    case 'cast': {
      const a = compile(e.arg, t, where);
      return { type: e.to, eval: (r) => castTo(a.eval(r), a.type, e.to) };
    }
    case 'call': {
      const f = Object.hasOwn(FUNCTIONS, e.name) ? FUNCTIONS[e.name] : undefined;
      if (!f) throw new MlflowError(`${where}: the SQL function ${e.name} is not supported natively`, 'NOT_IMPLEMENTED');
      return f(e.args.map((a) => compile(a, t, where)), where);
    }
  }
}

function conditional(branches: { when: Expr; then: Expr }[], otherwise: Expr | null, t: Table, where: string): Compiled {
  const conds = branches.map((b) => compile(b.when, t, where));
  const thens = branches.map((b) => compile(b.then, t, where));
  const other = otherwise ? compile(otherwise, t, where) : null;
  const type = widest([...thens.map((x) => x.type), other?.type ?? 'null'], where);
  return { type, eval: (r) => {
    for (let k = 0; k < conds.length; k++) {
      if (castTo(conds[k].eval(r), conds[k].type, 'boolean') === true) return castTo(thens[k].eval(r), thens[k].type, type);
    }
    return other ? castTo(other.eval(r), other.type, type) : null;
  } };
}
