import { isFrame, type ColumnData, type Frame } from '../../frame/frame.js';
import { isTensor, type Tensor } from '../../frame/tensor.js';
import { tensorFromJson } from '../../frame/tensor-json.js';
import { datatypeOf, elementBytes, type V2Datatype } from './datatypes.js';
import { V2Error } from './v2-error.js';

/** One output tensor of an inference response, before it is written. */
export interface V2Output {
  name: string;
  datatype: V2Datatype;
  shape: number[];
  /** Row-major values as they go into JSON (NaN becomes null). */
  data: ArrayLike<unknown>;
  contentType?: string;
}

/** The name MLServer gives the one output of a model that returns a single array. */
export const SINGLE_OUTPUT_NAME = 'output-1';

/**
 * A prediction as MLServer's MLflow runtime encodes it: a table one output per column ([n, 1]),
 * an array one output named output-1 (a 1-D array gets a batch dimension: [n, 1]), named arrays
 * one output each.
 */
export function encodeV2Outputs(prediction: unknown): V2Output[] {
  if (isFrame(prediction)) return frameOutputs(prediction);
  if (isTensor(prediction)) return [tensorOutput(SINGLE_OUTPUT_NAME, prediction)];
  if (ArrayBuffer.isView(prediction) || Array.isArray(prediction)) {
    return [tensorOutput(SINGLE_OUTPUT_NAME, asTensor(prediction))];
  }
  if (typeof prediction === 'object' && prediction !== null) {
    return Object.entries(prediction).map(([name, value]) => tensorOutput(name, isTensor(value) ? value : asTensor(value)));
  }
  return [tensorOutput(SINGLE_OUTPUT_NAME, asTensor([prediction]))];
}

function asTensor(value: unknown): Tensor {
  if (isTensor(value)) return value;
  const plain = ArrayBuffer.isView(value) ? Array.from(value as unknown as ArrayLike<number>) : value;
  try {
    return tensorFromJson(plain, { ragged: 'object' });
  } catch {
    throw new V2Error("The model's prediction cannot be written as V2 tensors", 500);
  }
}

function tensorOutput(name: string, t: Tensor): V2Output {
  const shape = t.shape.length >= 2 ? [...t.shape] : [t.shape[0] ?? 1, 1];
  if (t.dtype === 'string' || t.dtype === 'object') return { name, shape, ...bytesData(t.data) };
  return { name, datatype: datatypeOf(t.dtype), shape, data: t.data, contentType: 'np' };
}

function frameOutputs(frame: Frame): V2Output[] {
  return frame.columns.map((c) => ({ name: c.name, shape: [frame.numRows, 1], ...columnData(c.data) }));
}

function columnData(d: ColumnData): Pick<V2Output, 'datatype' | 'data' | 'contentType'> {
  switch (d.kind) {
    case 'number': return { datatype: datatypeOf(d.dtype), data: d.values };
    case 'bool': return { datatype: 'BOOL', data: d.values };
    case 'string': return { datatype: 'BYTES', data: d.values, contentType: 'str' };
    case 'binary': return { datatype: 'BYTES', data: d.values.map((b) => (b === null ? null : Buffer.from(b).toString('base64'))), contentType: 'base64' };
    case 'datetime': return { datatype: 'BYTES', data: d.values.map((v) => v?.toISOString() ?? null), contentType: 'datetime' };
    case 'object': return bytesData(d.values);
  }
}

/** Strings go as they are; anything else as its JSON text (MLServer's pd_json). */
function bytesData(values: readonly unknown[]): Pick<V2Output, 'datatype' | 'data' | 'contentType'> {
  if (values.every((v) => typeof v === 'string' || v === null)) return { datatype: 'BYTES', data: values, contentType: 'str' };
  return { datatype: 'BYTES', data: values.map((v) => JSON.stringify(v) ?? null), contentType: 'pd_json' };
}

/** The outputs the client asked for, in its order; an unknown name is its error. */
export function selectOutputs(outputs: V2Output[], requested: readonly { name: string }[] | undefined): V2Output[] {
  if (!requested || requested.length === 0) return outputs;
  return requested.map(({ name }) => {
    const found = outputs.find((o) => o.name === name);
    if (!found) throw new V2Error(`Output '${name}' is not among the model's outputs (${outputs.map((o) => o.name).join(', ')})`);
    return found;
  });
}

/** An output's values in the binary tensor data extension (little-endian; BYTES length-prefixed). */
export function outputBytes(o: V2Output): Buffer {
  if (o.datatype === 'BYTES') {
    const parts: Buffer[] = [];
    for (const v of Array.from(o.data)) {
      const b = Buffer.from(v === null || v === undefined ? '' : String(v), 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      parts.push(len, b);
    }
    return Buffer.concat(parts);
  }
  const n = o.data.length;
  const out = Buffer.alloc(n * elementBytes(o.datatype));
  for (let i = 0; i < n; i++) {
    const v = Number(o.data[i] ?? NaN);
    switch (o.datatype) {
      case 'BOOL': out.writeUInt8(v ? 1 : 0, i); break;
      case 'INT8': out.writeInt8(v, i); break;
      case 'UINT8': out.writeUInt8(v, i); break;
      case 'INT16': out.writeInt16LE(v, i * 2); break;
      case 'UINT16': out.writeUInt16LE(v, i * 2); break;
      case 'INT32': out.writeInt32LE(v, i * 4); break;
      case 'UINT32': out.writeUInt32LE(v, i * 4); break;
      case 'INT64': out.writeBigInt64LE(BigInt(v), i * 8); break;
      case 'UINT64': out.writeBigUInt64LE(BigInt(v), i * 8); break;
      case 'FP32': out.writeFloatLE(v, i * 4); break;
      case 'FP64': out.writeDoubleLE(v, i * 8); break;
      case 'FP16': throw new V2Error('FP16 outputs cannot be sent as binary data here', 500);
    }
  }
  return out;
}
