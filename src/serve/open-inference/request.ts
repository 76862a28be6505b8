import { arrayTypeOf, Frame, type ColumnData, type NumericArray, type NumericDType } from '../../frame/frame.js';
import { makeTensor, sizeOfShape, type Tensor } from '../../frame/tensor.js';
import { halfToFloat } from '../../formats/half-float.js';
import type { Schema } from '../../model/signature.js';
import { elementBytes, isV2Datatype, numericDtypeOf, type V2Datatype } from './datatypes.js';
import { V2Error } from './v2-error.js';

/** One input tensor of an inference request, checked. */
export interface V2Input {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: V2Datatype;
  readonly contentType?: string;
  /** Row-major values: numbers, booleans, strings, or byte strings from the binary extension. */
  readonly data: ArrayLike<unknown>;
}

/** An inference request, checked: what the model gets and what the client asked back. */
export interface V2Request {
  readonly id?: string;
  readonly contentType?: string;
  readonly inputs: readonly V2Input[];
  /** Names of the outputs asked for (none: all), and which of them come back as binary. */
  readonly outputs?: readonly { name: string; binary: boolean }[];
  readonly binaryOutputs: boolean;
  readonly params?: Record<string, unknown>;
}

/** The request-level content types this server decodes, as MLServer's MLflow runtime does. */
export const REQUEST_CONTENT_TYPES = ['pd', 'np', 'dict'] as const;
type RequestContentType = (typeof REQUEST_CONTENT_TYPES)[number];

/**
 * Most binary BYTES elements one request may hold, all its inputs together. Each element becomes
 * its own byte array (MLflow's models take a list of bytes objects): about 550 bytes of memory and
 * a few microseconds across reading it and handing it over, whatever its length, so a 16 MB body
 * of 1-byte elements would be 3.3M of them (seconds of CPU, about 2 GB). MLServer decodes them
 * one Python object each with no limit; Triton keeps them in one buffer. At this count a request
 * costs at most about 75 MB beyond its body; a larger batch is refused naming the limit (send
 * it as several requests, or as JSON strings, which cost far less per element).
 */
export const MAX_BINARY_BYTES_ELEMENTS = 131_072;

/** Parameters the protocol itself uses; the others are the model's params. */
const PROTOCOL_PARAMETERS = new Set(['content_type', 'binary_data_output', 'headers']);

/**
 * Reads an inference request's JSON (and the binary tensor data after it, if any) and checks it
 * against the protocol: every field the protocol names is validated, every error names the field.
 */
export function readV2Request(doc: unknown, binary: Buffer | undefined): V2Request {
  if (!isObject(doc)) throw new V2Error('The inference request must be a JSON object');
  const { id, parameters, inputs, outputs } = doc;
  if (id !== undefined && typeof id !== 'string') throw new V2Error("'id' must be a string");
  const params = optionalObject(parameters, 'parameters');
  if (!Array.isArray(inputs) || inputs.length === 0) throw new V2Error("'inputs' must be a non-empty list of tensors");
  const reader: BinaryReader = { buffer: binary, offset: 0, bytesElements: 0 };
  const read = inputs.map((x, i) => readInput(x, i, reader));
  if (binary && reader.offset !== binary.length) {
    throw new V2Error(`The binary tensor data has ${binary.length - reader.offset} bytes that no input's binary_data_size accounts for`);
  }
  const names = new Set<string>();
  for (const x of read) {
    if (names.has(x.name)) throw new V2Error(`Input '${x.name}' appears twice`);
    names.add(x.name);
  }
  let requested: { name: string; binary: boolean }[] | undefined;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) throw new V2Error("'outputs' must be a list");
    requested = outputs.map((o, i) => {
      if (!isObject(o) || typeof o.name !== 'string') throw new V2Error(`outputs[${i}].name must be a string`);
      const p = knownParameters(o.parameters, `outputs[${i}].parameters`, OUTPUT_PARAMETERS);
      return { name: o.name, binary: flag(p?.binary_data, `outputs[${i}].parameters.binary_data`) };
    });
  }
  const contentType = params?.content_type;
  if (contentType !== undefined && typeof contentType !== 'string') throw new V2Error("parameters.content_type must be a string");
  const modelParams = params ? Object.fromEntries(Object.entries(params).filter(([k]) => !PROTOCOL_PARAMETERS.has(k))) : undefined;
  return {
    id,
    contentType,
    inputs: read,
    outputs: requested,
    binaryOutputs: flag(params?.binary_data_output, 'parameters.binary_data_output'),
    params: modelParams && Object.keys(modelParams).length > 0 ? modelParams : undefined,
  };
}

