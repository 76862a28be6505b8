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

  // Expected bytes derived from MLflow 2.22.1's _Example (mlflow/models/utils.py): a list (of
  // records or scalars), a record and a scalar are json_object, written by json.dumps as given,
  // served inside {"inputs": ...} (indent=2) unless the record has an LLM key (messages, prompt,
  // input), which is served unwrapped; a numeric array's NaN is written as null.
  it('a list of records is a json_object: the list as is, served as {"inputs": [...]}', () => {
    const files = inputExampleFiles([{ a: 1, b: 'x' }, { b: 'y' }]);
    expect(files.info).toEqual({ artifact_path: 'input_example.json', serving_input_path: 'serving_input_example.json', type: 'json_object' });
    expect(files.example).toBe('[{"a": 1, "b": "x"}, {"b": "y"}]');
    expect(files.servingInput).toBe('{\n  "inputs": [\n    {\n      "a": 1,\n      "b": "x"\n    },\n    {\n      "b": "y"\n    }\n  ]\n}');
  });

  it('lists of scalars, records and scalars are json_objects; an LLM record is served unwrapped', () => {
    const strings = inputExampleFiles(['a', 'b']);
    expect([strings.info.type, strings.example, strings.servingInput]).toEqual(['json_object', '["a", "b"]', '{\n  "inputs": [\n    "a",\n    "b"\n  ]\n}']);
    const scalar = inputExampleFiles('hello');
    expect([scalar.info.type, scalar.example, scalar.servingInput]).toEqual(['json_object', '"hello"', '{\n  "inputs": "hello"\n}']);
    const record = inputExampleFiles({ question: 'why', k: 3 });
    expect([record.example, record.servingInput]).toEqual(['{"question": "why", "k": 3}', '{\n  "inputs": {\n    "question": "why",\n    "k": 3\n  }\n}']);
    const chat = inputExampleFiles({ messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.info.type).toBe('json_object');
    expect(chat.example).toBe('{"messages": [{"role": "user", "content": "hi"}]}');
    expect(JSON.parse(chat.servingInput)).toEqual({ messages: [{ role: 'user', content: 'hi' }] });
  });

  it('a numeric tensor writes NaN as null; tensors inside a list or mixed into a record are refused', () => {
    const t = makeTensor({ dtype: 'float64', shape: [2], data: Float64Array.of(1.5, NaN) });
    expect(inputExampleFiles(t).example).toBe('[1.5, null]');
    expect(inputExampleFiles({ x: t }).example).toBe('{"x": [1.5, null]}');
    expect(() => inputExampleFiles([t])).toThrow('Numpy arrays in list are not supported as input examples.');
    expect(() => inputExampleFiles({ x: t, y: 'a' })).toThrow('Mixed types in dictionary are not supported as input examples.');
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
