import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerSklearn } from '../../../src/cli/sklearn.js';
import { Model } from '../../../src/model/index.js';

const ROOT = join(import.meta.dirname, '../../fixtures/sklearn');
const tmp = mkdtempSync(join(tmpdir(), 'mlflow-ts-sklearn-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('mlflow-ts sklearn save', () => {
  it('packages a pickle with a CSV input example', async () => {
    const csv = join(tmp, 'ex.csv');
    writeFileSync(csv, 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n');
    const out = join(tmp, 'model');
    const program = new Command('mlflow-ts').exitOverride();
    registerSklearn(program);
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(
        ['sklearn', 'save', '--pickle', join(ROOT, 'mlflow-2.22.1/iris_pipeline/model.pkl'), '-o', out, '--input-example', csv, '--predict-fn', 'predict_proba'],
        { from: 'user' },
      );
    } finally {
      write.mockRestore();
    }
    const model = await Model.load(out);
    expect(model.flavors.python_function.predict_fn).toBe('predict_proba');
    expect(model.flavors.sklearn.sklearn_version).toBe('1.2.1');
    expect(JSON.parse(readFileSync(join(out, 'input_example.json'), 'utf8'))).toEqual({
      columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], data: [[5.1, 3.5, 1.4, 0.2]],
    });
  });
});
