import type * as tf from '../../tfjs/tf.js';
import { MlflowError } from '../../errors.js';
import { DT, dataTypeName, type AttrValue, type TensorShapeProto } from '../../formats/protobuf/index.js';
import type { TensorBundle, TfTensor } from '../../formats/tensorbundle/index.js';
import type { ConvertedFunction } from './control-flow.js';
import type { FrozenGraph } from './freeze.js';
import type { GraphNode } from './graph-node.js';
import { refIndex, refNode } from './graph-node.js';
import { decodeTensorProto } from './tensor-proto.js';
import { concatBytes } from '../../formats/concat-bytes.js';

type WeightDtype = 'float32' | 'int32' | 'bool' | 'string';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** The dtype tfjs computes a TensorFlow dtype in (it has no 64-bit or narrow types). */
export function tfjsDtype(dtype: number): WeightDtype | undefined {
  switch (dtype) {
    case DT.FLOAT: case DT.DOUBLE: case DT.HALF: case DT.BFLOAT16: return 'float32';
    case DT.INT32: case DT.INT64: case DT.INT16: case DT.INT8: case DT.UINT8: case DT.UINT16: case DT.UINT32: case DT.UINT64:
      return 'int32';
    case DT.BOOL: return 'bool';
    case DT.STRING: return 'string';
    default: return undefined;
  }
}

/**
 * A constant's bytes as a tfjs weight. 64-bit integers are clamped to int32: TensorFlow graphs
 * use INT64_MAX as "to the end" in slices, which clamping keeps meaning the same.
 */
function weightBytes(t: TfTensor, what: string): { dtype: WeightDtype; bytes: Uint8Array } {
  const dtype = tfjsDtype(t.dtype);
  if (dtype === undefined) throw new MlflowError(`${what}: dtype ${dataTypeName(t.dtype)} is not supported by tfjs`, 'NOT_IMPLEMENTED');
  const v = t.values;
  if (dtype === 'string') {
    const parts = v as Uint8Array[];
    const out = new Uint8Array(parts.reduce((a, p) => a + 4 + p.length, 0));
    const view = new DataView(out.buffer);
    let o = 0;
    for (const p of parts) {
      view.setUint32(o, p.length, true);
      out.set(p, o + 4);
      o += 4 + p.length;
    }
    return { dtype, bytes: out };
  }
  if (dtype === 'bool') return { dtype, bytes: Uint8Array.from(v as Uint8Array, (b) => (b ? 1 : 0)) };
  if (dtype === 'float32') {
    const f = v instanceof Float32Array ? v : Float32Array.from(v as Float64Array);
    return { dtype, bytes: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) };
  }
  const ints = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = Number((v as ArrayLike<number | bigint>)[i]);
    ints[i] = x < INT32_MIN ? INT32_MIN : x > INT32_MAX ? INT32_MAX : x;
  }
  return { dtype, bytes: new Uint8Array(ints.buffer) };
}

function shapeJson(s: TensorShapeProto): object {
  return { dim: s.dim.map((d) => ({ size: String(d.size) })), unknownRank: s.unknownRank };
}

function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
}

/** An AttrValue as tfjs reads it (protobuf JSON: bytes base64, int64 as strings). */
function attrJson(a: AttrValue): object {
  if (a.list) {
    const l = a.list;
    // Only the non-empty field: tfjs picks a list's kind by which field is present.
    const list: Record<string, unknown[]> = {};
    if (l.s.length > 0) list.s = l.s.map(base64);
    if (l.i.length > 0) list.i = l.i.map(String);
    if (l.f.length > 0) list.f = l.f;
    if (l.b.length > 0) list.b = l.b;
    if (l.type.length > 0) list.type = l.type;
    if (l.shape.length > 0) list.shape = l.shape.map(shapeJson);
    if (l.func.length > 0) list.func = l.func.map((f) => ({ name: f.name }));
    return { list };
  }
  if (a.s !== undefined) return { s: base64(a.s) };
  if (a.i !== undefined) return { i: String(a.i) };
  if (a.f !== undefined) return { f: a.f };
  if (a.b !== undefined) return { b: a.b };
  if (a.type !== undefined) return { type: a.type };
  if (a.shape) return { shape: shapeJson(a.shape) };
  if (a.func) return { func: { name: a.func.name } };
  return {};
}

