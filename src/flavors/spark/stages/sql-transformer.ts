import { MlflowError } from '../../../errors.js';
import type { StageMetadata } from '../metadata.js';
import { makeStage, stageName, type Stage, type StageLoader } from '../stage.js';
import { Table, type SparkColumn } from '../table.js';
import { prettySql } from '../sql/ast.js';
import { compile } from '../sql/evaluate.js';
import { parseSelect } from '../sql/parse.js';

/**
 * SQLTransformer over a safe subset of Spark SQL, evaluated by our own interpreter (see
 * sql/parse.ts for what it takes). Selected columns keep their ML attributes, as Spark keeps a
 * column's metadata through a plain reference.
 */
function loadSQLTransformer(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const select = parseSelect(meta.params.string('statement'), where);
  return makeStage(meta, (t) => {
    let rows = t;
    if (select.where) {
      const cond = compile(select.where, t, where);
      const keep = new Uint8Array(t.numRows);
      for (let i = 0; i < t.numRows; i++) keep[i] = cond.eval(i) === true ? 1 : 0;
      rows = t.filter(keep);
    }
    const out = new Map<string, SparkColumn>();
    const add = (name: string, col: SparkColumn): void => {
      if (out.has(name)) throw new MlflowError(`${where}: the statement makes two columns named '${name}'`, 'NOT_IMPLEMENTED');
      out.set(name, col);
    };
    for (const item of select.items) {
      if (item.expr === '*') {
        for (const [name, col] of rows.columns) add(name, col);
        continue;
      }
      if (item.expr.kind === 'column') {
        add(item.alias ?? item.expr.name, rows.get(item.expr.name, where));
        continue;
      }
      const c = compile(item.expr, rows, where);
      const name = item.alias ?? prettySql(item.expr);
      const vals = Array.from({ length: rows.numRows }, (_, i) => c.eval(i));
      if (c.type === 'string' || c.type === 'null') add(name, { kind: 'string', values: vals.map((v) => (v === null ? null : String(v))) });
      else if (c.type === 'boolean') add(name, { kind: 'boolean', values: vals as (boolean | null)[] });
      else add(name, { kind: 'numeric', type: c.type, values: Float64Array.from(vals, (v) => (v === null ? NaN : (v as number))) });
    }
    return new Table(out, rows.numRows);
  });
}

export const sqlTransformerLoaders: Record<string, StageLoader> = {
  'org.apache.spark.ml.feature.SQLTransformer': loadSQLTransformer,
};