/** Where the binary tensor data is read next, and how many BYTES elements were read so far. */
interface BinaryReader {
  readonly buffer?: Buffer;
  offset: number;
  bytesElements: number;
}

function readInput(x: unknown, i: number, reader: BinaryReader): V2Input {
  const where = `inputs[${i}]`;
  if (!isObject(x)) throw new V2Error(`${where} must be a JSON object`);
  const { name, shape, datatype, parameters, data } = x;
  if (typeof name !== 'string' || name === '') throw new V2Error(`${where}.name must be a non-empty string`);
  const label = `input '${name}'`;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new V2Error(`The shape of ${label} must be a list of non-negative integers`);
  }
  if (!isV2Datatype(datatype)) throw new V2Error(`The datatype of ${label} must be one of BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES; got ${JSON.stringify(datatype) ?? 'nothing'}`);
  const p = knownParameters(parameters, `${where}.parameters`, INPUT_PARAMETERS);
  const contentType = p?.content_type;
  if (contentType !== undefined && typeof contentType !== 'string') throw new V2Error(`parameters.content_type of ${label} must be a string`);
  const size = sizeOfShape(shape as number[]);
  let values: ArrayLike<unknown>;
  if (p?.binary_data_size !== undefined) {
    if (data !== undefined) throw new V2Error(`${label} has both binary_data_size and data`);
    values = readBinary(label, datatype, p.binary_data_size, size, reader);
  } else {
    if (data === undefined) throw new V2Error(`${label} has no data`);
    values = flatten(data, label);
  }
  if (values.length !== size) {
    throw new V2Error(`${label} has ${values.length} values but its shape [${(shape as number[]).join(', ')}] needs ${size}`);
  }
  return { name, shape: shape as number[], datatype, contentType, data: values };
}

function readBinary(label: string, datatype: V2Datatype, declared: unknown, size: number, reader: BinaryReader): ArrayLike<unknown> {
  const { buffer } = reader;
  if (!buffer) throw new V2Error(`${label} has binary_data_size but the request has no Inference-Header-Content-Length header`);
  if (!Number.isSafeInteger(declared) || (declared as number) < 0) throw new V2Error(`binary_data_size of ${label} must be a non-negative integer`);
  const n = declared as number;
  if (reader.offset + n > buffer.length) {
    throw new V2Error(`binary_data_size of ${label} (${n}) runs past the end of the request (${buffer.length - reader.offset} bytes left)`);
  }
  const bytes = buffer.subarray(reader.offset, reader.offset + n);
  reader.offset += n;
  if (datatype === 'BYTES') return readLengthPrefixed(bytes, label, reader);
  const width = elementBytes(datatype);
  if (n !== size * width) throw new V2Error(`binary_data_size of ${label} is ${n} bytes but ${size} ${datatype} values take ${size * width}`);
  // Copied so the typed array starts on an aligned offset; the protocol's binary data is little-endian.
  const own = new Uint8Array(bytes).buffer;
  switch (datatype) {
    case 'BOOL': return Array.from(new Uint8Array(own), (b) => b !== 0);
    case 'FP16': return Array.from(new Uint16Array(own), halfToFloat);
    case 'INT64': return Array.from(new BigInt64Array(own), exactNumber(label));
    case 'UINT64': return Array.from(new BigUint64Array(own), exactNumber(label));
    default: return new (arrayTypeOf(numericDtypeOf(datatype) as NumericDType))(own);
  }
}

function exactNumber(label: string): (v: bigint) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new V2Error(`${label} holds ${v}, beyond the 2^53 this server holds exactly`);
    return n;
  };
}

/**
 * BYTES elements in the binary extension: each a 4-byte little-endian length, then its bytes.
 * They are counted first, so a request over MAX_BINARY_BYTES_ELEMENTS is refused before any is made.
 */
