import path from 'node:path';
import type * as tf from '../../tfjs/tf.js';
import { importOptional } from '../../optional-packages.js';
import { Model, type InputExample, type ModelSignature } from '../../model/index.js';
import { FLAVOR_NAME } from './load.js';

export interface SaveTfjsOptions {
  signature?: ModelSignature;
  inputExample?: InputExample;
  metadata?: Record<string, unknown>;
}

const MODEL_DIR = 'model';

/**
 * Saves a TensorFlow.js LayersModel (trained in Node, say) as an MLflow model: `model/` holds
 * model.json + weights as tfjs writes them, and MLmodel a `tfjs` flavor. There is no
 * `python_function` flavor: Python MLflow reads the MLmodel but cannot score the model.
 */
export async function saveModel(model: tf.LayersModel, dir: string, options: SaveTfjsOptions = {}): Promise<Model> {
  const tfjs = await importOptional(() => import('../../tfjs/tf.js'));
  const { writeTfjsArtifacts } = await import('./artifacts.js');
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tfjs.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
  }));
  const mlmodel = new Model({ signature: options.signature, metadata: options.metadata }).addFlavor(FLAVOR_NAME, {
    model_dir: MODEL_DIR,
    model_format: 'layers-model',
    tfjs_version: tfjs.version['tfjs-core'],
  });
  await mlmodel.save(dir, {
    inputExample: options.inputExample,
    writeFiles: async (tmp) => {
      if (artifacts) await writeTfjsArtifacts(path.join(tmp, MODEL_DIR), artifacts);
    },
  });
  return mlmodel;
}
