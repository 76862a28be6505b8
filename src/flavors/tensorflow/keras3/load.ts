import * as tf from '../../../tfjs/tf.js';
import { MlflowError } from '../../../errors.js';
import { prepareTfjs } from '../custom-ops.js';
import { registerKerasLayers } from '../keras-layers.js';
import { setKerasOutputKeys } from '../keras-outputs.js';
import { readKerasArchive } from './archive.js';
import { translateKerasConfig } from './config.js';
import { registerKeras3Normalization } from './normalization.js';
import { assignKerasWeights } from './weights.js';

/**
 * Loads a Keras 3 `.keras` zip (config.json + model.weights.h5, as keras.saving.save_model
 * writes it; Keras 2.13+'s zips too) into a tfjs-layers model. Only Sequential and Functional
 * models of the supported layer classes load; everything else is refused at load time by name.
 */
export async function loadKerasArchive(file: string): Promise<tf.LayersModel> {
  prepareTfjs();
  registerKerasLayers();
  registerKeras3Normalization();
  const archive = await readKerasArchive(file);
  if (archive.kerasVersion !== undefined && !/^[23]\./.test(archive.kerasVersion)) {
    throw new MlflowError(`${file} was saved by Keras ${archive.kerasVersion}; only Keras 2.13+ and 3.x archives are supported natively`, 'NOT_IMPLEMENTED');
  }
  let translated: ReturnType<typeof translateKerasConfig>;
  try {
    translated = translateKerasConfig(archive.config, file);
  } catch (err) {
    if (err instanceof MlflowError) throw err;
    // e.g. a config nested deeper than the stack allows.
    throw new MlflowError(`${file}: config.json cannot be read: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
  }
  const { modelConfig, slots, outputKeys } = translated;
  const artifacts: tf.io.ModelArtifacts = {
    format: 'layers-model',
    modelTopology: { keras_version: archive.kerasVersion ?? '3', backend: 'tensorflow', model_config: modelConfig } as unknown as tf.io.ModelArtifacts['modelTopology'],
  };
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel({ load: () => Promise.resolve(artifacts) });
  } catch (err) {
    throw new MlflowError(`${file}: tfjs-layers cannot build this Keras model: ${(err as Error).message}`, 'NOT_IMPLEMENTED');
  }
  try {
    await assignKerasWeights(model, slots, archive.weights, file);
  } catch (err) {
    model.dispose();
    throw err;
  }
  setKerasOutputKeys(model, outputKeys);
  return model;
}
