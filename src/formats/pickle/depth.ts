import { MlflowError } from '../../errors.js';

/** The values inside a container, instance or object array (typed arrays hold no values). */
function children(x: object): Iterable<unknown> | undefined {
  if (Array.isArray(x)) return x;
  if (x instanceof Map) return mapEntries(x);
  if (x instanceof Set) return x;
  const k = (x as { kind?: unknown }).kind;
  if (k === 'instance') {
    const inst = x as { state: Record<string, unknown>; args: unknown[] };
    return [...Object.values(inst.state), ...inst.args];
  }
  if (k === 'ndarray') {
    const arr = x as { data: unknown; fields?: Record<string, unknown> };
    if (arr.fields) return Object.values(arr.fields);
    return Array.isArray(arr.data) ? arr.data : undefined;
  }
  return undefined;
}

function* mapEntries(m: Map<unknown, unknown>): Iterable<unknown> {
  for (const [k, v] of m) {
    yield k;
    yield v;
  }
}

/**
 * Refuses values nested deeper than `maxDepth`, so that code walking the result recursively
 * cannot overflow the stack. Walks without recursion; shared values are measured once, and a
 * reference back to a value still being walked (a cycle) adds no depth.
 */
export function checkDepth(root: unknown, maxDepth: number, source: string): void {
  if (typeof root !== 'object' || root === null) return;
  const done = new Map<object, number>();
  const open = new Set<object>();
  const stack: { node: object; it: Iterator<unknown>; depth: number }[] = [];
  const enter = (node: object): void => {
    const kids = children(node);
    open.add(node);
    stack.push({ node, it: (kids ?? [])[Symbol.iterator](), depth: 1 });
    if (stack.length > maxDepth) {
      throw new MlflowError(`${source}: the pickled value is nested more than ${maxDepth} levels deep`, 'INVALID_PARAMETER_VALUE');
    }
  };
  enter(root);
  while (stack.length) {
    const frame = stack[stack.length - 1];
    const next = frame.it.next();
    if (next.done) {
      stack.pop();
      open.delete(frame.node);
      done.set(frame.node, frame.depth);
      if (stack.length) {
        const parent = stack[stack.length - 1];
        parent.depth = Math.max(parent.depth, frame.depth + 1);
      }
      continue;
    }
    const child = next.value;
    if (typeof child !== 'object' || child === null || open.has(child) || ArrayBuffer.isView(child)) continue;
    const known = done.get(child);
    if (known !== undefined) {
      frame.depth = Math.max(frame.depth, known + 1);
      if (frame.depth + stack.length - 1 > maxDepth) {
        throw new MlflowError(`${source}: the pickled value is nested more than ${maxDepth} levels deep`, 'INVALID_PARAMETER_VALUE');
      }
      continue;
    }
    enter(child);
  }
}
