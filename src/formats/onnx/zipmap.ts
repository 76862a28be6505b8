import { concatBytes } from '../concat-bytes.js';
import { lengthField, readFields, readVarint, text, varintField } from './wire.js';

/** A ZipMap output of the graph: what it zipped, and with which class labels. */
export interface ZipMapOutput {
  /** The graph output (a sequence of maps). */
  readonly output: string;
  /** The float tensor ZipMap read, now a graph output in its place. */
  readonly input: string;
  readonly labels: readonly (string | number)[];
}

// ModelProto.graph, GraphProto.node/output, NodeProto.input/output/op_type/attribute/domain,
// AttributeProto.name/ints/strings, ValueInfoProto.name/type (onnx/onnx.proto field numbers)
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_OUTPUT = 12;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const NODE_DOMAIN = 7;
const ATTR_NAME = 1;
const ATTR_INTS = 8;
const ATTR_STRINGS = 9;
const VALUE_INFO_NAME = 1;
const FLOAT = 1;

/**
 * onnxruntime-node returns tensors only, so a graph whose output is ai.onnx.ml's ZipMap (a
 * sequence of {label: probability} maps, as skl2onnx ends its classifiers) is rewritten to
 * output ZipMap's float input instead; the caller zips the rows itself (`zipRows`). Everything
 * else in the model is copied byte for byte. Returns null when the graph has no ZipMap output.
 */
export function stripZipMaps(model: Uint8Array, what: string): { model: Uint8Array; zipmaps: ZipMapOutput[] } | null {
  const fields = readFields(model, what);
  const graphField = fields.find((f) => f.field === MODEL_GRAPH && f.payload);
  if (!graphField) return null;
  const graph = readFields(graphField.payload!, what);
  const outputs = new Set(graph.filter((f) => f.field === GRAPH_OUTPUT).map((f) => text(readFields(f.payload!, what).find((g) => g.field === VALUE_INFO_NAME)?.payload ?? null)));
  const zipmaps: ZipMapOutput[] = [];
  const dropped = new Set<WireFieldRef>();
  for (const f of graph) {
    if (f.field !== GRAPH_NODE) continue;
    const node = readFields(f.payload!, what);
    const op = text(node.find((g) => g.field === NODE_OP_TYPE)?.payload ?? null);
    const domain = text(node.find((g) => g.field === NODE_DOMAIN)?.payload ?? null);
    if (op !== 'ZipMap' || domain !== 'ai.onnx.ml') continue;
    const input = text(node.find((g) => g.field === NODE_INPUT)?.payload ?? null);
    const output = text(node.find((g) => g.field === NODE_OUTPUT)?.payload ?? null);
    if (!outputs.has(output)) continue;
    zipmaps.push({ output, input, labels: zipMapLabels(node.filter((g) => g.field === NODE_ATTRIBUTE).map((g) => g.payload!), what) });
    dropped.add(f);
  }
  if (zipmaps.length === 0) return null;
  const byOutput = new Map(zipmaps.map((z) => [z.output, z]));
  const newGraph = graph.filter((f) => !dropped.has(f)).map((f) => {
    if (f.field !== GRAPH_OUTPUT) return f.raw;
    const name = text(readFields(f.payload!, what).find((g) => g.field === VALUE_INFO_NAME)?.payload ?? null);
    const z = byOutput.get(name);
    return z ? lengthField(GRAPH_OUTPUT, floatValueInfo(z.input)) : f.raw;
  });
  const newModel = fields.map((f) => (f === graphField ? lengthField(MODEL_GRAPH, new Uint8Array(concatBytes(newGraph))) : f.raw));
  return { model: new Uint8Array(concatBytes(newModel)), zipmaps };
}

type WireFieldRef = ReturnType<typeof readFields>[number];

/** ValueInfoProto { name, type: TypeProto { tensor_type: { elem_type: FLOAT } } } (shape left to inference). */
function floatValueInfo(name: string): Uint8Array {
  const tensorType = varintField(1, FLOAT);
  const typeProto = lengthField(1, tensorType);
  return new Uint8Array(concatBytes([lengthField(VALUE_INFO_NAME, new TextEncoder().encode(name)), lengthField(2, typeProto)]));
}

function zipMapLabels(attributes: Uint8Array[], what: string): (string | number)[] {
  for (const a of attributes) {
    const fields = readFields(a, what);
    const name = text(fields.find((g) => g.field === ATTR_NAME)?.payload ?? null);
    if (name === 'classlabels_strings') return fields.filter((g) => g.field === ATTR_STRINGS).map((g) => text(g.payload));
    if (name === 'classlabels_int64s') {
      const out: number[] = [];
      for (const g of fields.filter((h) => h.field === ATTR_INTS)) {
        if (g.varint !== null) out.push(Number(BigInt.asIntN(64, g.varint)));
        else for (const v of readPacked(g.payload!, what)) out.push(v);
      }
      return out;
    }
  }
  return [];
}

function readPacked(b: Uint8Array, what: string): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < b.length) {
    const [v, next] = readVarint(b, pos, what);
    out.push(Number(BigInt.asIntN(64, v)));
    pos = next;
  }
  return out;
}

/** ZipMap's output for rows x labels probabilities: one {label: probability} map per row. */
export function zipRows(labels: readonly (string | number)[], probs: ArrayLike<number>, rows: number): Record<string, number>[] {
  const k = labels.length;
  return Array.from({ length: rows }, (_, r) => {
    const m: Record<string, number> = {};
    for (let j = 0; j < k; j++) m[String(labels[j])] = probs[r * k + j];
    return m;
  });
}
