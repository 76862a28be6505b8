export { FLAVOR_NAME, loadLightGBMFlavor } from './flavor.js';
