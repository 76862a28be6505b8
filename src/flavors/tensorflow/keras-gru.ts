import * as tf from '../../tfjs/tf.js';

/** Class name the loader gives Keras GRU layers with reset_after=true (TF2's default). */
export const RESET_AFTER_GRU = 'MlflowResetAfterGRU';

/** What this cell uses of tfjs-layers' GRUCell (public fields in its typings, protected methods at runtime). */
interface GruCellFields {
  units: number;
  useBias: boolean;
  activation: { apply(t: tf.Tensor): tf.Tensor };
  recurrentActivation: { apply(t: tf.Tensor): tf.Tensor };
  kernel: tf.LayerVariable;
  recurrentKernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  kernelInitializer: unknown; recurrentInitializer: unknown; biasInitializer: unknown;
  kernelRegularizer: unknown; recurrentRegularizer: unknown; biasRegularizer: unknown;
  kernelConstraint: unknown; recurrentConstraint: unknown; biasConstraint: unknown;
  built: boolean;
  addWeight(name: string, shape: number[], dtype: unknown, init: unknown, reg: unknown, trainable: boolean, constraint: unknown): tf.LayerVariable;
}

type GruCellCtor = new (args: Record<string, unknown>) => tf.layers.Layer & GruCellFields;

let registered = false;

/**
 * Registers a GRU layer computing Keras's reset_after=true variant, which tfjs-layers' GRU refuses:
 * the reset gate multiplies the recurrent term after its matmul, and the bias holds two rows
 * (input and recurrent). Everything else (activations, sequences, go_backwards) is tfjs's RNN.
 */
export function registerResetAfterGru(): void {
  if (registered) return;
  // tfjs exports the GRUCell class only through its instances.
  const GruCell = Object.getPrototypeOf(tf.layers.gruCell({ units: 1 })).constructor as GruCellCtor;

  class ResetAfterGruCell extends GruCell {
    static className = `${RESET_AFTER_GRU}Cell`;

    constructor(args: Record<string, unknown>) {
      super({ ...args, resetAfter: false });
    }

    override build(inputShape: tf.Shape | tf.Shape[]): void {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
      const inputDim = shape[shape.length - 1] as number;
      const u = this.units;
      this.kernel = this.addWeight('kernel', [inputDim, 3 * u], null, this.kernelInitializer, this.kernelRegularizer, true, this.kernelConstraint);
      this.recurrentKernel = this.addWeight(
        'recurrent_kernel', [u, 3 * u], null, this.recurrentInitializer, this.recurrentRegularizer, true, this.recurrentConstraint,
      );
      this.bias = this.useBias
        ? this.addWeight('bias', [2, 3 * u], null, this.biasInitializer, this.biasRegularizer, true, this.biasConstraint)
        : null;
      this.built = true;
    }

    override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
      return tf.tidy(() => {
        const [x, h] = inputs as tf.Tensor[];
        let mx = tf.matMul(x, this.kernel.read());
        let mh = tf.matMul(h, this.recurrentKernel.read());
        if (this.bias) {
          const [bx, bh] = tf.unstack(this.bias.read());
          mx = tf.add(mx, bx);
          mh = tf.add(mh, bh);
        }
        const [xz, xr, xh] = tf.split(mx, 3, -1);
        const [hz, hr, hh] = tf.split(mh, 3, -1);
        const z = this.recurrentActivation.apply(tf.add(xz, hz));
        const r = this.recurrentActivation.apply(tf.add(xr, hr));
        const candidate = this.activation.apply(tf.add(xh, tf.mul(r, hh)));
        const out = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate));
        return [out, out];
      });
    }
  }

  class ResetAfterGru extends tf.RNN {
    static override className = RESET_AFTER_GRU;

    constructor(args: Record<string, unknown>) {
      super({ ...args, cell: new ResetAfterGruCell(args) } as unknown as ConstructorParameters<typeof tf.RNN>[0]);
    }

    // The config is a GRU's (units, activations...), not RNN's (a serialized cell).
    static override fromConfig<T extends tf.serialization.Serializable>(
      cls: tf.serialization.SerializableConstructor<T>,
      config: tf.serialization.ConfigDict,
    ): T {
      return new cls(config);
    }
  }

  tf.serialization.registerClass(ResetAfterGru as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
  registered = true;
}
