import * as tf from '../../tfjs/tf.js';
import { EXTRA_LAYERS } from './keras-extra-layers.js';

function asList(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(inputs) ? inputs : [inputs];
}

/** Keras's causal mask [1, T, S]: query position t sees value positions s <= t. */
function causalMask(t: number, s: number): tf.Tensor {
  return tf.tidy(() => tf.greaterEqual(tf.range(0, t).reshape([t, 1]), tf.range(0, s).reshape([1, s])).expandDims(0));
}

/** softmax over the last axis, with the scores where mask is false pushed down by 1e9 (as Keras's attention layers do). */
function maskedSoftmax(scores: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
  if (mask === null) return tf.softmax(scores);
  return tf.softmax(tf.where(tf.broadcastTo(mask, scores.shape), scores, tf.sub(scores, 1e9)));
}

/**
 * The shared part of Keras's Attention and AdditiveAttention: the causal mask when the call asked
 * for one (the loader puts use_causal_mask in the config), softmax, weighted values. The loader
 * refuses models with Keras masks around these layers: tfjs would pass them the query's mask only.
 */
abstract class BaseAttention extends tf.layers.Layer {
  protected readonly useScale: boolean;
  protected readonly useCausalMask: boolean;

  constructor(args: { name?: string; useScale?: boolean; useCausalMask?: boolean }) {
    super(args);
    this.useScale = args.useScale ?? false;
    this.useCausalMask = args.useCausalMask ?? false;
  }

  protected abstract scores(q: tf.Tensor, k: tf.Tensor): tf.Tensor;

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [q, v, k = v] = asList(inputs);
      const scores = this.scores(q, k);
      const [, tq, tv] = scores.shape as number[];
      return tf.matMul(maskedSoftmax(scores, this.useCausalMask ? causalMask(tq, tv) : null), v);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = inputShape as tf.Shape[];
    return [...shapes[0].slice(0, -1), shapes[1][shapes[1].length - 1]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), useScale: this.useScale, useCausalMask: this.useCausalMask };
  }
}

/** Keras's Attention (Luong): dot scores (times `scale` when use_scale) or concat scores. */
class KerasAttention extends BaseAttention {
  static className = EXTRA_LAYERS.attention;
  private readonly scoreMode: string;
  private scale: tf.LayerVariable | null = null;
  private concatWeight: tf.LayerVariable | null = null;

  constructor(args: { name?: string; useScale?: boolean; useCausalMask?: boolean; scoreMode?: string }) {
    super(args);
    this.scoreMode = args.scoreMode ?? 'dot';
    if (this.scoreMode !== 'dot' && this.scoreMode !== 'concat') throw new Error(`Attention score_mode '${this.scoreMode}' is not supported`);
  }

  override build(): void {
    // Keras creates them in this order, which is the order they are saved in.
    if (this.useScale) this.scale = this.addWeight('scale', [], 'float32', tf.initializers.ones());
    if (this.scoreMode === 'concat') this.concatWeight = this.addWeight('concat_score_weight', [], 'float32', tf.initializers.ones());
    this.built = true;
  }

  protected scores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
    if (this.scoreMode === 'dot') {
      const s = tf.matMul(q, k, false, true);
      return this.scale === null ? s : tf.mul(s, this.scale.read());
    }
    let sum = tf.add(q.expandDims(-2), k.expandDims(-3));
    if (this.scale !== null) sum = tf.mul(this.scale.read(), sum);
    return tf.mul(this.concatWeight!.read(), tf.sum(tf.tanh(sum), -1));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scoreMode: this.scoreMode };
  }
}

/** Keras's AdditiveAttention (Bahdanau): sum(scale * tanh(q + k)) over the features. */
class KerasAdditiveAttention extends BaseAttention {
  static className = EXTRA_LAYERS.additiveAttention;
  private scale: tf.LayerVariable | null = null;

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const q = (inputShape as tf.Shape[])[0];
    if (this.useScale) this.scale = this.addWeight('scale', [q[q.length - 1] as number], 'float32', tf.initializers.ones());
    this.built = true;
  }

  protected scores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
    const t = tf.tanh(tf.add(q.expandDims(-2), k.expandDims(-3)));
    return tf.sum(this.scale === null ? t : tf.mul(this.scale.read(), t), -1);
  }
}

interface MhaArgs {
  name?: string;
  numHeads: number;
  keyDim: number;
  valueDim?: number | null;
  useBias?: boolean;
  outputShape?: number | number[] | null;
  attentionAxes?: number | number[] | null;
  useCausalMask?: boolean;
}

/** A projection's kernel [D, ...] and bias. */
interface Dense {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
}

/**
 * Keras 3's MultiHeadAttention on [batch, steps, features] inputs (attention over axis 1):
 * query/key/value projected to [B, T, heads, dim], softmax(q·k / sqrt(key_dim)) (causal when the
 * call asked for it), the heads projected back. Keras masks are refused by the loader.
 */
