export { loadPredictor, planRuntime, type LoadPredictorOptions, type RuntimePlan } from './load-predictor.js';
export { makePredictor, type NamedTensors, type Prediction, type PredictOptions, type Predictor, type Records } from './predictor.js';
export { enforceSchema, schemaRepr } from './enforce-schema.js';
export { enforceOnce, markEnforced, RefusedInput } from './enforced-input.js';
export { enforceParams } from './enforce-params.js';
export { castToSchema, schemaReading } from './cast-to-schema.js';
