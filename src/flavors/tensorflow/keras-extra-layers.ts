import * as tf from '../../tfjs/tf.js';

/** Class names the loaders give Keras layers tfjs-layers lacks or computes differently. */
export const EXTRA_LAYERS = {
  relu: 'MlflowKerasReLU',
  elu: 'MlflowKerasELU',
  identity: 'MlflowKerasIdentity',
  causalConv1D: 'MlflowKerasCausalConv1D',
  zeroPadding1D: 'MlflowKerasZeroPadding1D',
  cropping1D: 'MlflowKerasCropping1D',
  cropping3D: 'MlflowKerasCropping3D',
  upSampling1D: 'MlflowKerasUpSampling1D',
  separableConv1D: 'MlflowKerasSeparableConv1D',
  attention: 'MlflowKerasAttention',
  additiveAttention: 'MlflowKerasAdditiveAttention',
  multiHeadAttention: 'MlflowKerasMultiHeadAttention',
} as const;

interface ReluArgs {
  name?: string;
  maxValue?: number | null;
  negativeSlope?: number;
  threshold?: number;
}

/**
 * Keras's ReLU layer with all three settings (tfjs's has max_value only), computed as
 * keras.activations.relu does: x above threshold (clipped at max_value), and
 * negative_slope * (x - threshold) below it.
 */
class KerasReLU extends tf.layers.Layer {
  static className = EXTRA_LAYERS.relu;
  private readonly maxValue: number | null;
  private readonly negativeSlope: number;
  private readonly threshold: number;

  constructor(args: ReluArgs) {
    super(args);
    this.supportsMasking = true;
    this.maxValue = args.maxValue ?? null;
    this.negativeSlope = args.negativeSlope ?? 0;
    this.threshold = args.threshold ?? 0;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const { maxValue, negativeSlope: slope, threshold } = this;
      if (slope !== 0 && maxValue === null && threshold === 0) return tf.leakyRelu(x, slope);
      let y: tf.Tensor;
      if (threshold !== 0) y = tf.mul(x, tf.cast(tf.greater(x, threshold), x.dtype));
      else y = tf.relu(x);
      if (maxValue !== null) y = tf.clipByValue(y, 0, maxValue);
      if (slope === 0) return y;
      const negative = tf.relu(threshold !== 0 ? tf.sub(threshold, x) : tf.neg(x));
      return tf.sub(y, tf.mul(slope, negative));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold };
  }
}

/** Keras's ELU layer with any alpha (tfjs's refuses alpha != 1): x > 0 ? x : alpha * (exp(x) - 1). */
class KerasELU extends tf.layers.Layer {
  static className = EXTRA_LAYERS.elu;
  private readonly alpha: number;

  constructor(args: { name?: string; alpha?: number }) {
    super(args);
    this.supportsMasking = true;
    this.alpha = args.alpha ?? 1;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.where(tf.greater(x, 0), x, tf.mul(this.alpha, tf.expm1(x)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

/** Noise, spatial dropout and activity regularization layers: at inference, their input unchanged (mask too). */
class KerasIdentity extends tf.layers.Layer {
  static className = EXTRA_LAYERS.identity;

  constructor(args: { name?: string }) {
    super(args);
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.clone(Array.isArray(inputs) ? inputs[0] : inputs);
  }
}

/** What the causal convolution uses of tfjs-layers' Conv1D (protected fields at runtime). */
interface Conv1DFields {
  kernelSize: number[];
  dilationRate: number[];
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[];
}
type Conv1DCtor = new (args: Record<string, unknown>) => tf.layers.Layer & Conv1DFields;

let registered = false;

/** Registers the layers above with tfjs's deserializer, once per process. */
export function registerExtraLayers(): void {
  if (registered) return;
  // tfjs exports the Conv1D class only through its instances.
  const Conv1D = Object.getPrototypeOf(tf.layers.conv1d({ filters: 1, kernelSize: 1 })).constructor as Conv1DCtor;

  /**
   * Conv1D with padding="causal": the input left-padded by dilation * (kernel - 1) zeros, then
   * a valid convolution, as Keras computes it (tfjs-core refuses causal padding).
   */
  class KerasCausalConv1D extends Conv1D {
    static className = EXTRA_LAYERS.causalConv1D;

    constructor(args: Record<string, unknown>) {
      super({ ...args, padding: 'valid' });
    }

    private get leftPad(): number {
      return this.dilationRate[0] * (this.kernelSize[0] - 1);
    }

    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const padded = tf.pad(x, [[0, 0], [this.leftPad, 0], [0, 0]]);
      try {
        return super.call(padded, kwargs);
      } finally {
        padded.dispose();
      }
    }

    override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
      const steps = shape[1];
      return super.computeOutputShape([shape[0], steps === null ? null : steps + this.leftPad, ...shape.slice(2)]);
    }
  }

  for (const cls of [KerasReLU, KerasELU, KerasIdentity, KerasCausalConv1D]) {
    tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
  }
  registered = true;
}
