import { MlflowError } from '../../errors.js';
import { DT, type AttrValue, type SignatureDef, type TensorInfo } from '../../formats/protobuf/index.js';
import type { TfTensor } from '../../formats/tensorbundle/index.js';
import { refNode, type GraphNode } from './graph-node.js';
import { VARIABLE_OPS } from './checkpoint-keys.js';

/** Where a Const of the frozen graph gets its value. */
export type ConstSource =
  | { kind: 'attr' }
  | { kind: 'checkpoint'; key: string }
  | { kind: 'value'; tensor: TfTensor };

export interface SignatureTensor {
  /** The signature's key for this tensor (`x`, `output_0`). */
  readonly key: string;
  /** TensorFlow DataType of the tensor, as the SignatureDef declares it. */
  readonly dtype: number;
  /** Declared shape; -1 for an unknown dimension; undefined for unknown rank. */
  readonly shape: number[] | undefined;
  /** The tensor in the frozen graph (`node:index`). */
  readonly ref: string;
}

export interface FrozenGraph {
  nodes: GraphNode[];
  consts: Map<string, ConstSource>;
  inputs: SignatureTensor[];
  outputs: SignatureTensor[];
}

const STATELESS_EQUIVALENT: Record<string, string> = { ReadVariableOp: 'Identity', VariableShape: 'Shape' };

/**
 * A node reading a variable, rewritten for the variable's frozen value: ReadVariableOp ->
 * Identity, VariableShape -> Shape, ResourceGather -> GatherV2 (with an axis constant added to
 * `consts`, its name prefixed by `constPrefix`). Any other node comes back as is.
 */
export function statelessNodes(n: GraphNode, consts: Map<string, ConstSource>, constPrefix = ''): GraphNode[] {
  if (n.op in STATELESS_EQUIVALENT) {
    const attr: Record<string, AttrValue> = n.op === 'ReadVariableOp' ? { T: n.attr.dtype } : { out_type: n.attr.out_type };
    return [{ name: n.name, op: STATELESS_EQUIVALENT[n.op], input: n.input, attr }];
  }
  if (n.op === 'ResourceGather') {
    const axis = `${constPrefix}${n.name}/mlflow_axis`;
    consts.set(axis, { kind: 'value', tensor: { dtype: DT.INT32, shape: [], values: new Int32Array([0]) } });
    return [
      { name: axis, op: 'Const', input: [], attr: { dtype: { type: DT.INT32 } } },
      {
        name: n.name, op: 'GatherV2', input: [...n.input, `${axis}:0`],
        attr: { Tparams: n.attr.dtype, Tindices: n.attr.Tindices, batch_dims: n.attr.batch_dims ?? { i: 0 } },
      },
    ];
  }
  return [n];
}

function tensorName(info: TensorInfo, key: string, what: string): string {
  if (info.name === undefined || info.name === '') {
    throw new MlflowError(`${what}: signature tensor '${key}' is sparse or composite, which is not supported`, 'NOT_IMPLEMENTED');
  }
  return info.name.includes(':') ? info.name : `${info.name}:0`;
}

function declaredShape(info: TensorInfo): number[] | undefined {
  if (!info.tensorShape || info.tensorShape.unknownRank) return undefined;
  return info.tensorShape.dim.map((d) => d.size);
}

/** Ops that write a variable: a signature running one changes the model at every call. */
const STATE_WRITE = /^(Assign|ResourceApply|ResourceScatter|ResourceSparseApply|Scatter|ResourceStridedSliceAssign)/;

/**
 * Refuses a signature whose outputs wait (through data or control edges) on a variable write:
 * TensorFlow would change the model at each call; a frozen copy would silently not.
 */
function refuseStateChanges(
  outputs: readonly SignatureTensor[],
  replaced: Map<string, GraphNode>,
  byName: Map<string, GraphNode>,
  fed: (ref: string) => string,
  what: string,
): void {
  const seen = new Set<string>();
  const writes = new Set<string>();
  const stack = outputs.map((o) => refNode(o.ref));
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (seen.has(name) || replaced.has(name)) continue;
    seen.add(name);
    const node = byName.get(name);
    if (!node) continue;
    if (STATE_WRITE.test(node.op)) writes.add(node.op);
    for (const r of node.input) stack.push(refNode(fed(r)));
    for (const c of node.control ?? []) stack.push(c);
  }
  if (writes.size > 0) {
    throw new MlflowError(
      `${what} changes the model's variables (${[...writes].sort().join(', ')}) at each call; stateful signatures cannot run natively. Use --runtime python.`,
      'NOT_IMPLEMENTED',
    );
  }
}

