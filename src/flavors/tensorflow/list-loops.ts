import * as tf from '../../tfjs/tf.js';
import { MlflowError } from '../../errors.js';
import type { ConvertedFunction } from './control-flow.js';
import { refNode, type GraphNode } from './graph-node.js';

/** Our op for a While loop whose TensorLists we hold as plain tensors (see runListLoopsOurselves). */
export const LIST_LOOP_OP = 'MlflowTsListWhile';
/** Our op for TensorListGetItem on such a list: row `index` of the stacked tensor. */
export const LIST_ITEM_OP = 'MlflowTsListItem';
const PLAN_ATTR = 'mlflow_ts_loop';

/**
 * What each loop variable is: a tensor, a list the body only reads (TensorListFromTensor, given
 * as the stacked tensor), or a list the body only writes (TensorListReserve, stacked after the
 * loop). `out` is the body's ref for a tensor's next value; `index` / `item` what a written list
 * receives at each step; `cond` the condition's output ref.
 */
interface LoopPlan {
  kinds: ('tensor' | 'read' | 'write')[];
  out: string[];
  index: string[];
  item: string[];
  cond: string;
}

function consumers(nodes: readonly GraphNode[], ref: string): GraphNode[] {
  return nodes.filter((n) => n.input.includes(ref));
}

/** The tensor a ref carries, past the Identity nodes a function body returns its values through. */
function throughIdentities(f: ConvertedFunction, ref: string): string {
  const byName = new Map(f.nodes.map((n) => [n.name, n]));
  for (let n = byName.get(refNode(ref)); n?.op === 'Identity' && ref.endsWith(':0'); n = byName.get(refNode(ref))) ref = n.input[0];
  return ref;
}

/** The loop's plan, or undefined when a variable is used in a way this runner does not handle. */
function planLoop(loop: GraphNode, main: readonly GraphNode[], body: ConvertedFunction, cond: ConvertedFunction): LoopPlan | undefined {
  const byName = new Map(main.map((n) => [n.name, n]));
  const plan: LoopPlan = { kinds: [], out: [], index: [], item: [], cond: cond.ret[cond.outputArgs[0]?.name] };
  if (plan.cond === undefined || body.inputArgs.length !== loop.input.length || body.outputArgs.length !== loop.input.length) return undefined;
  for (let k = 0; k < loop.input.length; k++) {
    const producer = byName.get(refNode(loop.input[k]));
    const arg = `${body.inputArgs[k].name}:0`;
    const ret = throughIdentities(body, body.ret[body.outputArgs[k].name]);
    const inBody = consumers(body.nodes, arg).filter((n) => n.op !== 'Identity' || `${n.name}:0` !== body.ret[body.outputArgs[k].name]);
    const outside = [...consumers(main, loop.input[k])];
    const results = consumers(main, `${loop.name}:${k}`);
    const condUses = consumers(cond.nodes, `${cond.inputArgs[k]?.name}:0`).length > 0;
    let kind: LoopPlan['kinds'][number] = 'tensor';
    let [index, item] = ['', ''];
    if (producer?.op === 'TensorListFromTensor') {
      if (outside.length !== 1 || ret !== arg || results.length > 0 || condUses || !inBody.every((n) => n.op === 'TensorListGetItem' && n.input[0] === arg)) return undefined;
      kind = 'read';
    } else if (producer?.op === 'TensorListReserve') {
      const set = body.nodes.find((n) => `${n.name}:0` === ret);
      if (set?.op !== 'TensorListSetItem' || set.input[0] !== arg || inBody.length !== 1 || outside.length !== 1 || condUses) return undefined;
      if (!results.every((n) => n.op === 'TensorListStack' && n.input[0] === `${loop.name}:${k}`)) return undefined;
      kind = 'write';
      [index, item] = [set.input[1], set.input[2]];
    } else if (producer === undefined || /^(TensorList|TensorArray)/.test(producer.op)) return undefined;
    plan.kinds.push(kind);
    plan.out.push(kind === 'tensor' ? ret : '');
    plan.index.push(index);
    plan.item.push(item);
  }
  return plan;
}

/**
 * Runs TF2 While loops over TensorLists (Keras's RNN layers, as model.export writes them) with
 * our own loop instead of tfjs-converter's: tfjs runs each iteration's body and condition through
 * its asynchronous control-flow executor (200-700 ms per request for a small Keras RNN), while
 * these bodies, once their lists are plain tensors, are straight-line graphs its synchronous
 * executor runs. The loop becomes LIST_LOOP_OP, a read list its stacked tensor (GetItem a row of
 * it), a written list the stack of what the body writes (TensorListStack an Identity of it). A
 * loop whose lists are used otherwise is left to tfjs.
 */