function readLengthPrefixed(bytes: Buffer, label: string, reader: BinaryReader): Uint8Array[] {
  let count = 0;
  for (let at = 0; at < bytes.length; count++) {
    if (at + 4 > bytes.length) throw new V2Error(`The BYTES data of ${label} ends inside an element's length at byte ${at}`);
    const len = bytes.readUInt32LE(at);
    at += 4;
    if (at + len > bytes.length) throw new V2Error(`The BYTES data of ${label} ends inside element ${count} (byte ${at})`);
    at += len;
  }
  reader.bytesElements += count;
  if (reader.bytesElements > MAX_BINARY_BYTES_ELEMENTS) {
    throw new V2Error(
      `The binary BYTES data of ${label} holds ${count} elements, which takes the request to ${reader.bytesElements}; ` +
      `a request may hold at most ${MAX_BINARY_BYTES_ELEMENTS} binary BYTES elements (send fewer per request, or the strings as JSON data)`,
    );
  }
  const out: Uint8Array[] = new Array(count);
  for (let i = 0, at = 0; i < count; i++) {
    const len = bytes.readUInt32LE(at);
    // A plain Uint8Array view, as a base64 element is a plain Uint8Array (a Buffer would not stay one across threads).
    out[i] = new Uint8Array(bytes.buffer, bytes.byteOffset + at + 4, len);
    at += 4 + len;
  }
  return out;
}

/** Row-major flattening of nested lists, as the protocol allows data to be sent either way. */
function flatten(data: unknown, label: string): unknown[] {
  if (!Array.isArray(data)) return [data];
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const walk = (x: unknown, depth: number): void => {
    if (depth > 32) throw new V2Error(`The data of ${label} is nested deeper than 32 levels`);
    if (Array.isArray(x)) for (const y of x) walk(y, depth + 1);
    else out.push(x);
  };
  walk(data, 0);
  return out;
}

/** Which request content type decodes this request: the client's, else the signature's. */
export function requestContentType(request: V2Request, schema: Schema | undefined): RequestContentType {
  const asked = request.contentType;
  if (asked !== undefined) {
    if (!(REQUEST_CONTENT_TYPES as readonly string[]).includes(asked)) {
      throw new V2Error(`Request content type '${asked}' is not supported here; use one of ${REQUEST_CONTENT_TYPES.join(', ')}`);
    }
    return asked as RequestContentType;
  }
  return modelContentType(schema);
}

/** The content type MLServer's MLflow runtime derives from a signature (a table without one). */
export function modelContentType(schema: Schema | undefined): RequestContentType {
  if (schema?.isTensorSpec()) return schema.hasInputNames() ? 'dict' : 'np';
  return 'pd';
}

/**
 * The model input a request decodes to: 'pd' a table with one column per input (each of shape
 * [n] or [n, 1]), 'np' the one input as a tensor, 'dict' named tensors.
 */
export function decodeV2Inputs(request: V2Request, contentType: RequestContentType): Frame | Tensor | Record<string, Tensor> {
  if (contentType === 'pd') {
    const rows = request.inputs[0].shape[0] ?? 1;
    return new Frame(request.inputs.map((x) => {
      if (x.shape.length > 2 || (x.shape.length === 2 && x.shape[1] !== 1) || (x.shape[0] ?? 1) !== rows) {
        throw new V2Error(`Input '${x.name}' has shape [${x.shape.join(', ')}]: a table column must be [${rows}] or [${rows}, 1]`);
      }
      return { name: x.name, data: columnOf(x) };
    }), rows);
  }
  if (contentType === 'np') {
    if (request.inputs.length !== 1) throw new V2Error(`This model takes one unnamed tensor; the request has ${request.inputs.length} inputs`);
    return tensorOf(request.inputs[0]);
  }
  return Object.fromEntries(request.inputs.map((x) => [x.name, tensorOf(x)]));
}

function columnOf(x: V2Input): ColumnData {
  if (x.datatype === 'BOOL') return { kind: 'bool', values: Array.from(x.data, (v) => boolOf(v, x.name)) };
  if (x.datatype === 'BYTES') return bytesColumn(x);
  const dtype = numericDtypeOf(x.datatype) as NumericDType;
  return { kind: 'number', dtype, values: numbersOf(x, dtype) };
}

function tensorOf(x: V2Input): Tensor {
  if (x.datatype === 'BOOL') {
    return makeTensor({ dtype: 'bool', shape: x.shape, data: Uint8Array.from(x.data, (v) => (boolOf(v, x.name) ? 1 : 0)) });
  }
  if (x.datatype === 'BYTES') {
    const column = bytesColumn(x);
    return makeTensor({ dtype: column.kind === 'string' ? 'string' : 'object', shape: x.shape, data: column.values as unknown[] });
  }
  const dtype = numericDtypeOf(x.datatype) as NumericDType;
  return makeTensor({ dtype, shape: x.shape, data: numbersOf(x, dtype) });
}

