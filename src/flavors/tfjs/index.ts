/**
 * flavors/tfjs: TensorFlow.js models (model.json + weights) as MLflow models, saved from Node
 * and scored natively. Not an MLflow (Python) flavor: it exists so that models trained with tfjs
 * travel through MLflow's tracking, registry and serving like any other.
 */
export { FLAVOR_NAME, loadTfjsFlavor } from './load.js';
export { saveModel, type SaveTfjsOptions } from './save.js';
