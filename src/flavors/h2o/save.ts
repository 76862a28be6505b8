import { copyFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../../errors.js';
import {
  CONDA_ENV_FILE, ColSpec, Model, ModelSignature, PYTHON_ENV_FILE, Schema, defaultPythonEnvironment, inferSchema,
  type ColType, type InputExample,
} from '../../model/index.js';
import { MOJO_POJO_FLAVOR } from './mojo-pojo-flavor.js';
import type { MojoMeta } from './mojo/mojo-model.js';
import { loadMojo } from './mojo/read-mojo.js';
import { classColumnNames } from './predict-frame.js';

export interface SaveH2OMojoOptions {
  /** The MOJO zip H2O wrote (download_mojo). */
  mojo: string;
  /** h2o-genmodel.jar, which h2o_mlflow_flavor's predict runs; without it only mlflow-ts can score the model. */
  genmodelJar?: string;
  inputExample?: InputExample;
  /** PredictCsv switches: --setConvertInvalidNum, --predictCalibrated. */
  extraPredictionArgs?: string[];
  pythonVersion?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Packages a MOJO as h2o_mlflow_flavor.save_model lays it out: the MOJO beside MLmodel, the
 * `h2o_mojo_pojo` flavor (model_file, model_type MOJO, extra_prediction_args, relevant_columns:
 * the MOJO's input columns, h2o_version from model.ini) and python_function with
 * loader_module h2o_mlflow_flavor. The signature comes from the MOJO's columns and domains:
 * categorical inputs are strings (longs when every level is an integer), numeric ones doubles,
 * except where the input example gives a column another type (so that a client sending what
 * the example holds is accepted); outputs are PredictCsv's columns.
 */
export async function saveH2OMojo(dir: string, options: SaveH2OMojoOptions): Promise<Model> {
  const src = path.resolve(options.mojo);
  const st = await stat(src).catch(() => undefined);
  if (!st?.isFile()) throw new MlflowError(`MOJO file ${src} does not exist (a MOJO zip is needed)`, 'RESOURCE_DOES_NOT_EXIST');
  const mojo = await loadMojo(src);
  const meta = mojo.meta;
  const file = path.basename(src);
  const relevant = relevantColumns(meta);
  const python = options.pythonVersion ?? '3.11.2';
  const exampleTypes = new Map<string, ColType>();
  if (options.inputExample !== undefined) {
    for (const spec of inferSchema(options.inputExample, 'input example').inputs) {
      if (spec instanceof ColSpec && spec.name !== undefined) exampleTypes.set(spec.name, spec.type);
    }
  }
  const model = new Model({ signature: mojoSignature(meta, relevant, exampleTypes), metadata: options.metadata });
  model.addFlavor('python_function', {
    code: null,
    env: { conda: CONDA_ENV_FILE, virtualenv: PYTHON_ENV_FILE },
    loader_module: 'h2o_mlflow_flavor',
    model_path: file,
    python_version: python,
  });
  model.addFlavor(MOJO_POJO_FLAVOR, {
    code: null,
    extra_prediction_args: options.extraPredictionArgs ?? [],
    h2o_version: meta.h2oVersion,
    model_file: file,
    model_type: 'MOJO',
    relevant_columns: relevant,
  });
  await model.save(dir, {
    inputExample: options.inputExample,
    environment: defaultPythonEnvironment(python, ['h2o_mlflow_flavor']),
    writeFiles: async (tmp) => {
      await copyFile(src, path.join(tmp, file));
      if (options.genmodelJar) await copyFile(path.resolve(options.genmodelJar), path.join(tmp, 'h2o-genmodel.jar'));
    },
  });
  return model;
}

/** The input columns, and the offset column, in model.ini's order (h2o_mlflow_flavor: names minus the response). */
function relevantColumns(meta: MojoMeta): string[] {
  const inputs = meta.columns.slice(0, meta.nfeatures);
  const offset = meta.offsetColumn;
  return offset !== undefined && !inputs.includes(offset) ? meta.columns.filter((c) => inputs.includes(c) || c === offset) : inputs;
}

function mojoSignature(meta: MojoMeta, relevant: readonly string[], exampleTypes: ReadonlyMap<string, ColType>): ModelSignature {
  const inputs = relevant.map((name) => {
    const fromExample = exampleTypes.get(name);
    if (fromExample !== undefined) return new ColSpec(fromExample, name);
    const levels = meta.domains[meta.columns.indexOf(name)];
    // levels that are all integers arrive as integers in pandas (and are written back as such)
    return new ColSpec(!levels ? 'double' : allIntegers(levels) ? 'long' : 'string', name);
  });
  let outputs: ColSpec[];
  switch (meta.category) {
    case 'Binomial':
    case 'Multinomial':
    case 'Ordinal': {
      const levels = meta.domains[meta.columns.length - 1] ?? [];
      outputs = [new ColSpec(allIntegers(levels) ? 'long' : 'string', 'predict'), ...classColumnNames(meta).map((n) => new ColSpec('double', n))];
      break;
    }
    case 'Regression':
      outputs = [new ColSpec('double', 'predict')];
      break;
    case 'Clustering':
      outputs = [new ColSpec('double', 'cluster')];
      break;
    case 'CoxPH':
      outputs = [new ColSpec('double', 'lp')];
      break;
    default:
      return new ModelSignature(new Schema(inputs));
  }
  return new ModelSignature(new Schema(inputs), new Schema(outputs));
}

function allIntegers(levels: readonly string[]): boolean {
  return levels.length > 0 && levels.every((l) => /^[+-]?\d+$/.test(l));
}
