import { MlflowError } from '../../../errors.js';
import { dense, toArray } from '../linalg.js';
import type { StageMetadata } from '../metadata.js';
import { makeStage, refuseParam, stageName, type Stage, type StageLoader } from '../stage.js';
import { numericValues, vectorColumn, vectorValues, type SparkColumn } from '../table.js';
import { valuesAsStrings } from './string-indexer.js';

/**
 * jpmml-sparkml's own transformers, which some pipelines exported for PMML carry. They hold
 * params only. Domain models declare the valid values of their columns: a missing value is kept
 * (asIs) or replaced (asValue); an invalid one is refused (returnInvalid), kept (asIs) or made
 * missing (asMissing); outliers of a continuous domain are kept, made missing or clamped.
 */
function domainSettings(meta: StageMetadata): { missing: string; invalid: string; replacement: unknown; missingValues: unknown[] } {
  const p = meta.params;
  const missing = p.choice('missingValueTreatment', ['asIs', 'asValue', 'returnInvalid'], 'asIs');
  const invalid = p.choice('invalidValueTreatment', ['returnInvalid', 'asIs', 'asMissing'], 'returnInvalid');
  const missingValues = (p.get('missingValues') as unknown[] | undefined) ?? [];
  return { missing, invalid, replacement: p.get('missingValueReplacement'), missingValues };
}

function pairs(meta: StageMetadata): [string, string][] {
  const ins = meta.params.strings('inputCols');
  const outs = meta.params.strings('outputCols');
  return ins.map((c, i) => [c, outs[i]]);
}

function loadCategoricalDomain(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const s = domainSettings(meta);
  const dataValues = (meta.params.get('dataValues') ?? {}) as Record<string, unknown[]>;
  const missingSet = new Set(s.missingValues.map(String));
  return makeStage(meta, (t) =>
    t.with(
      pairs(meta).map(([inCol, outCol]): [string, SparkColumn] => {
        const col = t.get(inCol, where);
        const valid = Object.hasOwn(dataValues, inCol) ? new Set(dataValues[inCol].map(String)) : null;
        const strs = valuesAsStrings(col, inCol, where);
        const out = strs.map((v, i): string | null => {
          let missing = v === null || missingSet.has(v);
          if (!missing && valid !== null && !valid.has(v as string)) {
            if (s.invalid === 'returnInvalid') throw new MlflowError(`${where}: column '${inCol}' holds a value outside its domain in row ${i}`, 'BAD_REQUEST');
            if (s.invalid === 'asMissing') missing = true;
          }
          if (!missing) return v;
          if (s.missing === 'returnInvalid') throw new MlflowError(`${where}: column '${inCol}' is missing in row ${i}`, 'BAD_REQUEST');
          return s.missing === 'asValue' && s.replacement !== null && s.replacement !== undefined ? String(s.replacement) : null;
        });
        if (col.kind === 'string') return [outCol, { kind: 'string', values: out }];
        if (col.kind === 'numeric') return [outCol, { ...col, values: Float64Array.from(out, (v) => (v === null ? NaN : Number(v))) }];
        return [outCol, { kind: 'boolean', values: out.map((v) => (v === null ? null : v === 'true')) }];
      }),
    ),
  );
}

