import * as tf from '../../tfjs/tf.js';
import { MlflowError } from '../../errors.js';
import { arrayTypeOf, type NumericDType } from '../../frame/frame.js';
import { makeTensor, type Tensor } from '../../frame/tensor.js';
import { DT, dataTypeName } from '../../formats/protobuf/index.js';
import { runWithFallback } from '../../tfjs/backend.js';
import { checkShape } from './check-shape.js';
import type { SignatureTensor } from './freeze.js';
import type { SavedModelSignature } from './saved-model.js';
import { tfjsDtype } from './tfjs-artifacts.js';

/** numpy dtype of each TensorFlow dtype a signature output may have. */
const NUMPY_DTYPE: Record<number, NumericDType | 'bool' | 'string'> = {
  [DT.FLOAT]: 'float32', [DT.DOUBLE]: 'float64', [DT.HALF]: 'float32', [DT.BFLOAT16]: 'float32',
  [DT.INT32]: 'int32', [DT.INT64]: 'int64', [DT.INT16]: 'int16', [DT.INT8]: 'int8', [DT.UINT8]: 'uint8',
  [DT.UINT16]: 'uint16', [DT.UINT32]: 'uint32', [DT.UINT64]: 'uint64', [DT.BOOL]: 'bool', [DT.STRING]: 'string',
};

function toTf(t: Tensor, spec: SignatureTensor, what: string): tf.Tensor {
  const dtype = tfjsDtype(spec.dtype);
  const shape = [...t.shape];
  if (dtype === 'string') {
    if (t.dtype !== 'string' && t.dtype !== 'object') throw new MlflowError(`${what}: expects strings, got ${t.dtype}`, 'INVALID_PARAMETER_VALUE');
    return tf.tensor(t.data.map((v) => (v instanceof Uint8Array ? v : String(v))) as string[], shape, 'string');
  }
  if (t.dtype === 'string' || t.dtype === 'object') {
    throw new MlflowError(`${what}: expects ${dataTypeName(spec.dtype)} values, got ${t.dtype}`, 'INVALID_PARAMETER_VALUE');
  }
  if (dtype === 'bool') return tf.tensor(Uint8Array.from(t.data, (v) => (v ? 1 : 0)), shape, 'bool');
  // tfjs only reads its inputs, so float32 data goes in as is: copying a large batch costs more
  // than a small graph's whole run.
  if (dtype === 'float32') return tf.tensor(t.data instanceof Float32Array ? t.data : Float32Array.from(t.data), shape, 'float32');
  if (dtype !== 'int32') throw new MlflowError(`${what}: dtype ${dataTypeName(spec.dtype)} is not supported`, 'NOT_IMPLEMENTED');
  const ints = new Int32Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const v = Number(t.data[i]);
    // Refuse rather than truncate or wrap: a silent change of value is a wrong answer.
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
      throw new MlflowError(`${what}: value at position ${i} does not fit ${dataTypeName(spec.dtype)} as tfjs computes it (int32)`, 'INVALID_PARAMETER_VALUE');
    }
    ints[i] = v;
  }
  return tf.tensor(ints, shape, 'int32');
}

async function fromTf(t: tf.Tensor, spec: SignatureTensor): Promise<Tensor> {
  const dtype = NUMPY_DTYPE[spec.dtype] ?? 'float32';
  const shape = [...t.shape];
  if (dtype === 'string') {
    const dec = new TextDecoder();
    const bytes = (await t.data()) as unknown as Uint8Array[];
    return makeTensor({ dtype: 'string', shape, data: bytes.map((b) => dec.decode(b)) });
  }
  const data = await t.data();
  if (dtype === 'bool') return makeTensor({ dtype: 'bool', shape, data: Uint8Array.from(data as ArrayLike<number>) });
  // Always a copy: on the cpu backend data() hands out the tensor's own buffer, which can be a
  // weight's (an output that is an Identity of a constant).
  const values = data as ArrayLike<number>;
  const out = new (arrayTypeOf(dtype))(values.length);
  out.set(values);
  return makeTensor({ dtype, shape, data: out });
}

/**
 * execute() when the graph allows it; executeAsync() for control flow and dynamic-shape ops,
 * which tfjs's execute() refuses before running anything.
 */
async function execute(model: tf.GraphModel, inputs: tf.NamedTensorMap, outputs: string[]): Promise<tf.Tensor | tf.Tensor[]> {
  try {
    return model.execute(inputs, outputs);
  } catch (err) {
    if (!(err as Error).message.includes('executeAsync')) throw err;
    return model.executeAsync(inputs, outputs);
  }
}