function numbersOf(x: V2Input, dtype: NumericDType): NumericArray {
  const Ctor = arrayTypeOf(dtype);
  if (x.data instanceof Ctor) return x.data;
  const floating = dtype === 'float32' || dtype === 'float64';
  const out = new Ctor(x.data.length);
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i];
    // numpy reads a JSON null as NaN in a float array and refuses it in an integer one.
    if (v === null && floating) out[i] = NaN;
    else if (typeof v === 'number' && (floating || Number.isInteger(v))) {
      out[i] = v;
      if (!floating && out[i] !== v) throw new V2Error(`Input '${x.name}' is ${x.datatype} but value ${i} (${v}) is out of its range`);
    }
    else if (typeof v === 'boolean') out[i] = v ? 1 : 0;
    else throw new V2Error(`Input '${x.name}' is ${x.datatype} but value ${i} is ${JSON.stringify(v) ?? String(v)}`);
  }
  return out;
}

function boolOf(v: unknown, name: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  throw new V2Error(`Input '${name}' is BOOL but holds ${JSON.stringify(v) ?? String(v)}`);
}

/** BYTES as MLServer's per-input content types read them: str, base64, datetime, pd_json, or raw. */
function bytesColumn(x: V2Input): ColumnData {
  const values = Array.from(x.data);
  const text = (v: unknown, i: number): string | null => {
    if (v === null) return null;
    if (typeof v === 'string') return v;
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    throw new V2Error(`Input '${x.name}' is BYTES but value ${i} is ${JSON.stringify(v) ?? String(v)}`);
  };
  switch (x.contentType) {
    case undefined:
      if (values.every((v) => v instanceof Uint8Array)) return { kind: 'binary', values: values as Uint8Array[] };
      return { kind: 'string', values: values.map(text) };
    case 'str':
      return { kind: 'string', values: values.map(text) };
    case 'base64':
      return { kind: 'binary', values: values.map((v, i) => { const t = text(v, i); return t === null ? null : new Uint8Array(Buffer.from(t, 'base64')); }) };
    case 'datetime':
      return {
        kind: 'datetime',
        values: values.map((v, i) => {
          const t = text(v, i);
          if (t === null) return null;
          const d = new Date(t);
          if (Number.isNaN(d.getTime())) throw new V2Error(`Input '${x.name}' value ${i} is not an ISO 8601 date-time`);
          return d;
        }),
      };
    case 'pd_json':
      return {
        kind: 'object',
        values: values.map((v, i) => {
          const t = text(v, i);
          if (t === null) return null;
          try {
            return JSON.parse(t) as unknown;
          } catch {
            throw new V2Error(`Input '${x.name}' value ${i} is not JSON, as content type pd_json needs`);
          }
        }),
      };
    default:
      if (x.contentType === 'np') return { kind: 'string', values: values.map(text) };
      throw new V2Error(`Content type '${x.contentType}' of input '${x.name}' is not supported here; use str, base64, datetime, pd_json or np`);
  }
}

/**
 * The tensor parameters this server acts on. Any other (Triton's `classification`, a codec's
 * option) is refused by name rather than ignored: ignoring it would answer something else than
 * what was asked.
 */
const INPUT_PARAMETERS = new Set(['content_type', 'binary_data_size']);
const OUTPUT_PARAMETERS = new Set(['binary_data']);

function knownParameters(x: unknown, where: string, known: ReadonlySet<string>): Record<string, unknown> | undefined {
  const p = optionalObject(x, where);
  const unknown = p ? Object.keys(p).find((k) => !known.has(k)) : undefined;
  if (unknown !== undefined) {
    throw new V2Error(`${where}.${unknown} is not supported here (supported: ${[...known].join(', ')})`);
  }
  return p;
}

function flag(x: unknown, where: string): boolean {
  if (x === undefined || x === null) return false;
  if (typeof x !== 'boolean') throw new V2Error(`${where} must be true or false`);
  return x;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function optionalObject(x: unknown, where: string): Record<string, unknown> | undefined {
  if (x === undefined || x === null) return undefined;
  if (!isObject(x)) throw new V2Error(`'${where}' must be a JSON object`);
  return x;
}
