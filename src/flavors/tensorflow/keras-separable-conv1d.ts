import * as tf from '../../tfjs/tf.js';
import { EXTRA_LAYERS } from './keras-extra-layers.js';

interface Args {
  name?: string;
  filters: number;
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: 'valid' | 'same';
  dilationRate?: number | number[];
  depthMultiplier?: number;
  activation?: string;
  useBias?: boolean;
}

const scalar = (v: number | number[] | undefined, fallback: number): number => (v === undefined ? fallback : typeof v === 'number' ? v : v[0]);

/**
 * Keras's SeparableConv1D (channels_last): a depthwise convolution over the steps (kernel
 * [k, in, depth_multiplier]) then a pointwise one ([1, in * depth_multiplier, filters]), as
 * Keras computes it on TensorFlow: a separable 2D convolution over a height of 1.
 */
class KerasSeparableConv1D extends tf.layers.Layer {
  static className = EXTRA_LAYERS.separableConv1D;
  private readonly args: Required<Omit<Args, 'name'>> & { kernelSize: number; strides: number; dilationRate: number };
  private readonly act: tf.layers.Layer;
  private depthwise: tf.LayerVariable | null = null;
  private pointwise: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: Args) {
    super(args);
    this.args = {
      filters: args.filters,
      kernelSize: scalar(args.kernelSize, 1),
      strides: scalar(args.strides, 1),
      padding: args.padding ?? 'valid',
      dilationRate: scalar(args.dilationRate, 1),
      depthMultiplier: args.depthMultiplier ?? 1,
      activation: args.activation ?? 'linear',
      useBias: args.useBias ?? true,
    };
    if (this.args.padding !== 'valid' && this.args.padding !== 'same') throw new Error(`SeparableConv1D padding '${String(this.args.padding)}' is not supported natively`);
    this.act = tf.layers.activation({ activation: this.args.activation as 'linear' });
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = s[s.length - 1] as number;
    const { kernelSize: k, depthMultiplier: dm, filters } = this.args;
    // Keras's order: depthwise, pointwise, bias.
    this.depthwise = this.addWeight('depthwise_kernel', [k, channels, dm], 'float32', tf.initializers.zeros());
    this.pointwise = this.addWeight('pointwise_kernel', [1, channels * dm, filters], 'float32', tf.initializers.zeros());
    if (this.args.useBias) this.bias = this.addWeight('bias', [filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs).expandDims(1) as tf.Tensor4D;
      const [k, channels, dm] = this.depthwise!.shape as number[];
      const depth = this.depthwise!.read().reshape([1, k, channels, dm]) as tf.Tensor4D;
      const point = this.pointwise!.read().reshape([1, 1, channels * dm, this.args.filters]) as tf.Tensor4D;
      const { strides, padding, dilationRate } = this.args;
      let y: tf.Tensor = tf.separableConv2d(x, depth, point, [1, strides], padding, [1, dilationRate], 'NHWC').squeeze([1]);
      if (this.bias !== null) y = tf.add(y, this.bias.read());
      return this.act.apply(y) as tf.Tensor;
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const { kernelSize: k, strides, padding, dilationRate: d, filters } = this.args;
    const steps = s[1];
    let out: number | null = null;
    if (steps !== null) out = padding === 'same' ? Math.ceil(steps / strides) : Math.ceil((steps - d * (k - 1)) / strides);
    return [s[0], out, filters];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.args };
  }
}

let registered = false;

/** Registers SeparableConv1D with tfjs's deserializer, once per process. */
export function registerSeparableConv1D(): void {
  if (registered) return;
  tf.serialization.registerClass(KerasSeparableConv1D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
  registered = true;
}
