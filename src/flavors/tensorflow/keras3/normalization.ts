import * as tf from '../../../tfjs/tf.js';

/** Class name the loader gives Keras's Normalization layer (tfjs-layers has none). */
export const KERAS3_NORMALIZATION = 'MlflowKeras3Normalization';

/** Keras's backend.epsilon(): the floor of the standard deviation the layer divides by. */
const EPSILON = 1e-7;

type Values = number | number[] | null | undefined;

interface NormalizationArgs {
  name?: string;
  invert?: boolean;
  mean?: Values;
  variance?: Values;
}

let registered = false;

/**
 * Registers Keras 3's Normalization over the last axis: (x - mean) /
 * max(sqrt(variance), 1e-7), or its inverse. Mean and variance come from the config when given
 * there, else from the weights Keras saved as mean, variance and count (count is kept only to
 * line up with the archive's variable order).
 */
export function registerKeras3Normalization(): void {
  if (registered) return;

  class Keras3Normalization extends tf.layers.Layer {
    static className = KERAS3_NORMALIZATION;
    private readonly invert: boolean;
    private readonly fixedMean: Values;
    private readonly fixedVariance: Values;
    private meanVar: tf.LayerVariable | null = null;
    private varianceVar: tf.LayerVariable | null = null;

    constructor(args: NormalizationArgs) {
      super(args);
      this.invert = args.invert === true;
      this.fixedMean = args.mean;
      this.fixedVariance = args.variance;
    }

    override build(inputShape: tf.Shape | tf.Shape[]): void {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
      if (this.fixedMean === null || this.fixedMean === undefined) {
        const last = shape[shape.length - 1];
        const wshape = typeof last === 'number' ? [last] : [];
        this.meanVar = this.addWeight('mean', wshape, 'float32', tf.initializers.zeros(), undefined, false);
        this.varianceVar = this.addWeight('variance', wshape, 'float32', tf.initializers.ones(), undefined, false);
        this.addWeight('count', [], 'float32', tf.initializers.zeros(), undefined, false);
      }
      this.built = true;
    }

    override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
      return inputShape;
    }

    override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const mean = this.meanVar ? this.meanVar.read() : tf.tensor(this.fixedMean as number | number[]);
        const variance = this.varianceVar ? this.varianceVar.read() : tf.tensor(this.fixedVariance as number | number[]);
        const std = tf.maximum(tf.sqrt(variance), EPSILON);
        return this.invert ? tf.add(mean, tf.mul(x, std)) : tf.div(tf.sub(x, mean), std);
      });
    }

    override getConfig(): tf.serialization.ConfigDict {
      return { ...super.getConfig(), invert: this.invert, mean: this.fixedMean ?? null, variance: this.fixedVariance ?? null };
    }
  }

  tf.serialization.registerClass(Keras3Normalization);
  registered = true;
}
