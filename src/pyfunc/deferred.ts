import type { LoadPredictorOptions, RuntimePlan } from './load-predictor.js';
import type { Prediction, Predictor } from './predictor.js';

/*
 * loadPredictor and planRuntime as the library's entry exports them: each loads its module on the
 * first call, so `import('mlflow-ts')` does not load the predictor, schema enforcement and input
 * conversion (start-up, issue #16). Same signatures and behaviour as load-predictor.ts's.
 */

/** See load-predictor.ts's loadPredictor: the model at `uri` as a Predictor. */
export async function loadPredictor<Out extends Prediction = Prediction>(uri: string, options: LoadPredictorOptions = {}): Promise<Predictor<Out>> {
  return (await import('./load-predictor.js')).loadPredictor<Out>(uri, options);
}

/** See load-predictor.ts's planRuntime: which flavor and runtime loadPredictor gives a model, and why. */
export async function planRuntime(uri: string, options: LoadPredictorOptions = {}): Promise<RuntimePlan> {
  return (await import('./load-predictor.js')).planRuntime(uri, options);
}
