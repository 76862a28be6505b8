import { MlflowError } from '../../errors.js';
import type { Params, StageMetadata } from './metadata.js';
import type { Table } from './table.js';

/** A fitted Spark ML transformer, as loaded: transform adds (or drops) columns as Spark's does. */
export interface Stage {
  readonly className: string;
  readonly uid: string;
  readonly params: Params;
  transform(table: Table): Table;
  /** The stages of a PipelineModel (or a tuning model's best model), for MLflow's wrapper. */
  readonly stages?: readonly Stage[];
}

/** Loads the stage saved in a directory (used by stages that nest others). */
export type LoadStage = (dir: string) => Promise<Stage>;

/** Builds one stage class from its metadata (and its data files). */
export type StageLoader = (meta: StageMetadata, loadStage: LoadStage) => Promise<Stage> | Stage;

export function makeStage(meta: StageMetadata, transform: (t: Table) => Table, stages?: readonly Stage[]): Stage {
  return { className: meta.className, uid: meta.uid, params: meta.params, transform, stages };
}

/** A stage's short name for messages: its uid (e.g. StringIndexer_b9ad7160cbab). */
export function stageName(meta: StageMetadata): string {
  return meta.uid || meta.className;
}

/**
 * The (input, output) column pairs of a stage that takes either inputCol/outputCol or
 * inputCols/outputCols (Spark 3's multi-column StringIndexer, OneHotEncoder, Bucketizer, Imputer).
 */
export function columnPairs(meta: StageMetadata): [string, string][] {
  const p = meta.params;
  if (p.isSet('inputCols')) {
    const ins = p.strings('inputCols');
    const outs = p.strings('outputCols');
    if (ins.length !== outs.length) {
      throw new MlflowError(`${p.where}: inputCols and outputCols differ in length`, 'INVALID_PARAMETER_VALUE');
    }
    return ins.map((c, i) => [c, outs[i]]);
  }
  return [[p.string('inputCol'), p.string('outputCol')]];
}

/** A param this implementation does not honour, refused by name when it is set to a non-default value. */
export function refuseParam(meta: StageMetadata, name: string, isDefault: (v: unknown) => boolean): void {
  const v = meta.params.get(name);
  if (v !== undefined && !isDefault(v)) {
    throw new MlflowError(`${meta.className}: param ${name}=${JSON.stringify(v)} is not supported natively`, 'NOT_IMPLEMENTED');
  }
}
