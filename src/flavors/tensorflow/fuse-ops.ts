import type { AttrValue } from '../../formats/protobuf/index.js';
import type { FrozenGraph } from './freeze.js';
import { refIndex, refNode, type GraphNode } from './graph-node.js';

/** The fused op tfjs runs for a product or convolution followed by BiasAdd (tensorflowjs_converter's names). */
const FUSED: Record<string, string> = { Conv2D: '_FusedConv2D', DepthwiseConv2dNative: 'FusedDepthwiseConv2dNative', MatMul: '_FusedMatMul' };

/** Activations tfjs's fused kernels apply (tfjs-core fused.Activation). */
const ACTIVATIONS = new Set(['Relu', 'Relu6', 'Elu', 'Sigmoid', 'LeakyRelu']);

function strings(values: string[]): AttrValue {
  return { list: { s: values.map((v) => new TextEncoder().encode(v)), i: [], f: [], b: [], type: [], shape: [], tensor: [], func: [] } };
}

function nhwc(n: GraphNode): boolean {
  const f = n.attr.data_format?.s;
  return f === undefined || new TextDecoder().decode(f) === 'NHWC';
}

/**
 * Conv2D / DepthwiseConv2dNative / MatMul -> BiasAdd (-> Relu, Relu6, Elu, Sigmoid or LeakyRelu)
 * chains become one fused node, as TensorFlow's grappler remapper and tensorflowjs_converter make
 * them: one kernel instead of three (on wasm, XNNPACK adds the bias and clamps in its output loop).
 * The fused node takes the last node's name, so what reads the chain's end is unchanged; a link
 * whose value something else reads (another node, a control edge, a signature output) stays, and
 * so does a BiasAdd whose bias is computed.
 */
export function fuseBiasActivation(g: FrozenGraph): void {
  const readers = new Map<string, GraphNode[]>();
  const pinned = new Set(g.outputs.map((o) => refNode(o.ref)));
  for (const n of g.nodes) {
    for (const ref of n.input) readers.set(refNode(ref), [...(readers.get(refNode(ref)) ?? []), n]);
    for (const c of n.control ?? []) pinned.add(c);
  }
  const onlyReader = (name: string): GraphNode | undefined => {
    const r = readers.get(name);
    return !pinned.has(name) && r?.length === 1 ? r[0] : undefined;
  };
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const removed = new Set<string>();
  const replaced = new Map<string, GraphNode>();
  for (const bias of g.nodes) {
    if (bias.op !== 'BiasAdd' || !nhwc(bias) || refIndex(bias.input[0]) !== 0) continue;
    const op = byName.get(refNode(bias.input[0]));
    if (op === undefined || !(op.op in FUSED) || onlyReader(op.name) !== bias || (op.op !== 'MatMul' && !nhwc(op))) continue;
    // tfjs-backend-wasm's fused kernels read the bias's rank from its buffer, not from the tensor:
    // a bias that a Squeeze/Reshape made rank 1 out of a [1, n] buffer (Keras 3's GRU splits its
    // [2, 3n] bias so) is refused there. A constant's buffer has the bias's own shape.
    if (byName.get(refNode(bias.input[1]))?.op !== 'Const') continue;
    const next = onlyReader(bias.name);
    const act = next && ACTIVATIONS.has(next.op) && next.input.length === 1 ? next : undefined;
    const last = act ?? bias;
    const attr: Record<string, AttrValue> = {
      ...op.attr,
      fused_ops: strings(act ? ['BiasAdd', act.op] : ['BiasAdd']),
      num_args: { i: 1 },
    };
    if (act?.op === 'LeakyRelu' && act.attr.alpha !== undefined) attr.leakyrelu_alpha = act.attr.alpha;
    const control = [...(op.control ?? []), ...(bias.control ?? []), ...(act?.control ?? [])];
    replaced.set(last.name, { name: last.name, op: FUSED[op.op], input: [op.input[0], op.input[1], bias.input[1]], control, attr });
    removed.add(op.name);
    if (act) removed.add(bias.name);
  }
  g.nodes = g.nodes.filter((n) => !removed.has(n.name)).map((n) => replaced.get(n.name) ?? n);
}
