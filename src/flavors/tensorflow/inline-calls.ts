import { MlflowError } from '../../errors.js';
import type { FunctionDef, NodeDef } from '../../formats/protobuf/index.js';
import { fromNodeDef, type GraphNode } from './graph-node.js';
import { MULTI_OUTPUT_ARGS } from './tfjs-ops.js';

const CALL_OPS = new Set(['StatefulPartitionedCall', 'PartitionedCall']);
/** Guards against a malicious or recursive function library blowing up the graph. */
const MAX_INLINED_CALLS = 100_000;
const MAX_NODES = 5_000_000;

function calledFunction(n: GraphNode, lib: Map<string, FunctionDef>): string | undefined {
  if (CALL_OPS.has(n.op)) return n.attr.f?.func?.name;
  return lib.has(n.op) ? n.op : undefined;
}

/** Flat output index of `arg:index` of a body node, from its op's output argument list. */
function flatIndex(body: NodeDef, arg: string, index: number, lib: Map<string, FunctionDef>, what: string): number {
  if (CALL_OPS.has(body.op)) return index;
  const fn = lib.get(body.op);
  if (fn) {
    const k = fn.signature.outputArg.findIndex((a) => a.name === arg);
    if (k < 0) throw new MlflowError(`${what}: function '${body.op}' has no output '${arg}'`, 'INVALID_PARAMETER_VALUE');
    return k + index;
  }
  const args = MULTI_OUTPUT_ARGS[body.op];
  // Every other op has a single output argument (ops tfjs cannot run are refused later anyway).
  if (!args) return index;
  let offset = 0;
  for (const a of args) {
    const name = typeof a === 'string' ? a : a.name;
    if (name === arg) return offset + index;
    offset += typeof a === 'string' ? 1 : Number(body.attr[a.numberAttr]?.i ?? 0);
  }
  throw new MlflowError(`${what}: op ${body.op} has no output '${arg}' (node '${body.name}')`, 'INVALID_PARAMETER_VALUE');
}

/**
 * A function's body as graph nodes named `<prefix>/<node>` (or `<node>` for an empty prefix),
 * its inputs written `node:index` with `argRefs` standing for the function's arguments, plus the
 * tensors it returns, one per output argument.
 */
export function instantiateBody(
  fn: FunctionDef,
  prefix: string,
  argRefs: readonly string[],
  lib: Map<string, FunctionDef>,
  what: string,
): { nodes: GraphNode[]; outputs: string[] } {
  const fname = fn.signature.name;
  const params = fn.signature.inputArg;
  if (params.length !== argRefs.length) {
    throw new MlflowError(`${what}: '${fname}' is called with ${argRefs.length} inputs but takes ${params.length}`, 'INVALID_PARAMETER_VALUE');
  }
  const argMap = new Map(params.map((a, i) => [a.name, argRefs[i]]));
  const body = new Map(fn.nodeDef.map((d) => [d.name, d]));
  const named = (n: string): string => (prefix === '' ? n : `${prefix}/${n}`);
  const rewrite = (ref: string): string | undefined => {
    if (ref.startsWith('^')) return undefined;
    const parts = ref.split(':');
    if (parts.length === 1) return argMap.get(ref) ?? `${named(ref)}:0`;
    if (parts.length === 2) return named(ref);
    const [nodeName, arg, index] = parts;
    const bodyNode = body.get(nodeName);
    if (!bodyNode) throw new MlflowError(`${what}: function '${fname}' refers to unknown node '${nodeName}'`, 'INVALID_PARAMETER_VALUE');
    return `${named(nodeName)}:${flatIndex(bodyNode, arg, Number(index), lib, what)}`;
  };
  const nodes = fn.nodeDef.map((d) => ({
    name: named(d.name),
    op: d.op,
    input: d.input.map(rewrite).filter((r): r is string => r !== undefined),
    control: d.input.filter((r) => r.startsWith('^')).map((r) => named(r.slice(1))),
    attr: d.attr,
  }));
  const outputs = fn.signature.outputArg.map((a) => {
    const ret = fn.ret[a.name];
    const target = ret === undefined ? undefined : rewrite(ret);
    if (target === undefined) throw new MlflowError(`${what}: function '${fname}' does not return '${a.name}'`, 'INVALID_PARAMETER_VALUE');
    return target;
  });
  return { nodes, outputs };
}

/**
 * Inlines every StatefulPartitionedCall / PartitionedCall (and direct function-op call) among
 * `nodes`, recursively: a call node N of function F becomes F's body nodes named `N/<node>`,
 * and each `N:k` consumers read is redirected to the tensor F returns as its k-th output. tfjs has
 * no call ops, and TF2 SavedModels put all of a signature's computation inside such functions.
 *
 * Returns the flat graph and `resolve`, mapping any tensor reference of the original graph (such
 * as a signature's `StatefulPartitionedCall:0`) to its tensor in the flat graph.
 */
export function inlineCalls(
  nodes: readonly GraphNode[],
  lib: Map<string, FunctionDef>,
  what: string,
): { nodes: GraphNode[]; resolve: (ref: string) => string } {
  const aliases = new Map<string, string>();
  // A control edge on a call waits for everything its body does.
  const bodies = new Map<string, string[]>();
  const out: GraphNode[] = [];
  const queue: GraphNode[] = [...nodes];
  let calls = 0;
  for (let qi = 0; qi < queue.length; qi++) {
    const call = queue[qi];
    const fname = calledFunction(call, lib);
    if (fname === undefined) {
      out.push(call);
      continue;
    }
    const fn = lib.get(fname);
    if (!fn) throw new MlflowError(`${what}: node '${call.name}' calls function '${fname}', which the library lacks`, 'INVALID_PARAMETER_VALUE');
    if (++calls > MAX_INLINED_CALLS || queue.length > MAX_NODES) {
      throw new MlflowError(`${what}: inlining its functions exceeds ${MAX_INLINED_CALLS} calls or ${MAX_NODES} nodes`, 'INVALID_PARAMETER_VALUE');
    }
    const body = instantiateBody(fn, call.name, call.input, lib, what);
    queue.push(...body.nodes);
    bodies.set(call.name, body.nodes.map((n) => n.name));
    body.outputs.forEach((target, k) => aliases.set(`${call.name}:${k}`, target));
  }
  const resolve = (ref: string): string => {
    let r = ref;
    for (let hops = 0; aliases.has(r); hops++) {
      if (hops > aliases.size) throw new MlflowError(`${what}: cyclic function outputs at '${ref}'`, 'INVALID_PARAMETER_VALUE');
      r = aliases.get(r) as string;
    }
    return r;
  };
  const expand = (name: string, into: Set<string>): void => {
    const inner = bodies.get(name);
    if (!inner) into.add(name);
    else for (const m of inner) if (!into.has(m)) expand(m, into);
  };
  for (const n of out) {
    n.input = n.input.map(resolve);
    if (n.control && n.control.some((c) => bodies.has(c))) {
      const names = new Set<string>();
      for (const c of n.control) expand(c, names);
      n.control = [...names];
    }
  }
  return { nodes: out, resolve };
}

/** inlineCalls over a GraphDef's main graph and function library. */
export function inlineFunctionCalls(
  nodes: readonly NodeDef[],
  library: readonly FunctionDef[],
  what: string,
): { nodes: GraphNode[]; resolve: (ref: string) => string } {
  return inlineCalls(nodes.map(fromNodeDef), new Map(library.map((f) => [f.signature.name, f])), what);
}
