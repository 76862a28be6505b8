export { FLAVOR_NAME, loadJsFunction, type JsFunctionLoader } from './load.js';
export { logModel, saveModel, type LogJsFunctionOptions, type SaveJsFunctionOptions } from './save.js';
