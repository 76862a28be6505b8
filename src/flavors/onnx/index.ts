import { registerFlavor } from '../registry.js';
import { FLAVOR_NAME, loadOnnxFlavor } from './flavor.js';

registerFlavor({ name: FLAVOR_NAME, kind: 'native', loadPredictor: loadOnnxFlavor });

export { FLAVOR_NAME, loadOnnxFlavor } from './flavor.js';
export { saveModel, ONNX_MODEL_FILE, type SaveOnnxOptions } from './save.js';
