export { FLAVOR_NAME, loadPipeline, loadSparkFlavor, type SparkPipeline } from './flavor.js';
export { supportedStageClasses } from './pipeline.js';
export { refusedStages } from './stages/refused.js';
