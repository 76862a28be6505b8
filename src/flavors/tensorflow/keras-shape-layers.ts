import * as tf from '../../tfjs/tf.js';
import { EXTRA_LAYERS } from './keras-extra-layers.js';

/** A Keras (a, b) pair (or one int for both sides). */
function pair(v: number | number[] | undefined, fallback: number): [number, number] {
  if (v === undefined) return [fallback, fallback];
  return typeof v === 'number' ? [v, v] : [v[0], v[1] ?? v[0]];
}

function first(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function one(shape: tf.Shape | tf.Shape[]): tf.Shape {
  return (Array.isArray(shape[0]) ? shape[0] : shape) as tf.Shape;
}

const grow = (d: number | null, by: number): number | null => (d === null ? null : d + by);

/** Keras's ZeroPadding1D (channels_last): `padding` zeros before and after the steps. */
class ZeroPadding1D extends tf.layers.Layer {
  static className = EXTRA_LAYERS.zeroPadding1D;
  private readonly padding: [number, number];

  constructor(args: { name?: string; padding?: number | number[] }) {
    super(args);
    this.padding = pair(args.padding, 1);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.pad(first(inputs), [[0, 0], this.padding, [0, 0]]);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = one(inputShape);
    return [s[0], grow(s[1], this.padding[0] + this.padding[1]), s[2]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding };
  }
}

/** Keras's Cropping1D: `cropping` steps removed from the start and the end. */
class Cropping1D extends tf.layers.Layer {
  static className = EXTRA_LAYERS.cropping1D;
  private readonly cropping: [number, number];

  constructor(args: { name?: string; cropping?: number | number[] }) {
    super(args);
    this.cropping = pair(args.cropping, 1);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = first(inputs);
    const [a, b] = this.cropping;
    return tf.slice(x, [0, a, 0], [-1, (x.shape[1] as number) - a - b, -1]);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = one(inputShape);
    return [s[0], grow(s[1], -this.cropping[0] - this.cropping[1]), s[2]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), cropping: this.cropping };
  }
}

/** Keras's Cropping3D (channels_last): each spatial axis cropped by its (start, end) pair. */
class Cropping3D extends tf.layers.Layer {
  static className = EXTRA_LAYERS.cropping3D;
  private readonly cropping: [number, number][];

  constructor(args: { name?: string; cropping?: number | (number | number[])[] }) {
    super(args);
    const c = args.cropping ?? 1;
    this.cropping = typeof c === 'number' ? [pair(c, 0), pair(c, 0), pair(c, 0)] : c.map((v) => pair(v, 0));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = first(inputs);
    const begin = [0, ...this.cropping.map(([a]) => a), 0];
    const size = [-1, ...this.cropping.map(([a, b], i) => x.shape[i + 1] - a - b), -1];
    return tf.slice(x, begin, size);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = one(inputShape);
    return [s[0], ...this.cropping.map(([a, b], i) => grow(s[i + 1], -a - b)), s[4]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), cropping: this.cropping };
  }
}

/** Keras's UpSampling1D: each step repeated `size` times (np.repeat along the steps). */
class UpSampling1D extends tf.layers.Layer {
  static className = EXTRA_LAYERS.upSampling1D;
  private readonly size: number;

  constructor(args: { name?: string; size?: number }) {
    super(args);
    this.size = args.size ?? 2;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs);
      const [b, t, c] = x.shape;
      return tf.tile(x.expandDims(2), [1, 1, this.size, 1]).reshape([b, t * this.size, c]);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = one(inputShape);
    return [s[0], s[1] === null ? null : s[1] * this.size, s[2]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size };
  }
}

let registered = false;

/** Registers the 1D/3D padding, cropping and upsampling layers tfjs-layers lacks, once per process. */
export function registerShapeLayers(): void {
  if (registered) return;
  for (const cls of [ZeroPadding1D, Cropping1D, Cropping3D, UpSampling1D]) {
    tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
  }
  registered = true;
}
