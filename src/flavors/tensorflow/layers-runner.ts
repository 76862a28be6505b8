import * as tf from '../../tfjs/tf.js';
import { fastKernel, type LayerKernel } from './fast-layers.js';

type LayerNode = tf.layers.Layer['inboundNodes'][number];
type Symbolic = tf.SymbolicTensor;

/** Runs a layers model on concrete tensors: one tensor per model input in, one per model output out. */
export interface LayersRunner {
  /** The model's outputs; intermediate tensors are disposed, the inputs are left to the caller. */
  run(inputs: tf.Tensor[]): tf.Tensor[];
  dispose(): void;
}

/** Merge, recurrent and wrapper layers: their computeMask gives no mask when given none. */
const NO_MASK_OF_THEIR_OWN = new Set([
  'Add', 'Average', 'Concatenate', 'Dot', 'Maximum', 'Minimum', 'Multiply', 'Subtract',
  'RNN', 'SimpleRNN', 'GRU', 'LSTM', 'ConvLSTM2D', 'Bidirectional', 'TimeDistributed',
]);

/**
 * Whether a layer can make a Keras mask from no mask (Masking, Embedding(mask_zero), or any layer
 * with a computeMask of its own that is not known to pass masks through only).
 */
function makesMasks(layer: tf.layers.Layer): boolean {
  if (layer instanceof tf.LayersModel) return layer.layers.some(makesMasks);
  const cls = layer.getClassName();
  if (cls === 'Masking') return true;
  if (cls === 'Embedding') return (layer.getConfig() as { maskZero?: boolean }).maskZero === true;
  return layer.computeMask !== tf.layers.Layer.prototype.computeMask && !NO_MASK_OF_THEIR_OWN.has(cls);
}

function nodeOf(t: Symbolic): LayerNode {
  return t.sourceLayer.inboundNodes[t.nodeIndex];
}

/** The nodes computing `outputs` from `inputs`, each after the nodes it reads; undefined if an input is missing. */
function topologicalNodes(inputs: readonly Symbolic[], outputs: readonly Symbolic[]): LayerNode[] | undefined {
  const fed = new Set(inputs.map((t) => t.id));
  const done = new Set<number>();
  const order: LayerNode[] = [];
  const visit = (t: Symbolic): boolean => {
    if (fed.has(t.id)) return true;
    const node = nodeOf(t);
    if (node === undefined || node.outboundLayer.getClassName() === 'InputLayer') return false;
    if (done.has(node.id)) return true;
    done.add(node.id);
    if (!node.inputTensors.every(visit)) return false;
    order.push(node);
    return true;
  };
  return outputs.every(visit) ? order : undefined;
}

interface Step {
  inputs: number[];
  outputs: number[];
  run: (xs: tf.Tensor[]) => tf.Tensor[];
}

/**
 * A layers model's computation without LayersModel.predict's per-call work (input standardising,
 * batch slicing and re-concatenation: ~1 ms of a 1-row request on a small model, more than the
 * model itself) and with faster kernels for layers tfjs-backend-wasm computes slowly (fast-layers.ts).
 * Each layer's own call() runs otherwise, on the same inputs tfjs-layers' execute() gives it.
 * Keras masks are tfjs-layers' business: a model that can make one is run by model.execute()
 * (the function predict() calls per batch), whole.
 */
export function layersRunner(model: tf.LayersModel): LayersRunner {
  const outputNames = model.outputs.map((o) => o.name);
  const byExecute: LayersRunner = {
    run: (xs) => [model.execute(xs, outputNames)].flat(),
    dispose() {},
  };
  if (model.layers.some(makesMasks)) return byExecute;
  const nodes = topologicalNodes(model.inputs, model.outputs);
  if (nodes === undefined) return byExecute;
  const kernels: LayerKernel[] = [];
  const steps: Step[] = nodes.map((node) => {
    const layer = node.outboundLayer;
    const kernel = fastKernel(layer);
    if (kernel) kernels.push(kernel);
    return {
      inputs: node.inputTensors.map((t) => t.id),
      outputs: node.outputTensors.map((t) => t.id),
      // As execute() calls it: the inputs as a list, no keyword arguments (inference, no mask).
      run: kernel ? (xs) => [kernel.run(xs)] : (xs) => [layer.call(xs, {})].flat(),
    };
  });
  const inputIds = model.inputs.map((t) => t.id);
  const outputIds = model.outputs.map((t) => t.id);
  // How many steps read each tensor; a model output is read once more, by the caller.
  const readers = new Map<number, number>();
  for (const id of [...steps.flatMap((s) => s.inputs), ...outputIds]) readers.set(id, (readers.get(id) ?? 0) + 1);
  return {
    run(xs) {
      const values = new Map<number, tf.Tensor>(inputIds.map((id, i) => [id, xs[i]]));
      const left = new Map(readers);
      const given = new Set(xs);
      for (const step of steps) {
        const ins = step.inputs.map((id) => values.get(id) as tf.Tensor);
        const outs = tf.tidy(() => step.run(ins));
        step.outputs.forEach((id, i) => values.set(id, outs[i]));
        // A tensor no later step reads is freed now, as execute() does, unless another name still
        // holds it (layers may return their input) or the caller gave it.
        for (const id of step.inputs) {
          const n = (left.get(id) ?? 0) - 1;
          left.set(id, n);
          if (n > 0) continue;
          const t = values.get(id) as tf.Tensor;
          values.delete(id);
          if (!given.has(t) && ![...values.values()].includes(t)) t.dispose();
        }
      }
      return outputIds.map((id) => values.get(id) as tf.Tensor);
    },
    dispose() {
      for (const k of kernels) k.dispose();
    },
  };
}
