import { DT, type MetaGraphDef, type NodeDef, type TrackableObjectGraph } from '../../formats/protobuf/index.js';
import { refIndex, refNode, type GraphNode } from './graph-node.js';
import { decodeTensorProto } from './tensor-proto.js';

/** Ops that hold a variable: TF2 resource handles and TF1 reference variables. */
export const VARIABLE_OPS: ReadonlySet<string> = new Set(['VarHandleOp', 'VariableV2', 'Variable']);
const ASSIGN_OPS = new Set(['Assign', 'AssignVariableOp']);
const PASS_THROUGH = new Set(['Identity', 'Snapshot']);

/**
 * Maps each variable node to its checkpoint key by reading the saver's restore program, as
 * TensorFlow's loader runs it: `Assign(var, RestoreV2:k)` (TF1) or, once the restore function is
 * inlined, `AssignVariableOp(handle, Identity(RestoreV2:k))` (TF2), where RestoreV2's second input
 * is a constant list of keys. Names (`shared_name`, `full_name`) are not used: they may repeat.
 */
export function checkpointKeys(nodes: readonly GraphNode[], byName: Map<string, GraphNode>): Map<string, string> {
  const follow = (ref: string | undefined): string | undefined => {
    let r = ref;
    for (let hops = 0; r !== undefined && hops < 1000; hops++) {
      const n = byName.get(refNode(r));
      if (!n || !PASS_THROUGH.has(n.op)) return r;
      r = n.input[0];
    }
    return r;
  };
  const keys = new Map<string, string>();
  const keyLists = new Map<string, string[] | undefined>();
  for (const n of nodes) {
    if (!ASSIGN_OPS.has(n.op)) continue;
    const variableRef = follow(n.input[0]);
    const variable = variableRef === undefined ? undefined : byName.get(refNode(variableRef));
    if (!variable || !VARIABLE_OPS.has(variable.op) || keys.has(variable.name)) continue;
    const sourceRef = follow(n.input[1]);
    const restore = sourceRef === undefined ? undefined : byName.get(refNode(sourceRef));
    if (!sourceRef || restore?.op !== 'RestoreV2') continue;
    if (!keyLists.has(restore.name)) keyLists.set(restore.name, restoreKeys(restore, byName, follow));
    const key = keyLists.get(restore.name)?.[refIndex(sourceRef)];
    if (key !== undefined) keys.set(variable.name, key);
  }
  return keys;
}

function restoreKeys(
  restore: GraphNode,
  byName: Map<string, GraphNode>,
  follow: (ref: string | undefined) => string | undefined,
): string[] | undefined {
  const namesRef = follow(restore.input[1]);
  const names = namesRef === undefined ? undefined : byName.get(refNode(namesRef));
  const value = names?.op === 'Const' ? names.attr.value?.tensor : undefined;
  if (!value || value.dtype !== DT.STRING) return undefined;
  const t = decodeTensorProto(value, `restore key list '${names?.name}'`);
  const dec = new TextDecoder();
  return (t.values as Uint8Array[]).map((b) => dec.decode(b));
}

const CALL_OPS = new Set(['StatefulPartitionedCall', 'PartitionedCall']);

/**
 * The checkpoint keys of variables TensorFlow 2 restores through the object graph only (as
 * tf.saved_model.load does; e.g. tf.saved_model.save of a Keras 3 model, whose restore program
 * restores copies): a main-graph call of a function the SavedObjectGraph knows passes its
 * captured variables last, in the order of the function's bound_inputs (object node ids), and
 * the checkpoint's object graph gives each node's VARIABLE_VALUE key.
 */
export function objectGraphKeys(mainNodes: readonly NodeDef[], mg: MetaGraphDef, trackable: TrackableObjectGraph): Map<string, string> {
  const keys = new Map<string, string>();
  const functions = mg.objectGraphDef?.concreteFunctions ?? {};
  for (const n of mainNodes) {
    const fn = CALL_OPS.has(n.op) ? n.attr.f?.func?.name : undefined;
    const bound = fn === undefined ? undefined : functions[fn]?.boundInputs;
    if (!bound || bound.length === 0) continue;
    const data = n.input.filter((r) => !r.startsWith('^'));
    const captured = data.slice(data.length - bound.length);
    captured.forEach((ref, i) => {
      const key = trackable.nodes[bound[i]]?.attributes.find((a) => a.name === 'VARIABLE_VALUE')?.checkpointKey;
      const variable = refNode(ref);
      if (key !== undefined && !keys.has(variable)) keys.set(variable, key);
    });
  }
  return keys;
}
