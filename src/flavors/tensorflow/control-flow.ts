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

/** Ops that store a tensor in a TensorList, and the position of that tensor among their inputs. */
const LIST_WRITES: Record<string, number> = { TensorListSetItem: 2, TensorListPushBack: 1 };

/**
 * Makes every tensor a loop body stores in a TensorList one the body returns. tfjs-converter 4.22
 * disposes, when a function call ends, every tensor it made that is not an output, even those a
 * TensorList holds (kept): a Keras RNN loop writes `h` (an Identity of it is returned as the next
 * state) and the list is read after the loop, from disposed tensors ("Cannot read properties of
 * undefined (reading 'backend')" on cpu and wasm). Storing the returned Identity instead keeps the
 * value alive: tfjs leaves a function's outputs alone, and the list keeps it across iterations.
 * A stored tensor that no returned Identity carries is refused by name.
 */
function storeReturnedItems(nodes: GraphNode[], ret: Record<string, string>, what: string): void {
  const returned = new Set(Object.values(ret));
  const carriers = new Map<string, string>();
  for (const n of nodes) if (n.op === 'Identity' && returned.has(`${n.name}:0`)) carriers.set(n.input[0], `${n.name}:0`);
  for (const n of nodes) {
    const at = LIST_WRITES[n.op];
    if (at === undefined || returned.has(n.input[at])) continue;
    const carrier = carriers.get(n.input[at]);
    if (carrier === undefined) {
      throw new MlflowError(`${what}: ${n.op} '${n.name}' stores a tensor the loop does not return, which tfjs disposes before the list is read`, 'NOT_IMPLEMENTED');
    }
    n.input[at] = carrier;
  }
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
    const ret = Object.fromEntries(fn.signature.outputArg.map((a, k) => [a.name, renamed(outputs[k])]));
    storeReturnedItems(converted, ret, `${what}: function '${name}'`);
    done.set(name, {
      name,
      inputArgs: fn.signature.inputArg.map((a) => ({ name: a.name, type: a.type })),
      outputArgs: fn.signature.outputArg.map((a) => ({ name: a.name, type: a.type })),
      nodes: converted,
      ret,
    });
    pending.push(...referencedFunctions(converted));
  }
  return [...done.values()];
}
