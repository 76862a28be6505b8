/**
 * flavors/tensorflow: MLflow's `tensorflow` flavor (and the `keras` flavor of MLflow 1.x and of
 * Keras 3) scored in Node with @tensorflow/tfjs. A SavedModel signature is converted to a tfjs
 * graph at load time (function calls inlined, variables frozen from the checkpoint, If/While
 * bodies carried over, unsupported ops and stateful signatures refused by name); Keras 2 HDF5
 * and Keras 3 `.keras` models are rebuilt with tfjs-layers.
 */
export { FLAVOR_NAME, KERAS_FLAVOR_NAME, loadTensorflowFlavor } from './flavor.js';
// The SavedModel converter itself (saved-model.ts, run-signature.ts) loads @tensorflow/tfjs, so it
// is not re-exported here: importing it is left to callers that need it.
export type { SavedModelOptions, SavedModelSignature } from './saved-model.js';
export type { SignatureTensor } from './freeze.js';