class KerasMultiHeadAttention extends tf.layers.Layer {
  static className = EXTRA_LAYERS.multiHeadAttention;
  private readonly heads: number;
  private readonly keyDim: number;
  private readonly valueDim: number;
  private readonly useBias: boolean;
  private readonly outDim: number | null;
  private readonly axes: number | number[] | null;
  private readonly useCausalMask: boolean;
  private dense: { query: Dense; key: Dense; value: Dense; output: Dense } | null = null;

  constructor(args: MhaArgs) {
    super(args);
    this.heads = args.numHeads;
    this.useCausalMask = args.useCausalMask ?? false;
    this.keyDim = args.keyDim;
    this.valueDim = args.valueDim ?? args.keyDim;
    this.useBias = args.useBias ?? true;
    this.axes = args.attentionAxes ?? null;
    const o = args.outputShape ?? null;
    if (Array.isArray(o) && o.length !== 1) throw new Error(`MultiHeadAttention output_shape ${JSON.stringify(o)} is not supported (one dimension only)`);
    this.outDim = Array.isArray(o) ? o[0] : o;
  }

  private project(name: string, inDims: number[], outDims: number[], biasDims: number[]): Dense {
    const kernel = this.addWeight(`${name}/kernel`, [...inDims, ...outDims], 'float32', tf.initializers.zeros());
    const bias = this.useBias ? this.addWeight(`${name}/bias`, biasDims, 'float32', tf.initializers.zeros()) : null;
    return { kernel, bias };
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [q, v, k = v] = inputShape as tf.Shape[];
    if (q.length !== 3 || v.length !== 3 || k.length !== 3) throw new Error('MultiHeadAttention is supported natively on [batch, steps, features] inputs only');
    const axes = this.axes;
    if (axes !== null && !(axes === 1 || (Array.isArray(axes) && axes.length === 1 && (axes[0] === 1 || axes[0] === -2)))) {
      throw new Error(`MultiHeadAttention attention_axes ${JSON.stringify(axes)} is not supported natively`);
    }
    const last = (s: tf.Shape): number => s[s.length - 1] as number;
    const out = this.outDim ?? last(q);
    const { heads: n, keyDim: h, valueDim: hv } = this;
    // Keras's order (and the legacy .h5's): query, key, value, output; kernel then bias.
    this.dense = {
      query: this.project('query', [last(q)], [n, h], [n, h]),
      key: this.project('key', [last(k)], [n, h], [n, h]),
      value: this.project('value', [last(v)], [n, hv], [n, hv]),
      output: this.project('attention_output', [n, hv], [out], [out]),
    };
    this.built = true;
  }

  /** x [B, T, D] through a kernel [D, N, H] (+ bias [N, H]) as [B, N, T, H]. */
  private heads4(x: tf.Tensor, d: Dense, dim: number): tf.Tensor {
    const [b, t, f] = x.shape;
    let y = tf.matMul(x.reshape([b * t, f]), d.kernel.read().reshape([f, this.heads * dim]));
    if (d.bias !== null) y = tf.add(y, d.bias.read().reshape([this.heads * dim]));
    return y.reshape([b, t, this.heads, dim]).transpose([0, 2, 1, 3]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [query, value, key = value] = asList(inputs);
      const d = this.dense!;
      const [b, t] = query.shape as number[];
      const s = value.shape[1] as number;
      const q = tf.mul(this.heads4(query, d.query, this.keyDim), 1 / Math.sqrt(this.keyDim));
      const k = this.heads4(key, d.key, this.keyDim);
      const v = this.heads4(value, d.value, this.valueDim);
      const weights = maskedSoftmax(tf.matMul(q, k, false, true), this.useCausalMask ? causalMask(t, s).expandDims(1) : null);
      const heads = tf.matMul(weights, v).transpose([0, 2, 1, 3]).reshape([b * t, this.heads * this.valueDim]);
      const outKernel = d.output.kernel.read();
      const outDim = outKernel.shape[outKernel.rank - 1];
      let y = tf.matMul(heads, outKernel.reshape([this.heads * this.valueDim, outDim]));
      if (d.output.bias !== null) y = tf.add(y, d.output.bias.read());
      return y.reshape([b, t, outDim]);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const q = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...q.slice(0, -1), this.outDim ?? q[q.length - 1]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(), numHeads: this.heads, keyDim: this.keyDim, valueDim: this.valueDim, useBias: this.useBias,
      outputShape: this.outDim, attentionAxes: this.axes, useCausalMask: this.useCausalMask,
    };
  }
}

let registered = false;

/** Registers the attention layers with tfjs's deserializer, once per process. */
export function registerAttentionLayers(): void {
  if (registered) return;
  for (const cls of [KerasAttention, KerasAdditiveAttention, KerasMultiHeadAttention]) {
    tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
  }
  registered = true;
}
