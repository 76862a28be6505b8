import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Frame } from '../../src/frame/frame.js';
import { makeTensor } from '../../src/frame/tensor.js';
import { Model, inputExampleFiles, loadInputExample } from '../../src/model/index.js';
import { MODELS_DIR } from './helpers.js';

const read = (model: string, f: string): Promise<string> => readFile(path.join(MODELS_DIR, model, f), 'utf8');

describe('input examples as MLflow 2.22.1 writes them', () => {
  it('a table: split orient, dataframe_split serving input (diabetes, long floats)', async () => {
    const example = JSON.parse(await read('diabetes_linreg', 'input_example.json')) as { columns: string[]; data: number[][] };
    const frame = new Frame(
      example.columns.map((name, j) => ({
        name,
        data: { kind: 'number' as const, dtype: 'float64' as const, values: Float64Array.from(example.data.map((r) => r[j])) },
      })),
    );
    const files = inputExampleFiles(frame);
    expect(files.example).toBe(await read('diabetes_linreg', 'input_example.json'));
    expect(files.servingInput).toBe(await read('diabetes_linreg', 'serving_input_example.json'));
    expect(files.info).toEqual((await Model.load(path.join(MODELS_DIR, 'diabetes_linreg'))).savedInputExampleInfo);
  });

  it('a tensor: nested lists, {"inputs": ...} serving input', async () => {
    const t = makeTensor({ dtype: 'float64', shape: [3, 4], data: Float64Array.from([5.1, 3.5, 1.4, 0.2, 4.9, 3.0, 1.4, 0.2, 4.7, 3.2, 1.3, 0.2]) });
    const files = inputExampleFiles(t);
    expect(files.example).toBe(await read('iris_logreg_numpy', 'input_example.json'));
    expect(files.servingInput).toBe(await read('iris_logreg_numpy', 'serving_input_example.json'));
    expect(files.info).toEqual({ artifact_path: 'input_example.json', serving_input_path: 'serving_input_example.json', type: 'ndarray' });
  });

  it('records become a table; other JSON is a json_object', () => {
    expect(inputExampleFiles([{ a: 1, b: 'x' }, { b: 'y' }]).example).toBe('{"columns": ["a", "b"], "data": [[1, "x"], [null, "y"]]}');
    const j = inputExampleFiles({ messages: [{ role: 'user', content: 'hi' }] });
    expect(j.info.type).toBe('json_object');
    expect(j.example).toBe('{"messages": [{"role": "user", "content": "hi"}]}');
    expect(JSON.parse(j.servingInput)).toEqual({ inputs: { messages: [{ role: 'user', content: 'hi' }] } });
  });

  it('loads a saved example through the MLmodel info', async () => {
    const dir = path.join(MODELS_DIR, 'iris_logreg');
    const loaded = (await loadInputExample(dir, await Model.load(dir)))!;
    expect((loaded.example as { columns: string[] }).columns).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(Object.keys(loaded.servingInput as object)).toEqual(['dataframe_split']);
  });

  it('refuses an example path that leaves the model directory', async () => {
    const dir = path.join(MODELS_DIR, 'iris_logreg');
    const m = await Model.load(dir);
    m.savedInputExampleInfo = { artifact_path: '../../x.json', type: 'json_object' };
    await expect(loadInputExample(dir, m)).rejects.toThrow("'saved_input_example_info.artifact_path'");
  });
});
