/**
 * flavors/tensorflow/keras3: Keras 3 `.keras` zip archives (and Keras 2.13+'s) rebuilt with
 * tfjs-layers: the config translated to the Keras 2 form tfjs reads, the weights mapped from
 * model.weights.h5 by saving_lib's layout.
 */
export { loadKerasArchive } from './load.js';
