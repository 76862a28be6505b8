import { registerFlavor } from '../registry.js';
import { FLAVOR_NAME, loadXGBoostFlavor } from './flavor.js';

registerFlavor({ name: FLAVOR_NAME, kind: 'native', loadPredictor: loadXGBoostFlavor });

export { FLAVOR_NAME, loadXGBoostFlavor } from './flavor.js';
