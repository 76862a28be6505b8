import { registerFlavor } from '../registry.js';
import { FLAVOR_NAME, loadLightGBMFlavor } from './flavor.js';

registerFlavor({ name: FLAVOR_NAME, kind: 'native', loadPredictor: loadLightGBMFlavor });

export { FLAVOR_NAME, loadLightGBMFlavor } from './flavor.js';
