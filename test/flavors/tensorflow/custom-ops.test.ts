import * as tf from '../../../src/tfjs/tf.js';
import { describe, expect, it } from 'vitest';
import { prepareTfjs, rewriteTrainingBatchNorm } from '../../../src/flavors/tensorflow/custom-ops.js';

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

  it('Xlogy is 0 where x is 0 (even for y 0), else x * log(y)', async () => {
    const out = await run('Xlogy', {}, tf.tensor([0, 0, 2, 3]), tf.tensor([0, 5, Math.E, 1]));
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(0);
    expect(out[2]).toBeCloseTo(2, 6);
    expect(out[3]).toBeCloseTo(0, 6);
  });

  it('UnsortedSegmentSum sums rows by segment id, ids spanning two leading dimensions', async () => {
    prepareTfjs();
    const node = [
      { name: 'data', op: 'Placeholder', attr: { dtype: { type: 1 } } },
      { name: 'ids', op: 'Placeholder', attr: { dtype: { type: 3 } } },
      { name: 'n', op: 'Placeholder', attr: { dtype: { type: 3 } } },
      { name: 'y', op: 'UnsortedSegmentSum', input: ['data', 'ids', 'n'], attr: {} },
    ];
    const model = await tf.loadGraphModel({ load: () => Promise.resolve({ format: 'graph-model', modelTopology: { node, versions: { producer: 1 } }, weightSpecs: [], weightData: new ArrayBuffer(0) }) });
    // data [2, 2, 2]; ids [2, 2] -> rows [1,2] [3,4] [5,6] [7,8] go to segments 0, 2, 0, 1 of 3.
    const data = tf.tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    const out = model.execute({ data, ids: tf.tensor([[0, 2], [0, 1]], [2, 2], 'int32'), n: tf.scalar(3, 'int32') }, 'y') as tf.Tensor;
    expect(out.shape).toEqual([3, 2]);
    expect(Array.from(await out.data())).toEqual([6, 8, 7, 8, 3, 4]);
  });

  it('FusedBatchNormV3 with is_training=true normalizes with the batch statistics, as TensorFlow does', async () => {
    prepareTfjs();
    const node = [
      { name: 'x', op: 'Placeholder', attr: { dtype: { type: 1 } } },
      { name: 'scale', op: 'Placeholder', attr: { dtype: { type: 1 } } },
      { name: 'offset', op: 'Placeholder', attr: { dtype: { type: 1 } } },
      { name: 'mean', op: 'Placeholder', attr: { dtype: { type: 1 } } },
      { name: 'variance', op: 'Placeholder', attr: { dtype: { type: 1 } } },
      { name: 'bn', op: 'FusedBatchNormV3', input: ['x', 'scale', 'offset', 'mean', 'variance'], attr: { is_training: { b: true }, epsilon: { f: 0.001 } } },
    ];
    rewriteTrainingBatchNorm(node as never);
    expect(node[5].op).not.toBe('FusedBatchNormV3');
    const model = await tf.loadGraphModel({ load: () => Promise.resolve({ format: 'graph-model', modelTopology: { node, versions: { producer: 1 } }, weightSpecs: [], weightData: new ArrayBuffer(0) }) });
    // NHWC [4, 1, 1, 2]: channel 0 holds 1, 2, 3, 4 (mean 2.5, biased variance 1.25), channel 1 holds 10 four times.
    const x = tf.tensor([1, 10, 2, 10, 3, 10, 4, 10], [4, 1, 1, 2]);
    const feeds = { x, scale: tf.tensor([2, 1]), offset: tf.tensor([0.5, -1]), mean: tf.tensor([], [0]), variance: tf.tensor([], [0]) };
    const [y, batchMean, batchVariance] = model.execute(feeds, ['bn:0', 'bn:1', 'bn:2']) as tf.Tensor[];
    const ys = Array.from(await y.data());
    [1, 2, 3, 4].forEach((v, i) => expect(ys[i * 2]).toBeCloseTo(((v - 2.5) / Math.sqrt(1.25 + 0.001)) * 2 + 0.5, 5));
    [1, 3, 5, 7].forEach((i) => expect(ys[i]).toBeCloseTo(-1, 5));
    expect(Array.from(await batchMean.data())).toEqual([2.5, 10]);
    const bv = Array.from(await batchVariance.data());
    expect(bv[0]).toBeCloseTo(1.25 * 4 / 3, 5);
    expect(bv[1]).toBeCloseTo(0, 6);
  });
});
