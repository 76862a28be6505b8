import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Frame, makeTensor, predictionsToJson, tensorFromJson, unwrappedPredictionsToJson } from '../../src/frame/index.js';

/** The 200 response bodies MLflow 2.22.1's server sent (protocol/TABLE.md). */
function recordedBodies(): string[] {
  const path = fileURLToPath(new URL('../fixtures/frame/protocol/TABLE.md', import.meta.url));
  const bodies = new Set<string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const cells = line.split(' | ');
    if (cells[2] === '200' && cells[4]?.startsWith('{"predictions"')) bodies.add(cells[4].replace(/ \|$/, ''));
  }
  return [...bodies];
}

describe('predictionsToJson reproduces MLflow response bodies', () => {
  const bodies = recordedBodies();

  it('found the recorded bodies (ints, floats, 2-D probabilities)', () => {
    expect(bodies.length).toBeGreaterThanOrEqual(8);
  });

  for (const body of bodies) {
    it(body.slice(0, 70), () => {
      // The model's output as numpy held it: int64 labels or float64 values.
      const predictions = (JSON.parse(body) as { predictions: unknown }).predictions;
      expect(predictionsToJson(tensorFromJson(predictions))).toBe(body);
    });
  }
});

describe('predictionsToJson shapes, as json.dumps(..., cls=NumpyEncoder)', () => {
  it('float64 tensors keep their float form: 3.0, 1e-05, 1e+16, NaN, Infinity, -0.0', () => {
    const t = makeTensor({ dtype: 'float64', shape: [6], data: new Float64Array([3, 1e-5, 1e16, NaN, Infinity, -0]) });
    expect(predictionsToJson(t)).toBe('{"predictions": [3.0, 1e-05, 1e+16, NaN, Infinity, -0.0]}');
  });

  it('float32 values print as the double they widen to (tolist)', () => {
    const t = makeTensor({ dtype: 'float32', shape: [1], data: new Float32Array([0.1]) });
    expect(predictionsToJson(t)).toBe('{"predictions": [0.10000000149011612]}');
  });

  it('a Frame is a list of records', () => {
    const f = new Frame([
      { name: 'label', data: { kind: 'number', dtype: 'int64', values: new Float64Array([1, 2]) } },
      { name: 'score', data: { kind: 'number', dtype: 'float64', values: new Float64Array([0.5, 2]) } },
      { name: 'name', data: { kind: 'string', values: ['é', null] } },
      { name: 'ok', data: { kind: 'bool', values: [true, false] } },
    ]);
    expect(predictionsToJson(f)).toBe(
      '{"predictions": [{"label": 1, "score": 0.5, "name": "\\u00e9", "ok": true}, {"label": 2, "score": 2.0, "name": null, "ok": false}]}',
    );
  });

  it('a record of tensors is a dict of lists; plain JSON is written as it is', () => {
    const a = makeTensor({ dtype: 'int64', shape: [2, 1], data: new Float64Array([1, 2]) });
    const b = makeTensor({ dtype: 'string', shape: [2], data: ['x', 'y'] });
    expect(predictionsToJson({ a, b })).toBe('{"predictions": {"a": [[1], [2]], "b": ["x", "y"]}}');
    expect(predictionsToJson([{ label: 'setosa', p: 0.25 }])).toBe('{"predictions": [{"label": "setosa", "p": 0.25}]}');
    expect(predictionsToJson('text')).toBe('{"predictions": "text"}');
    expect(unwrappedPredictionsToJson({ choices: [1] })).toBe('{"choices": [1]}');
  });

  it('integer labels in a narrow integer array write as the same labels in int64 (Float64Array) do', () => {
    const values = [0, 1, 2, 127, -128, 255, 65535, -32768, 2147483647, -2147483648, 4294967295];
    const arrays = [Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array];
    for (const Ints of arrays) {
      // the values each array holds as they are (a cast would wrap the rest)
      const held = values.filter((v) => new Ints([v])[0] === v);
      const data = Ints.from([...held, ...held]);
      const wide = Float64Array.from(data);
      for (const shape of [[data.length], [2, held.length], [held.length, 2]]) {
        const expected = predictionsToJson(makeTensor({ dtype: 'int64', shape, data: wide }));
        expect(predictionsToJson(makeTensor({ dtype: 'int64', shape, data })), `${Ints.name} ${shape.join('x')}`).toBe(expected);
      }
      // a view into a larger array (a batch's answer cut by rows)
      const view = makeTensor({ dtype: 'int64', shape: [held.length], data: data.subarray(held.length) });
      expect(predictionsToJson(view)).toBe(`{"predictions": [${held.join(', ')}]}`);
    }
  });

  it('bool and 0-d tensors', () => {
    expect(predictionsToJson(makeTensor({ dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) }))).toBe(
      '{"predictions": [true, false]}',
    );
    expect(predictionsToJson(makeTensor({ dtype: 'float64', shape: [], data: new Float64Array([2]) }))).toBe(
      '{"predictions": 2.0}',
    );
  });
});
