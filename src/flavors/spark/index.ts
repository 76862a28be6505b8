import { registerFlavor } from '../registry.js';
import { FLAVOR_NAME, loadSparkFlavor } from './flavor.js';

registerFlavor({ name: FLAVOR_NAME, kind: 'native', loadPredictor: loadSparkFlavor });

export { FLAVOR_NAME, loadPipeline, loadSparkFlavor, type SparkPipeline } from './flavor.js';
export { supportedStageClasses } from './pipeline.js';
export { refusedStages } from './stages/refused.js';
