import { open, readFile } from 'node:fs/promises';
import { MlflowError } from '../../errors.js';
import { isFrame } from '../../frame/frame.js';
import { flavorPath, parseYaml11, resolveInside } from '../../model/index.js';
import type { FlavorModel, LoadContext } from '../flavor.js';
import { H2OCluster } from './h2o-cluster.js';
import { mojoFlavorModel } from './mojo-pojo-flavor.js';
import { loadMojo } from './mojo/read-mojo.js';

/** MLflow's own flavor (mlflow.h2o): `data` names a folder holding h2o.yaml and the saved model. */
export const H2O_FLAVOR = 'h2o';
/** Where an H2O cluster is, when h2o.yaml does not say (h2o.init()'s default is localhost:54321). */
export const H2O_URL_ENV = 'MLFLOW_TS_H2O_URL';

interface H2OSettings {
  model_file?: unknown;
  init?: { url?: unknown; ip?: unknown; port?: unknown; https?: unknown } | null;
}

/**
 * Loads MLflow's `h2o` flavor. A MOJO zip in model.h2o is scored natively. An H2O binary model
 * can only be read by a running H2O cluster of the version that saved it: it is uploaded to the
 * cluster at MLFLOW_TS_H2O_URL, else h2o.yaml's init (url, or ip and port), else localhost:54321,
 * and each predict sends the table there and reads the predictions back.
 */
export async function loadH2OFlavor(ctx: LoadContext): Promise<FlavorModel> {
  const conf = { data: 'model.h2o', ...ctx.conf };
  const dataDir = flavorPath(ctx.modelDir, conf, H2O_FLAVOR, 'data');
  const yamlPath = resolveInside(dataDir, 'h2o.yaml', `flavors.${H2O_FLAVOR}.data`);
  let settings: H2OSettings;
  try {
    settings = (parseYaml11(await readFile(yamlPath, 'utf8'), yamlPath) ?? {}) as H2OSettings;
  } catch (err) {
    throw new MlflowError(`Cannot read ${yamlPath}: ${(err as Error).message}`, 'RESOURCE_DOES_NOT_EXIST');
  }
  if (typeof settings.model_file !== 'string') {
    throw new MlflowError(`${yamlPath}: model_file is missing or not a file name`, 'INVALID_PARAMETER_VALUE');
  }
  const modelFile = resolveInside(dataDir, settings.model_file, `${yamlPath} model_file`);
  if (await isMojoZip(modelFile)) return mojoFlavorModel(await loadMojo(modelFile), { convertInvalidNumbers: false, calibrated: false });

  const version = typeof ctx.conf.h2o_version === 'string' ? ctx.conf.h2o_version : '(unknown version)';
  const url = clusterUrl(settings);
  const noCluster = (): MlflowError =>
    new MlflowError(
      `this model holds an H2O binary model, which only an H2O ${version} cluster can read: start one and set ${H2O_URL_ENV}, or export a MOJO` +
        ` (no H2O cluster answered at ${url})`,
      'NOT_IMPLEMENTED',
    );
  const cluster = await H2OCluster.connect(url, noCluster);
  if (version !== '(unknown version)' && cluster.version !== version) {
    throw new MlflowError(
      `this model holds an H2O binary model saved by H2O ${version}; the cluster at ${url} runs H2O ${cluster.version}, which cannot read it: start an H2O ${version} cluster, or export a MOJO`,
      'INVALID_STATE',
    );
  }
  const modelKey = await cluster.uploadModel(modelFile);
  return {
    async predict(input) {
      if (!isFrame(input)) throw new MlflowError('An H2O model takes a table (a DataFrame of named columns), not a tensor', 'BAD_REQUEST');
      return cluster.predict(modelKey, input);
    },
    close: () => cluster.deleteModel(modelKey).catch(() => undefined),
  };
}

function clusterUrl(settings: H2OSettings): string {
  const env = process.env[H2O_URL_ENV];
  if (env) return env;
  const init = settings.init ?? {};
  if (typeof init.url === 'string') return init.url;
  const scheme = init.https === true ? 'https' : 'http';
  const ip = typeof init.ip === 'string' ? init.ip : 'localhost';
  const port = typeof init.port === 'number' || typeof init.port === 'string' ? String(init.port) : '54321';
  return `${scheme}://${ip}:${port}`;
}

/** A MOJO is a zip with model.ini; H2O's binary models are not zips. */
async function isMojoZip(file: string): Promise<boolean> {
  const fh = await open(file, 'r').catch((err: unknown) => {
    throw new MlflowError(`Cannot read H2O model file ${file}: ${(err as Error).message}`, 'RESOURCE_DOES_NOT_EXIST');
  });
  try {
    const head = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  } finally {
    await fh.close();
  }
}
