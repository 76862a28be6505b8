import * as tf from '../../tfjs/tf.js';

/** A layer's computation on concrete tensors, with what it precomputed from the weights. */
export interface LayerKernel {
  run(xs: tf.Tensor[]): tf.Tensor;
  dispose(): void;
}

type Pairs = [[number, number], [number, number]];

/**
 * Rank-4 Slice and Pad are slow on tfjs-backend-wasm (its Slice copies one innermost row at a time,
 * 1000x15x15x3 -> 11x11 takes 13 ms; PadV2 takes 15 ms for 13x13 -> 15x15), while the same work on
 * a rank-3 view of the same memory takes under 1 ms. Height and width padding or cropping of an
 * NHWC tensor is a rank-3 operation on [N, H, W*C] (NCHW: on [N*C, H, W]); reshapes are free.
 */
function spatialView(x: tf.Tensor, channelsLast: boolean): { view: tf.Tensor3D; unit: number; restore: (h: number, w: number) => number[] } {
  const [n, a, b, c] = x.shape;
  if (channelsLast) return { view: tf.reshape(x, [n, a, b * c]), unit: c, restore: (h, w) => [n, h, w, c] };
  return { view: tf.reshape(x, [n * a, b, c]), unit: 1, restore: (h, w) => [n, a, h, w] };
}

function cropSpatial(x: tf.Tensor, [[top, bottom], [left, right]]: Pairs, channelsLast: boolean): tf.Tensor {
  const { view, unit, restore } = spatialView(x, channelsLast);
  const [rows, h, wc] = view.shape;
  const outH = h - top - bottom;
  const outWc = wc - (left + right) * unit;
  return tf.reshape(tf.slice(view, [0, top, left * unit], [rows, outH, outWc]), restore(outH, outWc / unit));
}

function padSpatial(x: tf.Tensor, [[top, bottom], [left, right]]: Pairs, channelsLast: boolean): tf.Tensor {
  const { view, unit, restore } = spatialView(x, channelsLast);
  const [, h, wc] = view.shape;
  const padded = tf.pad(view, [[0, 0], [top, bottom], [left * unit, right * unit]]);
  return tf.reshape(padded, restore(h + top + bottom, wc / unit + left + right));
}

/** Activations tfjs's fused convolution computes as tfjs-layers' separate activation does. */
const FUSED_ACTIVATIONS = new Set(['linear', 'relu', 'elu']);

interface ConvTransposeConfig {
  filters: number;
  kernelSize: number[];
  strides: number[];
  padding: string;
  dataFormat: string;
  activation: string;
  useBias: boolean;
  dilationRate?: number | number[];
}

/**
 * Conv2DTranspose as a stride-1 convolution (XNNPACK on wasm): the input dilated by the strides
 * (zeros between pixels) and padded by kernel - 1 - the forward convolution's padding, convolved
 * with the kernel rotated 180 degrees, its in/out channels swapped. tfjs-backend-wasm's own
 * Conv2DBackpropInput is a plain loop: 1000x6x6x4 -> 13x13x3 takes 15 ms of CPU against 7 ms this
 * way. Same products summed, in another order (float32 rounding only).
 */
function convTransposeKernel(layer: tf.layers.Layer, cfg: ConvTransposeConfig): LayerKernel | undefined {
  const [kh, kw] = cfg.kernelSize;
  const [sh, sw] = cfg.strides;
  // With a kernel smaller than the stride most dilated rows are all zeros and tfjs's loop wins.
  if (cfg.dataFormat !== 'channelsLast' || !FUSED_ACTIVATIONS.has(cfg.activation) || kh < sh || kw < sw) return undefined;
  if (cfg.padding !== 'valid' && cfg.padding !== 'same') return undefined;
  if ([cfg.dilationRate ?? 1].flat().some((d) => d !== 1)) return undefined;
  const [kernel, bias] = layer.getWeights();
  const filter = tf.tidy(() => tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])) as tf.Tensor4D;
  const outLength = (d: number, s: number, k: number): number => (cfg.padding === 'valid' ? d * s + Math.max(k - s, 0) : d * s);
  // The top/left padding of the forward convolution this one transposes (TensorFlow's SAME rule).
  const before = (d: number, out: number, s: number, k: number): number => (cfg.padding === 'valid' ? 0 : Math.floor(Math.max((d - 1) * s + k - out, 0) / 2));
  return {
    run([x]) {
      const [n, h, w, c] = x.shape;
      const outH = outLength(h, sh, kh);
      const outW = outLength(w, sw, kw);
      // Dilation by padding rank-3 views: [N*H*W, 1, C] -> [N*H*W, sw, C] puts sw-1 zero pixels after
      // each pixel of a row; [N*H, 1, W'*C] -> [N*H, sh, W'*C] puts sh-1 zero rows after each row.
      let y: tf.Tensor = x;
      if (sw > 1) y = tf.pad(tf.reshape(y, [n * h * w, 1, c]), [[0, 0], [0, sw - 1], [0, 0]]);
      if (sh > 1) y = tf.pad(tf.reshape(y, [n * h, 1, w * sw * c]), [[0, 0], [0, sh - 1], [0, 0]]);
      const top = kh - 1 - before(h, outH, sh, kh);
      const left = kw - 1 - before(w, outW, sw, kw);
      // What the stride-1 valid convolution needs below and right, less the trailing zeros there already.
      const bottom = outH + kh - 1 - h * sh - top;
      const right = outW + kw - 1 - w * sw - left;
      let dilated = tf.reshape(y, [n, h * sh, w * sw, c]);
      if (bottom < 0 || right < 0) dilated = cropSpatial(dilated, [[0, Math.max(0, -bottom)], [0, Math.max(0, -right)]], true);
      const padded = padSpatial(dilated, [[top, Math.max(0, bottom)], [left, Math.max(0, right)]], true) as tf.Tensor4D;
      const activation = cfg.activation as 'linear' | 'relu' | 'elu';
      return tf.fused.conv2d({ x: padded, filter, strides: 1, pad: 'valid', bias: cfg.useBias ? bias : undefined, activation });
    },
    dispose() {
      filter.dispose();
    },
  };
}

/**
 * A faster computation of `layer` than its tfjs-layers call on tfjs-backend-wasm, where one
 * exists for its class and settings; undefined otherwise (the layer's own call runs).
 */
export function fastKernel(layer: tf.layers.Layer): LayerKernel | undefined {
  const config = layer.getConfig() as Record<string, unknown>;
  const channelsLast = config.dataFormat !== 'channelsFirst';
  switch (layer.getClassName()) {
    case 'Cropping2D':
      return { run: ([x]) => cropSpatial(x, config.cropping as Pairs, channelsLast), dispose() {} };
    case 'ZeroPadding2D':
      return { run: ([x]) => padSpatial(x, config.padding as Pairs, channelsLast), dispose() {} };
    case 'Conv2DTranspose':
      return convTransposeKernel(layer, config as unknown as ConvTransposeConfig);
    default:
      return undefined;
  }
}
