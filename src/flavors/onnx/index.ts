export { FLAVOR_NAME, loadOnnxFlavor } from './flavor.js';
export { saveModel, ONNX_MODEL_FILE, type SaveOnnxOptions } from './save.js';
