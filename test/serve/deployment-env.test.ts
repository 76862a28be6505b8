import { describe, expect, it } from 'vitest';
import { Model } from '../../src/model/index.js';
import { checkDeploymentFlavor } from '../../src/serve/deployment-flavor.js';
import { servingModelConfig } from '../../src/serve/serving-model-config.js';

// The variables MLflow's serving container and scoring app read: MLFLOW_DEPLOYMENT_FLAVOR_NAME
// (mlflow/models/container/__init__.py _serve) and SERVING_MODEL_CONFIG (scoring_server/app.py).
const pyfunc = new Model({ flavors: { python_function: { loader_module: 'mlflow.sklearn' }, sklearn: {} } });
const jsOnly = new Model({ flavors: { js_function: { code: 'code' } } });

describe('MLFLOW_DEPLOYMENT_FLAVOR_NAME', () => {
  it('unset or python_function on a pyfunc model serves it', () => {
    expect(() => checkDeploymentFlavor(pyfunc, {})).not.toThrow();
    expect(() => checkDeploymentFlavor(pyfunc, { MLFLOW_DEPLOYMENT_FLAVOR_NAME: 'python_function' })).not.toThrow();
    expect(() => checkDeploymentFlavor(jsOnly, {})).not.toThrow();
  });

  it('mleap (or any other flavor) is refused, and python_function on a model without it', () => {
    expect(() => checkDeploymentFlavor(pyfunc, { MLFLOW_DEPLOYMENT_FLAVOR_NAME: 'mleap' })).toThrow(/='mleap': mlflow-ts serves the python_function flavor only/);
    expect(() => checkDeploymentFlavor(jsOnly, { MLFLOW_DEPLOYMENT_FLAVOR_NAME: 'python_function' })).toThrow(/the model has no python_function flavor \(it has js_function\)/);
  });
});

describe('SERVING_MODEL_CONFIG', () => {
  it('is a JSON object, or nothing when unset, empty or null', () => {
    expect(servingModelConfig({ SERVING_MODEL_CONFIG: '{"temperature": 0.5}' })).toEqual({ temperature: 0.5 });
    expect(servingModelConfig({})).toBeUndefined();
    expect(servingModelConfig({ SERVING_MODEL_CONFIG: '' })).toBeUndefined();
    expect(servingModelConfig({ SERVING_MODEL_CONFIG: 'null' })).toBeUndefined();
  });

  it('anything else is refused naming the variable', () => {
    expect(() => servingModelConfig({ SERVING_MODEL_CONFIG: '{nope' })).toThrow(/SERVING_MODEL_CONFIG is not JSON/);
    expect(() => servingModelConfig({ SERVING_MODEL_CONFIG: '[1]' })).toThrow(/SERVING_MODEL_CONFIG must be a JSON object/);
  });
});
