/**
 * TensorFlow.js as this project uses it: tfjs-core, tfjs-layers, tfjs-converter and the cpu
 * backend (tfjs-backend-wasm is registered on demand by backend.ts). The @tensorflow/tfjs
 * umbrella would add the webgl backend and tfjs-data, which Node never runs. Every module that
 * imports this one is itself loaded by dynamic import through importOptional, so an install
 * without these optional packages still loads mlflow-ts and names the `npm install` that brings them.
 */
import * as core from '@tensorflow/tfjs-core';
import { version_core } from '@tensorflow/tfjs-core';
// The types of the chained tensor methods (t.reshape(), ...); their code is registered below.
import type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
import { version_converter } from '@tensorflow/tfjs-converter';
import { version_layers } from '@tensorflow/tfjs-layers';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
export * from '@tensorflow/tfjs-converter';

/** The versions of the tfjs packages in use (part of the converted-graph cache key). */
export const version = {
  'tfjs-core': version_core,
  'tfjs-converter': version_converter,
  'tfjs-layers': version_layers,
  'tfjs-backend-cpu': version_cpu,
};

/**
 * The chained tensor methods this project calls (t.reshape(...) for tf.reshape(t, ...)). The
 * @tensorflow/tfjs umbrella registered them all; tfjs-core's Node bundle registers none, and its
 * ES module files cannot be loaded by Node. Each is the op with the tensor as first argument,
 * exactly as tfjs-core's own chained_ops define them.
 */
const CHAINED = ['reshape', 'expandDims', 'squeeze', 'transpose', 'add', 'sub', 'mul', 'div', 'matMul', 'sum', 'mean',
  'max', 'min', 'softmax', 'tanh', 'sqrt', 'pad', 'tile', 'slice', 'reverse', 'floor', 'ceil', 'relu', 'sigmoid', 'exp',
  'log', 'neg', 'square', 'abs', 'cast', 'flatten'] as const;
const proto = core.Tensor.prototype as unknown as Record<string, unknown>;
for (const name of CHAINED) {
  if (typeof proto[name] === 'function') continue;
  const op = (core as unknown as Record<string, (...args: unknown[]) => unknown>)[name];
  proto[name] = function (this: core.Tensor, ...args: unknown[]): unknown {
    return op(this, ...args);
  };
}
