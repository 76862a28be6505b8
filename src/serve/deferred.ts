import type { ServedModelConfig } from './serve-config.js';
import type { ServeModelOptions } from './serve-model.js';
import type { BatchPredictOptions } from './batch-predict.js';
import type { Predictor } from '../pyfunc/predictor.js';

/*
 * serveModel and batchPredict as the library's entry exports them: each loads its module on the
 * first call, so `import('mlflow-ts')` does not load node:cluster, the worker pool, the batch
 * readers and writers (start-up, issue #16). Same signatures and behaviour as the modules' own.
 */

/** See serve-model.ts's serveModel (`mlflow-ts models serve`). */
export async function serveModel(models: string | readonly ServedModelConfig[], options: ServeModelOptions = {}): Promise<void> {
  return (await import('./serve-model.js')).serveModel(models, options);
}

/** See batch-predict.ts's batchPredict (`mlflow-ts models predict`). */
export async function batchPredict(predictor: Predictor, options: BatchPredictOptions): Promise<{ rows: number }> {
  return (await import('./batch-predict.js')).batchPredict(predictor, options);
}
