import { MlflowError } from '../../../errors.js';

export type Token =
  | { kind: 'number'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'ident'; text: string; quoted: boolean }
  | { kind: 'op'; text: string }
  | { kind: 'end' };

const OPS = ['<=>', '==', '!=', '<>', '<=', '>=', '||', '(', ')', ',', '*', '+', '-', '/', '%', '=', '<', '>', '.'];

/** Splits a Spark SQL statement into tokens: numbers, 'strings' and "strings", identifiers, `quoted` names, operators. */
export function tokenize(sql: string, where: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDlL]?/.exec(sql.slice(i));
      if (!m) throw new MlflowError(`${where}: cannot read a number at offset ${i}`, 'NOT_IMPLEMENTED');
      out.push({ kind: 'number', text: m[0] });
      i += m[0].length;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let text = '';
      while (j < sql.length && sql[j] !== c) {
        if (sql[j] === '\\' && c !== '`' && j + 1 < sql.length) {
          text += sql[j + 1];
          j += 2;
        } else text += sql[j++];
      }
      if (j >= sql.length) throw new MlflowError(`${where}: unterminated ${c} at offset ${i}`, 'INVALID_PARAMETER_VALUE');
      out.push(c === '`' ? { kind: 'ident', text, quoted: true } : { kind: 'string', text });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i)) as RegExpExecArray;
      out.push({ kind: 'ident', text: m[0], quoted: false });
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => sql.startsWith(o, i));
    if (!op) throw new MlflowError(`${where}: the character '${c}' at offset ${i} is not supported natively`, 'NOT_IMPLEMENTED');
    out.push({ kind: 'op', text: op });
    i += op.length;
  }
  out.push({ kind: 'end' });
  return out;
}
