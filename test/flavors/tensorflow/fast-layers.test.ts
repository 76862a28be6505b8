import * as tf from '../../../src/tfjs/tf.js';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { fastKernel } from '../../../src/flavors/tensorflow/fast-layers.js';

// The faster kernels against tfjs-layers' own call of the same layer (which the real Keras
// fixtures check against Keras), on settings the fixtures do not all cover, on both backends.
const CASES: [string, () => tf.layers.Layer, number[]][] = [
  ['Conv2DTranspose valid 3x3 /2', () => tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'valid' }), [6, 7, 4]],
  ['Conv2DTranspose same 4x3 /(3,2) relu', () => tf.layers.conv2dTranspose({ filters: 2, kernelSize: [4, 3], strides: [3, 2], padding: 'same', activation: 'relu' }), [5, 4, 3]],
  ['Conv2DTranspose same 2x2 /2 no bias', () => tf.layers.conv2dTranspose({ filters: 5, kernelSize: 2, strides: 2, padding: 'same', useBias: false }), [4, 4, 3]],
  ['Conv2DTranspose valid 3x3 /1 elu', () => tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, padding: 'valid', activation: 'elu' }), [5, 5, 2]],
  ['Cropping2D', () => tf.layers.cropping2D({ cropping: [[1, 2], [0, 3]] }), [7, 8, 3]],
  ['Cropping2D channelsFirst', () => tf.layers.cropping2D({ cropping: [[2, 0], [1, 1]], dataFormat: 'channelsFirst' }), [3, 6, 5]],
  ['ZeroPadding2D', () => tf.layers.zeroPadding2d({ padding: [[1, 0], [2, 3]] }), [4, 5, 3]],
  ['ZeroPadding2D channelsFirst', () => tf.layers.zeroPadding2d({ padding: [[0, 2], [1, 1]], dataFormat: 'channelsFirst' }), [2, 4, 3]],
];

describe.each(['cpu', 'wasm'])('fast layer kernels on %s compute what the tfjs-layers layer computes', (backend) => {
  it.each(CASES)('%s', async (_, make, shape) => {
    await tf.setBackend(backend);
    const layer = make();
    const x = tf.randomUniform([3, ...shape], -1, 1, 'float32', 7);
    layer.apply(tf.input({ shape }));
    layer.setWeights(layer.getWeights().map((w, i) => tf.randomUniform(w.shape, -1, 1, 'float32', 11 + i)));
    const kernel = fastKernel(layer);
    expect(kernel).toBeDefined();
    const want = layer.call(x, {}) as tf.Tensor;
    const got = kernel?.run([x]) as tf.Tensor;
    expect(got.shape).toEqual(want.shape);
    expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-5);
    kernel?.dispose();
  });
});