function refJson(ref: string): string {
  return refIndex(ref) === 0 ? refNode(ref) : ref;
}

const ones = (n: number): object => ({ list: { i: Array.from({ length: n }, () => '1') } });
const text = (v: string): object => ({ s: Buffer.from(v).toString('base64') });

/**
 * Attribute values TensorFlow's op registry declares as defaults, which SavedModels leave out
 * (tf.saved_model.save strips default-valued attrs) and which tfjs's executors read without a
 * fallback (a Conv2D without `dilations` fails inside tfjs with a TypeError).
 */
const TF_ATTR_DEFAULTS: Record<string, Record<string, object>> = {
  Conv2D: { dilations: ones(4), data_format: text('NHWC') },
  Conv2DBackpropInput: { dilations: ones(4), data_format: text('NHWC') },
  _FusedConv2D: { dilations: ones(4), data_format: text('NHWC') },
  FusedDepthwiseConv2dNative: { dilations: ones(4), data_format: text('NHWC') },
  DepthwiseConv2dNative: { dilations: ones(4), data_format: text('NHWC') },
  Conv3D: { dilations: ones(5), data_format: text('NDHWC') },
  MaxPool: { data_format: text('NHWC') },
  AvgPool: { data_format: text('NHWC') },
  MaxPool3D: { data_format: text('NDHWC') },
  AvgPool3D: { data_format: text('NDHWC') },
  BiasAdd: { data_format: text('NHWC') },
  FusedBatchNorm: { data_format: text('NHWC'), epsilon: { f: 0.0001 } },
  FusedBatchNormV2: { data_format: text('NHWC'), epsilon: { f: 0.0001 } },
  FusedBatchNormV3: { data_format: text('NHWC'), epsilon: { f: 0.0001 } },
};

/**
 * The frozen graph and its control-flow functions as tfjs GraphModel artifacts (what model.json +
 * weights hold after tensorflowjs_converter): every Const's value moves to the weights, keyed by
 * node name.
 */
function nodeJson(n: GraphNode): object {
  const attr: Record<string, object> = {};
  for (const [k, v] of Object.entries(n.attr)) {
    // Const values travel as weights; shapes are hints tfjs would enforce more strictly than TF.
    if (v === undefined || k === 'value' || k === '_output_shapes' || (n.op === 'Placeholder' && k === 'shape')) continue;
    attr[k] = attrJson(v);
  }
  for (const [k, v] of Object.entries(TF_ATTR_DEFAULTS[n.op] ?? {})) if (!(k in n.attr)) attr[k] = v;
  return { name: n.name, op: n.op, input: n.input.map(refJson), attr };
}

function functionJson(f: ConvertedFunction): object {
  return {
    signature: { name: f.name, inputArg: f.inputArgs, outputArg: f.outputArgs },
    nodeDef: f.nodes.map(nodeJson),
    ret: Object.fromEntries(Object.entries(f.ret).map(([k, v]) => [k, refJson(v)])),
  };
}

export async function toModelArtifacts(
  g: FrozenGraph,
  functions: readonly ConvertedFunction[],
  bundle: TensorBundle | undefined,
  producer: number,
  what: string,
): Promise<tf.io.ModelArtifacts> {
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  for (const [name, source] of g.consts) {
    let t: TfTensor;
    if (source.kind === 'value') t = source.tensor;
    else if (source.kind === 'checkpoint') {
      if (!bundle) throw new MlflowError(`${what}: variable '${name}' needs the variables/ checkpoint, which is missing`, 'RESOURCE_DOES_NOT_EXIST');
      t = await bundle.read(source.key);
    } else {
      const value = byName.get(name)?.attr.value?.tensor;
      if (!value) throw new MlflowError(`${what}: constant '${name}' has no value`, 'INVALID_PARAMETER_VALUE');
      t = decodeTensorProto(value, `${what}: constant '${name}'`);
    }
    const w = weightBytes(t, `${what}: constant '${name}'`);
    weightSpecs.push({ name, shape: t.shape, dtype: w.dtype });
    chunks.push(w.bytes);
  }
  return {
    format: 'graph-model',
    modelTopology: { node: g.nodes.map(nodeJson), library: { function: functions.map(functionJson) }, versions: { producer } },
    weightSpecs,
    weightData: concatBytes(chunks),
  };
}