export function runListLoopsOurselves(main: GraphNode[], functions: readonly ConvertedFunction[]): void {
  const fns = new Map(functions.map((f) => [f.name, f]));
  const rewrittenBodies = new Set<string>();
  for (const loop of main) {
    if (loop.op !== 'While' && loop.op !== 'StatelessWhile') continue;
    const body = fns.get(loop.attr.body?.func?.name ?? '');
    const cond = fns.get(loop.attr.cond?.func?.name ?? '');
    if (!body || !cond) continue;
    const plan = planLoop(loop, main, body, cond);
    if (!plan) continue;
    const byName = new Map(main.map((n) => [n.name, n]));
    plan.kinds.forEach((kind, k) => {
      if (kind === 'read') {
        const from = byName.get(refNode(loop.input[k])) as GraphNode;
        Object.assign(from, { op: 'Identity', input: [from.input[0]], attr: { T: from.attr.element_dtype } });
      }
      if (kind === 'write') {
        // tfjs runs TensorList ops asynchronously only: the reserved list becomes its (unused) length.
        const reserve = byName.get(refNode(loop.input[k])) as GraphNode;
        Object.assign(reserve, { op: 'Identity', input: [reserve.input[1]], attr: { T: { type: 3 } } });
        for (const stack of consumers(main, `${loop.name}:${k}`)) Object.assign(stack, { op: 'Identity', input: [`${loop.name}:${k}`], attr: { T: stack.attr.element_dtype } });
      }
    });
    if (!rewrittenBodies.has(body.name)) {
      const reads = new Set(plan.kinds.map((kind, k) => (kind === 'read' ? `${body.inputArgs[k].name}:0` : '')).filter(Boolean));
      for (const n of body.nodes) if (n.op === 'TensorListGetItem' && reads.has(n.input[0])) Object.assign(n, { op: LIST_ITEM_OP, input: n.input.slice(0, 2), attr: {} });
      rewrittenBodies.add(body.name);
    }
    loop.op = LIST_LOOP_OP;
    loop.attr = { body: loop.attr.body, cond: loop.attr.cond, [PLAN_ATTR]: { s: new TextEncoder().encode(JSON.stringify(plan)) } };
  }
}

/** The parts of tfjs-converter's function executor the loop uses (its own type is not exported). */
interface FunctionExecutor {
  readonly inputNodes: string[];
  execute(inputs: tf.NamedTensorMap, outputs: string[]): tf.Tensor[];
}

/** What tfjs hands a custom op, with the two internals the loop needs: the raw attrs and the function executors. */
interface LoopNode {
  inputs: tf.Tensor[];
  node: { name: string; rawAttrs: Record<string, { s?: string; func?: { name: string } }> };
  context: { functionMap: Record<string, FunctionExecutor> };
}

/** tf.gather of one row: TensorListGetItem on a list held as its stacked tensor. */
export function listItem(node: tf.GraphNode): tf.Tensor {
  return tf.gather(node.inputs[0], node.inputs[1]);
}

/** Each loop node's plan, decoded once (tfjs keeps the same node object for the model's life). */
const plans = new WeakMap<object, LoopPlan>();

/** LIST_LOOP_OP: the While loop run step by step, each step's body and condition by tfjs's synchronous executor. */
export function runListLoop(graphNode: tf.GraphNode): tf.Tensor[] {
  const node = graphNode as unknown as LoopNode;
  const attrs = node.node.rawAttrs;
  let plan = plans.get(node.node);
  if (!plan) {
    plan = JSON.parse(Buffer.from(attrs[PLAN_ATTR].s ?? '', 'base64').toString('utf8')) as LoopPlan;
    plans.set(node.node, plan);
  }
  const body = node.context.functionMap[attrs.body.func?.name ?? ''];
  const cond = node.context.functionMap[attrs.cond.func?.name ?? ''];
  const what = `While loop '${node.node.name}'`;
  const inputs = new Set(node.inputs);
  return tf.tidy(() => {
    let vars = [...node.inputs];
    const items: tf.Tensor[][] = plan.kinds.map(() => []);
    const feed = (f: FunctionExecutor): tf.NamedTensorMap =>
      Object.fromEntries(f.inputNodes.flatMap((name, k) => (plan.kinds[k] === 'write' ? [] : [[name, vars[k]]])));
    // Each loop variable's next value: another variable passed through, or one of the body's outputs.
    const args = new Map(body.inputNodes.map((name, k) => [`${name}:0`, k]));
    const wanted: string[] = [];
    // [from a variable?, its index]: a written list's slot keeps its (unused) value.
    const source = plan.kinds.map((kind, k): [boolean, number] => {
      const ref = kind === 'read' ? `${body.inputNodes[k]}:0` : plan.out[k];
      if (kind === 'write') return [true, k];
      if (args.has(ref)) return [true, args.get(ref) as number];
      return [false, wanted.push(ref) - 1];
    });
    const writes = plan.kinds.flatMap((kind, k) => (kind === 'write' ? [{ k, index: wanted.push(plan.index[k]) - 1, item: wanted.push(plan.item[k]) - 1 }] : []));
    for (;;) {
      const [go] = cond.execute(feed(cond), [plan.cond]);
      if (go.dataSync()[0] === 0) break;
      const outs = body.execute(feed(body), wanted);
      const next = source.map(([fromVar, i]) => (fromVar ? vars[i] : outs[i]));
      for (const w of writes) {
        const at = Number(outs[w.index].dataSync()[0]);
        if (!Number.isInteger(at) || at < 0) throw new MlflowError(`${what} writes its list ${w.k} at index ${at}`, 'INVALID_PARAMETER_VALUE');
        items[w.k][at] = outs[w.item];
      }
      // The previous step's values nothing holds any more: a long sequence does not keep every step.
      const live = new Set([...next, ...items.flat()]);
      for (const t of vars) if (!live.has(t) && !inputs.has(t)) t.dispose();
      vars = next;
    }
    return plan.kinds.map((kind, k) => {
      if (kind !== 'write') return inputs.has(vars[k]) ? tf.clone(vars[k]) : vars[k];
      // Array.from: a hole the body skipped reads as undefined (some/every would pass over it).
      const list = Array.from(items[k]);
      const hole = list.findIndex((t) => t === undefined);
      if (list.length === 0 || hole >= 0) throw new MlflowError(`${what} left element ${Math.max(hole, 0)} of its list ${k} unwritten`, 'INVALID_PARAMETER_VALUE');
      return tf.stack(list);
    });
  });
}
