import { MlflowError } from '../../errors.js';
import type { FunctionDef } from '../../formats/protobuf/index.js';
import { statelessNodes, type ConstSource } from './freeze.js';
import { refNode, type GraphNode } from './graph-node.js';
import { inlineCalls, instantiateBody } from './inline-calls.js';
import { decodeTensorProto } from './tensor-proto.js';

/** Attributes of If / While (and their Stateless forms) that name a function tfjs runs. */
const FUNCTION_ATTRS = ['body', 'cond', 'then_branch', 'else_branch'];

/** A library function as tfjs runs it: flat `node:index` inputs, arguments by name. */
export interface ConvertedFunction {
  name: string;
  inputArgs: { name: string; type: number }[];
  outputArgs: { name: string; type: number }[];
  nodes: GraphNode[];
  /** Output arg name -> tensor (`node:index`, or an argument as `arg:0`). */
  ret: Record<string, string>;
}

function referencedFunctions(nodes: readonly GraphNode[]): string[] {
  const names: string[] = [];
  for (const n of nodes) {
    for (const a of FUNCTION_ATTRS) {
      const f = n.attr[a]?.func?.name;
      if (f) names.push(f);
    }
  }
  return names;
}

/**
 * Converts the functions that control-flow nodes (If/While) of the frozen graph run, and those
 * they run in turn, the way the main graph was: nested calls inlined, variable reads made
 * stateless, unused nodes dropped. Their constants are renamed `<function>/<node>` and added to
 * `consts`, since tfjs looks every constant up in one weight map.
 */
export function convertControlFlowFunctions(
  nodes: readonly GraphNode[],
  lib: Map<string, FunctionDef>,
  consts: Map<string, ConstSource>,
  what: string,
): ConvertedFunction[] {
  const done = new Map<string, ConvertedFunction>();
  const pending = referencedFunctions(nodes);
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (done.has(name)) continue;
    const fn = lib.get(name);
    if (!fn) throw new MlflowError(`${what}: control flow runs function '${name}', which the library lacks`, 'INVALID_PARAMETER_VALUE');
    const args = fn.signature.inputArg.map((a) => a.name);
    const body = instantiateBody(fn, '', args.map((a) => `${a}:0`), lib, what);
    const flat = inlineCalls(body.nodes, lib, what);
    const outputs = body.outputs.map(flat.resolve);

    const byName = new Map(flat.nodes.map((n) => [n.name, n]));
    const keep = new Set<string>();
    const stack = outputs.map(refNode);
    while (stack.length > 0) {
      const n = byName.get(stack.pop() as string);
      if (!n || keep.has(n.name)) continue;
      keep.add(n.name);
      for (const r of n.input) stack.push(refNode(r));
    }
    const rename = new Map<string, string>();
    for (const n of flat.nodes) if (keep.has(n.name) && n.op === 'Const') rename.set(n.name, `${name}/${n.name}`);
    const renamed = (ref: string): string => {
      const node = refNode(ref);
      const to = rename.get(node);
      return to === undefined ? ref : `${to}${ref.slice(node.length)}`;
    };
    const converted: GraphNode[] = [];
    for (const n of flat.nodes) {
      if (!keep.has(n.name)) continue;
      const input = n.input.map(renamed);
      const newName = rename.get(n.name);
      if (newName !== undefined) {
        const value = n.attr.value?.tensor;
        if (!value) throw new MlflowError(`${what}: constant '${n.name}' of function '${name}' has no value`, 'INVALID_PARAMETER_VALUE');
        consts.set(newName, { kind: 'value', tensor: decodeTensorProto(value, `${what}: constant '${n.name}' of '${name}'`) });
        converted.push({ name: newName, op: 'Const', input: [], attr: { dtype: n.attr.dtype } });
      } else {
        converted.push(...statelessNodes({ ...n, input }, consts, `${name}/`));
      }
    }
    done.set(name, {
      name,
      inputArgs: fn.signature.inputArg.map((a) => ({ name: a.name, type: a.type })),
      outputArgs: fn.signature.outputArg.map((a) => ({ name: a.name, type: a.type })),
      nodes: converted,
      ret: Object.fromEntries(fn.signature.outputArg.map((a, k) => [a.name, renamed(outputs[k])])),
    });
    pending.push(...referencedFunctions(converted));
  }
  return [...done.values()];
}
