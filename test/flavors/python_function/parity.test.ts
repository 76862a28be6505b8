import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPredictor, type Predictor } from '../../../src/pyfunc/index.js';
import { FIXTURES, MODELS, floatFrame, floatTensor, readJson, toNested } from './helpers.js';
import { pythonReady, skipReason } from './python-available.js';

interface Case {
  model: string;
  source: string;
  probe: string;
  columns?: string[];
  data?: number[][];
  tensor?: number[][];
  predictions: unknown;
}

const { cases } = readJson<{ cases: Case[] }>(path.join(FIXTURES, 'expected.json'));

function inputOf(c: Case): unknown {
  if (c.tensor) return floatTensor(c.tensor);
  if (c.columns && c.data) return floatFrame(c.columns, c.data);
  const example = readJson<unknown>(path.join(MODELS, c.model, 'input_example.json'));
  if (Array.isArray(example)) return floatTensor(example as number[][]);
  const split = example as { columns: string[]; data: number[][] };
  return floatFrame(split.columns, split.data);
}

// Every MLflow 2.22.1 sklearn model, forced through the Python bridge (no mlflow package in that
// Python: the worker loads mlflow.sklearn models itself), predicts what MLflow/sklearn predicted.
describe.skipIf(!pythonReady)(`python_function bridge parity with MLflow 2.22.1 ${skipReason}`, () => {
  const predictors = new Map<string, Promise<Predictor>>();
  const load = (model: string) => {
    let p = predictors.get(model);
    if (!p) {
      p = loadPredictor(path.join(MODELS, model), { runtime: 'python', workers: 1 });
      predictors.set(model, p);
    }
    return p;
  };
  afterAll(async () => {
    await Promise.all([...predictors.values()].map(async (p) => (await p).close()));
  });

  for (const c of cases) {
    it(`${c.model}: ${c.probe} (${c.source})`, async () => {
      const predictor = await load(c.model);
      expect(predictor.flavor).toBe('python_function');
      const out = await predictor.predict(inputOf(c));
      expect(toNested(out)).toEqual(c.predictions);
    });
  }
});
