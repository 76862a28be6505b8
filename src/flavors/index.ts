/**
 * Registers every built-in flavor. Each is registered by name and kind with a loader that imports
 * the flavor's code on first use, so importing mlflow-ts (and every CLI command) does not pay for
 * the pickle reader, the Spark stages, the H2O MOJO reader... of models it never loads. A flavor's
 * own API (saveModel and the like) is its folder's index.ts, the `mlflow-ts/flavors/<name>` subpath.
 */
import type { Flavor, FlavorModel, LoadContext } from './flavor.js';
import { registerFlavor } from './registry.js';

function builtIn(name: string, kind: Flavor['kind'], load: (ctx: LoadContext) => Promise<FlavorModel>): void {
  registerFlavor({ name, kind, loadPredictor: load });
}

builtIn('js_function', 'js', async (ctx) => (await import('./js_function/load.js')).loadJsFunction(ctx));
builtIn('lightgbm', 'native', async (ctx) => (await import('./lightgbm/flavor.js')).loadLightGBMFlavor(ctx));
builtIn('onnx', 'native', async (ctx) => (await import('./onnx/flavor.js')).loadOnnxFlavor(ctx));
builtIn('python_function', 'python', async (ctx) => (await import('./python_function/load.js')).loadPythonFunction(ctx));
builtIn('h2o_mojo_pojo', 'native', async (ctx) => (await import('./h2o/mojo-pojo-flavor.js')).loadMojoPojoFlavor(ctx));
builtIn('h2o', 'native', async (ctx) => (await import('./h2o/h2o-flavor.js')).loadH2OFlavor(ctx));
builtIn('sklearn', 'native', async (ctx) => (await import('./sklearn/flavor.js')).loadSklearnFlavor(ctx));
builtIn('tensorflow', 'native', async (ctx) => (await import('./tensorflow/flavor.js')).loadTensorflowFlavor(ctx));
builtIn('keras', 'native', async (ctx) => (await import('./tensorflow/flavor.js')).loadTensorflowFlavor(ctx));
builtIn('tfjs', 'native', async (ctx) => (await import('./tfjs/load.js')).loadTfjsFlavor(ctx));
builtIn('spark', 'native', async (ctx) => (await import('./spark/flavor.js')).loadSparkFlavor(ctx));
builtIn('xgboost', 'native', async (ctx) => (await import('./xgboost/flavor.js')).loadXGBoostFlavor(ctx));