function loadContinuousDomain(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const s = domainSettings(meta);
  const p = meta.params;
  const outlier = p.choice('outlierTreatment', ['asIs', 'asMissingValues', 'asExtremeValues'], 'asIs');
  const ranges = (p.get('dataRanges') ?? {}) as Record<string, number[]>;
  const low = p.get('lowValue');
  const high = p.get('highValue');
  const missingSet = new Set(s.missingValues.map(Number));
  const replacement = s.replacement === null || s.replacement === undefined ? NaN : Number(s.replacement);
  return makeStage(meta, (t) =>
    t.with(
      pairs(meta).map(([inCol, outCol]): [string, SparkColumn] => {
        const col = t.get(inCol, where);
        const x = numericValues(col, inCol, where);
        const range = Object.hasOwn(ranges, inCol) ? ranges[inCol] : null;
        const lo = typeof low === 'number' ? low : range?.[0] ?? -Infinity;
        const hi = typeof high === 'number' ? high : range?.[1] ?? Infinity;
        const out = x.map((v, i) => {
          let missing = Number.isNaN(v) || missingSet.has(v);
          if (!missing && (v < lo || v > hi)) {
            if (outlier === 'asMissingValues') missing = true;
            else if (outlier === 'asExtremeValues') return v < lo ? lo : hi;
          }
          if (!missing) return v;
          if (s.missing === 'returnInvalid') throw new MlflowError(`${where}: column '${inCol}' is missing in row ${i}`, 'BAD_REQUEST');
          return s.missing === 'asValue' ? replacement : NaN;
        });
        return [outCol, { kind: 'numeric', type: col.kind === 'numeric' ? col.type : 'double', values: out }];
      }),
    ),
  );
}

/** VectorDisassembler: one double column per vector element. */
function loadVectorDisassembler(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const inCol = meta.params.string('inputCol');
  const outCols = meta.params.strings('outputCols');
  return makeStage(meta, (t) => {
    const vals = vectorValues(t.get(inCol, where), inCol, where);
    const arrays = vals.map((v) => (v === null ? null : toArray(v)));
    return t.with(outCols.map((name, k): [string, SparkColumn] => [name, { kind: 'numeric', type: 'double', values: Float64Array.from(arrays, (a) => (a === null ? NaN : a[k])) }]));
  });
}

/** VectorDensifier: each vector in dense form (values unchanged). */
function loadVectorDensifier(meta: StageMetadata): Stage {
  const where = stageName(meta);
  const inCol = meta.params.string('inputCol');
  const outCol = meta.params.string('outputCol');
  return makeStage(meta, (t) => {
    const col = t.get(inCol, where);
    const vals = vectorValues(col, inCol, where);
    return t.with([[outCol, vectorColumn(vals.map((v) => (v === null ? null : dense(toArray(v)))), col.kind === 'vector' ? col.attrs : undefined)]]);
  });
}

/**
 * InvalidCategoryTransformer: a StringIndexer's "__unknown" index (handleInvalid=keep) becomes
 * NaN, a missing value for the booster that follows; the other indices pass.
 */
function loadInvalidCategoryTransformer(meta: StageMetadata): Stage {
  const where = stageName(meta);
  return makeStage(meta, (t) =>
    t.with(
      pairs(meta).map(([inCol, outCol]): [string, SparkColumn] => {
        const col = t.get(inCol, where);
        const x = numericValues(col, inCol, where);
        const attr = col.kind === 'numeric' ? col.attr : undefined;
        const values = attr?.kind === 'nominal' ? attr.values : undefined;
        if (!values || values[values.length - 1] !== '__unknown') {
          throw new MlflowError(`${where}: column '${inCol}' is not the output of a StringIndexer with handleInvalid=keep`, 'BAD_REQUEST');
        }
        const unknown = values.length - 1;
        const kept = values.slice(0, unknown);
        return [outCol, { kind: 'numeric', type: 'double', values: x.map((v) => (v === unknown ? NaN : v)), attr: { kind: 'nominal', name: outCol, values: kept, numValues: kept.length } }];
      }),
    ),
  );
}

function checked(loader: (meta: StageMetadata) => Stage): StageLoader {
  return (meta) => {
    refuseParam(meta, 'withData', (v) => v === true);
    return loader(meta);
  };
}

export const jpmmlLoaders: Record<string, StageLoader> = {
  'org.jpmml.sparkml.feature.CategoricalDomainModel': checked(loadCategoricalDomain),
  'org.jpmml.sparkml.feature.ContinuousDomainModel': checked(loadContinuousDomain),
  'org.jpmml.sparkml.feature.VectorDisassembler': loadVectorDisassembler,
  'org.jpmml.sparkml.feature.VectorDensifier': loadVectorDensifier,
  'org.jpmml.sparkml.feature.InvalidCategoryTransformer': loadInvalidCategoryTransformer,
};
