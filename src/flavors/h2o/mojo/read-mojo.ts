import { MlflowError } from '../../../errors.js';
import { parseDomainFile } from './domains.js';
import { coxphReader } from './coxph.js';
import { deepLearningReader } from './deeplearning.js';
import { drfReader, gbmReader } from './gbm-drf.js';
import { glmReader } from './glm.js';
import { isolationForestReader } from './isolation-forest.js';
import { extendedIsolationForestReader } from './extended-isolation-forest.js';
import { kmeansReader } from './kmeans.js';
import { IniValues, parseModelIni } from './model-ini.js';
import type { ModelCategory, MojoMeta, MojoModel, MojoReader } from './mojo-model.js';
import { openMojo, type MojoSource } from './source.js';
import { stackedEnsembleReader } from './stacked-ensemble.js';
import { svmReader } from './svm.js';
import { xgboostReader } from './xgboost.js';

/** Readers by model.ini's `algo`. */
const READERS: Record<string, MojoReader> = {
  gbm: gbmReader,
  drf: drfReader,
  glm: glmReader,
  kmeans: kmeansReader,
  isolationforest: isolationForestReader,
  extendedisolationforest: extendedIsolationForestReader,
  stackedensemble: stackedEnsembleReader,
  deeplearning: deepLearningReader,
  svm: svmReader,
  xgboost: xgboostReader,
  coxph: coxphReader,
};

/** H2O algorithms with a MOJO that this reader does not score (named in refusals and the README). */
export const NOT_NATIVE_ALGOS = [
  'gam', 'word2vec', 'glrm', 'rulefit', 'targetencoder', 'pca',
  'isotonicregression', 'upliftdrf', 'klime', 'deepwater', 'psvm', 'anovaglm', 'modelselection', 'generic',
] as const;

export function supportedAlgorithms(): string[] {
  return Object.keys(READERS);
}

const CATEGORIES = new Set<string>([
  'Binomial', 'Multinomial', 'Ordinal', 'Regression', 'Clustering', 'AnomalyDetection', 'CoxPH', 'DimReduction',
  'AutoEncoder', 'WordEmbedding', 'TargetEncoder', 'KLime', 'BinomialUplift',
]);

/** Loads a MOJO zip, `.mojo` file or unzipped MOJO folder. */
export async function loadMojo(file: string): Promise<MojoModel> {
  return readMojo(await openMojo(file));
}

export function readMojo(src: MojoSource): MojoModel {
  if (!src.has('model.ini')) {
    throw new MlflowError(`${src.where} is not an H2O MOJO: it has no model.ini`, 'INVALID_PARAMETER_VALUE');
  }
  const parsed = parseModelIni(src.text('model.ini'), src.where);
  const ini = new IniValues(parsed.info, src.where);
  const algo = ini.str('algo', undefined) ?? algoFromName(ini.str('algorithm', ''));
  const reader = READERS[algo];
  if (!reader) {
    throw new MlflowError(
      `${src.where}: H2O ${algo === '' ? 'MOJO of unnamed algorithm' : `'${algo}' MOJO`} is not supported natively ` +
        `(natively scored: ${supportedAlgorithms().join(', ')}); use --runtime python`,
      'NOT_IMPLEMENTED',
    );
  }
  const endianness = ini.str('endianness', 'LITTLE_ENDIAN');
  if (endianness !== 'LITTLE_ENDIAN') throw new MlflowError(`${src.where}: ${endianness} MOJOs are not supported natively`, 'NOT_IMPLEMENTED');
  const mojoVersion = ini.num('mojo_version');
  if (mojoVersion > reader.maxVersion) {
    throw new MlflowError(
      `${src.where}: MOJO version incompatibility: this ${algo} MOJO has version ${mojoVersion.toFixed(2)}, ` +
        `the newest ${algo} MOJO version supported is ${reader.maxVersion.toFixed(2)}`,
      'NOT_IMPLEMENTED',
    );
  }
  const category = ini.str('category');
  if (!CATEGORIES.has(category)) throw new MlflowError(`${src.where}: unknown model category '${category}'`, 'INVALID_PARAMETER_VALUE');
  const domains: (string[] | null)[] = parsed.columns.map(() => null);
  for (const [col, { count, file }] of parsed.domainFiles) {
    if (col >= parsed.columns.length) continue;
    domains[col] = parseDomainFile(src.text(`domains/${file}`), count, `${src.where} domains/${file}`);
  }
  const meta: MojoMeta = {
    where: src.where,
    algo,
    category: category as ModelCategory,
    h2oVersion: ini.str('h2o_version', 'unknown'),
    mojoVersion,
    columns: parsed.columns,
    domains,
    supervised: ini.bool('supervised'),
    nfeatures: ini.num('n_features'),
    nclasses: ini.num('n_classes'),
    balanceClasses: ini.bool('balance_classes', false),
    defaultThreshold: ini.num('default_threshold', 0.5),
    priorClassDistrib: ini.nums('prior_class_distrib', undefined),
    modelClassDistrib: ini.nums('model_class_distrib', undefined),
    offsetColumn: ini.str('offset_column', undefined),
  };
  if (meta.nfeatures > meta.columns.length) {
    throw new MlflowError(`${src.where}: n_features ${meta.nfeatures} exceeds the ${meta.columns.length} columns`, 'INVALID_PARAMETER_VALUE');
  }
  return reader.read({ src, ini, meta, readNested: readMojo });
}

/** Old MOJOs without `algo`: the long name ModelMojoFactory keys on. */
function algoFromName(name: string): string {
  const byName: Record<string, string> = {
    'Gradient Boosting Machine': 'gbm',
    'Gradient Boosting Method': 'gbm',
    'Distributed Random Forest': 'drf',
    'Generalized Linear Model': 'glm',
    'Generalized Linear Modeling': 'glm',
    'K-means': 'kmeans',
    'Isolation Forest': 'isolationforest',
    'StackedEnsemble': 'stackedensemble',
    'Stacked Ensemble': 'stackedensemble',
  };
  return byName[name] ?? name.toLowerCase().replace(/[^a-z0-9]/g, '');
}
