import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFlavor, unregisterFlavor } from '../../src/flavors/registry.js';
import { frameFromRecords, makeTensor, readFrameBatches } from '../../src/frame/index.js';
import { PyFloat } from '../../src/model/index.js';
import { loadPredictor, type Predictor } from '../../src/pyfunc/index.js';
import { batchPredict } from '../../src/serve/index.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../fixtures/serve/${p}`, import.meta.url));

// Three iris rows and the classes MLflow 2.22.1's server predicted for them (protocol probe
// "dataframe_split 3 rows with index": [0, 1, 2]).
const ROWS = ['5.1,3.5,1.4,0.2', '6.2,2.9,4.3,1.3', '7.7,3.0,6.1,2.3'];
const CLASSES = [0, 1, 2];
const HEADER = 'sepal_length,sepal_width,petal_length,petal_width';

describe('batchPredict', () => {
  let dir: string;
  let predictor: Predictor;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'batch-predict-'));
    predictor = await loadPredictor(fixture('iris-strict'));
  });
  afterAll(async () => {
    await predictor.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('scores a 50,000-row CSV batch by batch into one {"predictions": [...]}', async () => {
    const n = 50_000;
    const lines = [HEADER];
    for (let i = 0; i < n; i++) lines.push(ROWS[i % 3]);
    const input = join(dir, 'rows.csv');
    const output = join(dir, 'out.json');
    await writeFile(input, `${lines.join('\n')}\n`);
    const progress: number[] = [];
    const { rows } = await batchPredict(predictor, {
      input,
      output,
      contentType: 'csv',
      batchRows: 7_000,
      onProgress: (done) => progress.push(done),
    });
    expect(rows).toBe(n);
    // 7 full batches and a partial one; the count only grows.
    expect(progress.length).toBe(8);
    expect(progress.at(-1)).toBe(n);
    const text = await readFile(output, 'utf8');
    expect(text.startsWith('{"predictions": [0, 1, 2, 0,')).toBe(true);
    const { predictions } = JSON.parse(text) as { predictions: number[] };
    expect(predictions.length).toBe(n);
    for (let i = 0; i < n; i++) if (predictions[i] !== CLASSES[i % 3]) expect.fail(`row ${i}: ${predictions[i]}`);
  });

  it('scores a JSON scoring request document as MLflow does', async () => {
    const input = join(dir, 'request.json');
    const output = join(dir, 'request-out.json');
    await writeFile(input, JSON.stringify({ dataframe_split: { columns: HEADER.split(','), data: ROWS.map((r) => r.split(',').map(Number)) } }));
    await batchPredict(predictor, { input, output, contentType: 'json' });
    expect(await readFile(output, 'utf8')).toBe('{"predictions": [0, 1, 2]}');
  });

  it('writes csv and parquet tables only when asked: json by default, whatever the file is called', async () => {
    const input = join(dir, 'three.csv');
    await writeFile(input, `${[HEADER, ...ROWS].join('\n')}\n`);
    await batchPredict(predictor, { input, output: join(dir, 'out.csv'), contentType: 'csv' });
    expect(await readFile(join(dir, 'out.csv'), 'utf8')).toBe('{"predictions": [0, 1, 2]}');
    await batchPredict(predictor, { input, output: join(dir, 'out.csv'), contentType: 'csv', outputFormat: 'csv' });
    expect(await readFile(join(dir, 'out.csv'), 'utf8')).toBe('predictions\n0\n1\n2\n');
    const parquet = join(dir, 'out.bin');
    await batchPredict(predictor, { input, output: parquet, contentType: 'csv', outputFormat: 'parquet', batchRows: 2 });
    const values: number[] = [];
    for await (const frame of readFrameBatches(parquet, 'parquet')) {
      const column = frame.column('predictions');
      expect(column?.data).toMatchObject({ kind: 'number', dtype: 'int64' });
      values.push(...Array.from(column?.data.values as Float64Array));
    }
    expect(values).toEqual(CLASSES);
  });

  it('names the file when a CSV does not fit the signature', async () => {
    const input = join(dir, 'bad.csv');
    await writeFile(input, 'a,b\n1,2\n');
    await expect(batchPredict(predictor, { input, output: join(dir, 'bad.json'), contentType: 'csv' })).rejects.toThrow(/sepal_length/);
  });
});

describe('batchPredict: the JSON MLflow writes for other outputs and LLM-style requests', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'batch-llm-'));
    registerFlavor({
      name: 'acme_echo_chat',
      kind: 'native',
      async loadPredictor() {
        return {
          predict(input, params) {
            const { messages } = input as { messages: { content: string }[] };
            return { choices: [{ message: { content: messages.at(-1)?.content.toUpperCase() } }], params: params ?? null };
          },
        };
      },
    });
    // Answers with the output kind its MLmodel names: a DataFrame or a dict of arrays.
    registerFlavor({
      name: 'acme_shapes',
      kind: 'native',
      async loadPredictor(ctx) {
        return {
          predict() {
            if (ctx.conf.output === 'frame') return frameFromRecords([{ label: 'a', score: new PyFloat(1) }, { label: 'b', score: new PyFloat(0.25) }]);
            return { y: makeTensor({ dtype: 'float64', shape: [2], data: Float64Array.of(1, 2.5) }) };
          },
        };
      },
    });
    for (const output of ['frame', 'dict']) {
      await mkdir(join(dir, output));
      await writeFile(join(dir, output, 'MLmodel'), `flavors:\n  acme_shapes:\n    output: ${output}\nmlflow_version: 2.22.1\n`);
    }
    await mkdir(join(dir, 'chat'));
    await writeFile(
      join(dir, 'chat', 'MLmodel'),
      'flavors:\n  acme_echo_chat: {}\nmlflow_version: 2.22.1\nsignature:\n  outputs: \'[{"type": "string", "required": true}]\'\n  params: \'[{"name": "temperature", "default": 0.5, "shape": null, "type": "double"}]\'\n',
    );
  });
  afterAll(async () => {
    unregisterFlavor('acme_echo_chat');
    unregisterFlavor('acme_shapes');
    await rm(dir, { recursive: true, force: true });
  });

  it("writes a DataFrame as records and a dict as a dict, as MLflow's predictions_to_json (json.dump, no newline)", async () => {
    const input = join(dir, 'rows.json');
    await writeFile(input, '{"inputs": [[1.0]]}');
    const written: string[] = [];
    for (const output of ['frame', 'dict']) {
      const predictor = await loadPredictor(join(dir, output));
      try {
        await batchPredict(predictor, { input, output: join(dir, `${output}.json`), contentType: 'json' });
        written.push(await readFile(join(dir, `${output}.json`), 'utf8'));
      } finally {
        await predictor.close();
      }
    }
    expect(written).toEqual(['{"predictions": [{"label": "a", "score": 1.0}, {"label": "b", "score": 0.25}]}', '{"predictions": {"y": [1.0, 2.5]}}']);
  });

  it('writes the predictions unwrapped and takes the params schema\'s keys as params, as MLflow\'s _predict', async () => {
    const predictor = await loadPredictor(join(dir, 'chat'));
    try {
      const input = join(dir, 'chat.json');
      const output = join(dir, 'chat-out.json');
      await writeFile(input, '{"messages": [{"role": "user", "content": "hi"}], "temperature": 0.1}');
      await batchPredict(predictor, { input, output, contentType: 'json' });
      expect(await readFile(output, 'utf8')).toBe('{"choices": [{"message": {"content": "HI"}}], "params": {"temperature": 0.1}}');
    } finally {
      await predictor.close();
    }
  });
});
