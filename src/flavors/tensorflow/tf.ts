/**
 * TensorFlow.js as this project uses it: tfjs-core, tfjs-layers, tfjs-converter and the cpu
 * backend (tfjs-backend-wasm is registered on demand by backend.ts). The @tensorflow/tfjs
 * umbrella would add the webgl backend and tfjs-data, which Node never runs. Every module that
 * imports this one is itself loaded by dynamic import through importOptional, so an install
 * without these optional packages still loads mlflow-ts and names the `npm install` that brings them.
 */
import { version_core } from '@tensorflow/tfjs-core';
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
