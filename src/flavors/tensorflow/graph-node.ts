import { MlflowError } from '../../errors.js';
import type { AttrValue, NodeDef } from '../../formats/protobuf/index.js';

/**
 * A node of the graph being converted. Inputs are data edges, always written `node:index`.
 * Control edges are kept apart (node names): they never reach tfjs, which would treat them as
 * data inputs, but they show which state changes a signature's outputs wait for.
 */
export interface GraphNode {
  name: string;
  op: string;
  input: string[];
  control?: string[];
  attr: Record<string, AttrValue>;
}

/** `name` -> `name:0`, `name:3` stays, `^name` -> undefined (a control edge). */
export function normalizeRef(ref: string): string | undefined {
  if (ref.startsWith('^')) return undefined;
  return ref.includes(':') ? ref : `${ref}:0`;
}

export function refNode(ref: string): string {
  const i = ref.lastIndexOf(':');
  return i < 0 ? ref : ref.slice(0, i);
}

export function refIndex(ref: string): number {
  const i = ref.lastIndexOf(':');
  return i < 0 ? 0 : Number(ref.slice(i + 1));
}

/** A main-graph NodeDef as a GraphNode. */
export function fromNodeDef(n: NodeDef): GraphNode {
  return {
    name: n.name,
    op: n.op,
    input: n.input.map(normalizeRef).filter((r): r is string => r !== undefined),
    control: n.input.filter((r) => r.startsWith('^')).map((r) => r.slice(1)),
    attr: n.attr,
  };
}

export function nodeMap(nodes: readonly GraphNode[], what: string): Map<string, GraphNode> {
  const m = new Map<string, GraphNode>();
  for (const n of nodes) {
    if (m.has(n.name)) throw new MlflowError(`${what}: node '${n.name}' appears twice`, 'INVALID_PARAMETER_VALUE');
    m.set(n.name, n);
  }
  return m;
}