/**
 * Cuts the flat graph down to what one signature computes and makes it stateless:
 * - each signature input becomes a Placeholder (a fed intermediate tensor, as TF1 signatures
 *   allow, gets a new Placeholder), without its shape (TensorFlow does not check fed shapes);
 * - only nodes the outputs depend on are kept, stopping at the fed tensors;
 * - variables become Consts valued from the checkpoint, ReadVariableOp -> Identity,
 *   VariableShape -> Shape, ResourceGather -> GatherV2.
 */
export function freezeSignature(
  flat: readonly GraphNode[],
  resolve: (ref: string) => string,
  signature: SignatureDef,
  checkpointKeys: Map<string, string>,
  what: string,
): FrozenGraph {
  const byName = new Map(flat.map((n) => [n.name, n]));
  const feeds = new Map<string, string>();
  const inputs: SignatureTensor[] = [];
  const replaced = new Map<string, GraphNode>();
  for (const [key, info] of Object.entries(signature.inputs).sort(([a], [b]) => a.localeCompare(b))) {
    const ref = resolve(tensorName(info, key, what));
    const node = byName.get(refNode(ref));
    if (!node) throw new MlflowError(`${what}: input '${key}' names tensor '${ref}', which the graph lacks`, 'INVALID_PARAMETER_VALUE');
    const isPlaceholder = (node.op === 'Placeholder' || node.op === 'PlaceholderWithDefault') && ref.endsWith(':0');
    let name = isPlaceholder ? node.name : `${refNode(ref)}/mlflow_feed_${ref.slice(ref.lastIndexOf(':') + 1)}`;
    if (!isPlaceholder) while (byName.has(name)) name += '_';
    replaced.set(name, { name, op: 'Placeholder', input: [], attr: { dtype: { type: info.dtype } } });
    feeds.set(ref, `${name}:0`);
    inputs.push({ key, dtype: info.dtype, shape: declaredShape(info), ref: `${name}:0` });
  }
  const fed = (ref: string): string => feeds.get(ref) ?? ref;
  const outputs: SignatureTensor[] = Object.entries(signature.outputs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, info]) => ({ key, dtype: info.dtype, shape: declaredShape(info), ref: fed(resolve(tensorName(info, key, what))) }));

  refuseStateChanges(outputs, replaced, byName, fed, what);

  // Walk back from the outputs; fed tensors cut the walk.
  const keep = new Set<string>();
  const stack = outputs.map((o) => refNode(o.ref));
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (keep.has(name)) continue;
    const node = replaced.get(name) ?? byName.get(name);
    if (!node) throw new MlflowError(`${what}: the graph refers to node '${name}', which does not exist`, 'INVALID_PARAMETER_VALUE');
    keep.add(name);
    if (!replaced.has(name)) for (const r of node.input) stack.push(refNode(fed(r)));
  }

  const nodes: GraphNode[] = [];
  const consts = new Map<string, ConstSource>();
  // Every input stays, used or not: TensorFlow accepts a feed the outputs do not need.
  for (const n of replaced.values()) nodes.push(n);
  for (const n of flat) {
    if (!keep.has(n.name) || replaced.has(n.name)) continue;
    const input = n.input.map(fed);
    if (VARIABLE_OPS.has(n.op)) {
      const key = checkpointKeys.get(n.name);
      if (key === undefined) {
        throw new MlflowError(`${what}: variable '${n.name}' is not restored from the checkpoint, so its value is unknown`, 'NOT_IMPLEMENTED');
      }
      consts.set(n.name, { kind: 'checkpoint', key });
      nodes.push({ name: n.name, op: 'Const', input: [], attr: { dtype: n.attr.dtype } });
    } else if (n.op === 'Const') {
      consts.set(n.name, { kind: 'attr' });
      nodes.push({ ...n, input });
    } else if (n.op === 'Placeholder') {
      throw new MlflowError(`${what}: the outputs need placeholder '${n.name}', which is not a signature input`, 'INVALID_PARAMETER_VALUE');
    } else {
      nodes.push(...statelessNodes({ ...n, input }, consts));
    }
  }
  return { nodes, consts, inputs, outputs };
}
