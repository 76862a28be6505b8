import { registerFlavor } from '../registry.js';
import { FLAVOR_NAME, loadJsFunction } from './load.js';

registerFlavor({ name: FLAVOR_NAME, kind: 'js', loadPredictor: loadJsFunction });

export { FLAVOR_NAME, loadJsFunction, type JsFunctionLoader } from './load.js';
export { logModel, saveModel, type LogJsFunctionOptions, type SaveJsFunctionOptions } from './save.js';
