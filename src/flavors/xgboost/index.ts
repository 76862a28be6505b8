export { FLAVOR_NAME, loadXGBoostFlavor } from './flavor.js';
