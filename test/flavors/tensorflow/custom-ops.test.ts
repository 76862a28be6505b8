import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { prepareTfjs } from '../../../src/flavors/tensorflow/custom-ops.js';

/** A one-op tfjs graph: two float32 placeholders feeding `op`. */
async function run(op: string, attr: Record<string, object>, a: tf.Tensor, b?: tf.Tensor): Promise<number[]> {
  prepareTfjs();
  const node = [
    { name: 'a', op: 'Placeholder', attr: { dtype: { type: 1 } } },
    { name: 'b', op: 'Placeholder', attr: { dtype: { type: 1 } } },
    { name: 'y', op, input: b ? ['a', 'b'] : ['a'], attr },
  ];
  const model = await tf.loadGraphModel({ load: () => Promise.resolve({ format: 'graph-model', modelTopology: { node, versions: { producer: 1 } }, weightSpecs: [], weightData: new ArrayBuffer(0) }) });
  const out = model.execute(b ? { a, b } : { a }, 'y') as tf.Tensor;
  return Array.from(await out.data());
}

describe('ops added to tfjs with tf.registerOp', () => {
  it('Softsign is x / (1 + |x|)', async () => {
    expect(await run('Softsign', {}, tf.tensor([-3, 0, 1]))).toEqual([-0.75, 0, 0.5]);
  });

  it('BatchMatMulV3 honours adj_x / adj_y', async () => {
    const a = tf.tensor([[1, 2], [3, 4]]);
    const b = tf.tensor([[1, 0], [1, 1]]);
    expect(await run('BatchMatMulV3', {}, a, b)).toEqual([3, 2, 7, 4]);
    expect(await run('BatchMatMulV3', { adj_x: { b: true } }, a, b)).toEqual([4, 3, 6, 4]);
  });

  it('Erfc is 1 - erf(x)', async () => {
    const [v0, v1] = await run('Erfc', {}, tf.tensor([0, 1]));
    expect(v0).toBeCloseTo(1, 6);
    expect(v1).toBeCloseTo(0.157299207, 5);
  });
});
