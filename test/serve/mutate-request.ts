// Seeded mutations of a valid JSON request, for the robustness corpora of the scoring routes:
// byte-level cuts and insertions, raw number tokens (NaN, huge, invalid) and structural changes
// to the parsed document (a node deleted, duplicated or replaced by garbage).

const GARBAGE_VALUES: unknown[] = [
  null, 'abc', '', true, [], {}, [[1]], { a: { b: [null] } }, 1e308, -1e308, 2 ** 64,
  '1e400', 'NaN', -0, 0.1, [1, 2, 3, 4, 5], 'x'.repeat(10_000),
];
const RAW_TOKENS = ['9007199254740993', 'NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '123456789012345678901234567890', '"\\ud800"', 'nul', '.5', '01', '+1', '1.', "'x'"];

/** One mutation of a valid request text: byte-level or on the parsed document. */
export function mutate(text: string, rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const at = Math.floor(rand() * text.length);
  switch (Math.floor(rand() * 8)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 5));
    case 2:
      return text.slice(0, at) + pick(['{', '}', '[', ']', ',', ':', '"', '\\', '\u0000', 'é', ' ']) + text.slice(at);
    case 3: {
      // A number literal replaced by a raw token (NaN, huge, invalid).
      const numbers = [...text.matchAll(/-?\d+(\.\d+)?/g)];
      if (numbers.length === 0) return text + pick(RAW_TOKENS);
      const m = pick(numbers);
      return text.slice(0, m.index) + pick(RAW_TOKENS) + text.slice(m.index + m[0].length);
    }
    default: {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        return text.slice(0, at);
      }
      return JSON.stringify(mutateValue(doc, rand, pick));
    }
  }
}

function mutateValue(doc: unknown, rand: () => number, pick: <T>(xs: readonly T[]) => T): unknown {
  // Walk to a random node and replace, delete or duplicate something there.
  const path: (string | number)[] = [];
  let node: unknown = doc;
  while (typeof node === 'object' && node !== null && rand() < 0.75) {
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    const k = pick(keys);
    path.push(k);
    node = (node as Record<string | number, unknown>)[k];
  }
  if (path.length === 0) {
    const extra = pick(['dataframe_records', 'instances', 'inputs', 'params', 'columns', 'unknown', 'input_data']);
    return { ...(doc as object), [extra]: pick(GARBAGE_VALUES) };
  }
  const parent = path.slice(0, -1).reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], doc) as Record<string | number, unknown>;
  const key = path[path.length - 1];
  const op = Math.floor(rand() * 4);
  if (op === 0 && Array.isArray(parent)) parent.splice(key as number, 1);
  else if (op === 0) delete parent[key];
  else if (op === 1 && Array.isArray(parent)) parent.push(structuredClone(parent[key]), pick(GARBAGE_VALUES));
  else parent[key] = pick(GARBAGE_VALUES);
  return doc;
}
