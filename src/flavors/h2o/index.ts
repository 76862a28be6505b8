export { H2O_FLAVOR, H2O_URL_ENV, loadH2OFlavor } from './h2o-flavor.js';
export { MOJO_POJO_FLAVOR, loadMojoPojoFlavor } from './mojo-pojo-flavor.js';
export { saveH2OMojo, type SaveH2OMojoOptions } from './save.js';
export { loadMojo, NOT_NATIVE_ALGOS, supportedAlgorithms } from './mojo/read-mojo.js';
export type { MojoMeta, MojoModel } from './mojo/mojo-model.js';
export { predictFrame } from './predict-frame.js';
export type { PredictionArgs } from './prediction-args.js';