function failed(sig: SavedModelSignature, err: unknown, feeds: Record<string, Tensor>): MlflowError {
  if (err instanceof MlflowError) return err;
  // TensorFlow does not check fed shapes either (a graph that computes with them answers), but
  // when the graph fails, an input whose shape is not the declared one is the reason to name.
  for (const spec of sig.inputs) checkShape(feeds[spec.key].shape, spec.shape, `Input '${spec.key}' of signature '${sig.signatureKey}'`);
  // A TypeError comes from inside tfjs's executor, not from the request: the graph is what fails.
  if (err instanceof TypeError) {
    return new MlflowError(`Signature '${sig.signatureKey}' cannot be run natively: tfjs fails inside this graph`, 'NOT_IMPLEMENTED', { cause: err });
  }
  return new MlflowError(`Signature '${sig.signatureKey}' failed: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE', { cause: err });
}

async function runOnce(sig: SavedModelSignature, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const inputs: tf.NamedTensorMap = {};
  const outs: tf.Tensor[] = [];
  try {
    for (const spec of sig.inputs) inputs[spec.ref] = toTf(feeds[spec.key], spec, `Input '${spec.key}' of signature '${sig.signatureKey}'`);
    const result = await execute(sig.model, inputs, sig.outputs.map((o) => o.ref));
    outs.push(...(Array.isArray(result) ? result : [result]));
    const out: Record<string, Tensor> = {};
    for (let i = 0; i < sig.outputs.length; i++) out[sig.outputs[i].key] = await fromTf(outs[i], sig.outputs[i]);
    return out;
  } finally {
    tf.dispose(Object.values(inputs));
    // An output may be one of the graph's weights (an Identity of a constant): it must outlive the request.
    const weights = new Set(Object.values(sig.model.weights).flat());
    tf.dispose(outs.filter((t) => !weights.has(t)));
  }
}

/**
 * Runs the signature on named tensors (every signature input is required, as in TensorFlow) and
 * returns one tensor per output key, in the output's declared dtype (int64 outputs come back as
 * int64 though tfjs computed them in int32). A graph that fails on wasm is run again on cpu.
 */
export async function runSignature(sig: SavedModelSignature, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const missing = sig.inputs.filter((i) => !(i.key in feeds)).map((i) => i.key);
  const extra = Object.keys(feeds).filter((k) => !sig.inputs.some((i) => i.key === k));
  if (missing.length > 0 || extra.length > 0) {
    throw new MlflowError(
      `Signature '${sig.signatureKey}' takes inputs ${sig.inputs.map((i) => `'${i.key}'`).join(', ')}` +
        (missing.length > 0 ? `; missing ${missing.map((k) => `'${k}'`).join(', ')}` : '') +
        (extra.length > 0 ? `; unknown ${extra.map((k) => `'${k}'`).join(', ')}` : ''),
      'INVALID_PARAMETER_VALUE',
    );
  }
  // tfjs-backend-wasm 4.22 lacks some kernels cpu has (FFT, Einsum, Complex, ragged ops, ...):
  // a graph that fails there moves to cpu.
  return runWithFallback(sig, () => runOnce(sig, feeds), (err) => failed(sig, err, feeds));
}

/**
 * Runs the signature once on zeros (unknown dimensions as 1) so that a graph tfjs cannot run is
 * refused at load, naming the model, rather than at each request. Signatures taking strings or
 * inputs of unknown rank are not probed; an error about the values themselves is left to requests.
 */
export async function probeSignature(sig: SavedModelSignature, dir: string): Promise<void> {
  if (sig.inputs.some((i) => i.shape === undefined || tfjsDtype(i.dtype) === 'string')) return;
  const feeds: Record<string, Tensor> = {};
  for (const i of sig.inputs) {
    const shape = (i.shape as number[]).map((d) => (d < 0 ? 1 : d));
    const size = shape.reduce((a, b) => a * b, 1);
    feeds[i.key] = tfjsDtype(i.dtype) === 'float32'
      ? makeTensor({ dtype: 'float32', shape, data: new Float32Array(size) })
      : makeTensor({ dtype: 'int32', shape, data: new Int32Array(size) });
  }
  try {
    await runSignature(sig, feeds);
  } catch (err) {
    if (err instanceof MlflowError && err.errorCode === 'NOT_IMPLEMENTED') throw new MlflowError(`SavedModel ${dir}: ${err.message}`, 'NOT_IMPLEMENTED', { cause: err });
  }
}
