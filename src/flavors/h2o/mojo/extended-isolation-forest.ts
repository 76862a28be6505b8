import { MlflowError } from '../../../errors.js';
import type { MojoReader } from './mojo-model.js';

/**
 * Extended Isolation Forest MOJOs: trees of random hyperplanes. Each tree file is a list of
 * records (i32 node number, u8 'N' or 'L'); a node holds the normal vector and intercept point
 * (f64 each, per column), a leaf the number of training rows that reached it. Children of node
 * i are 2i+1 and 2i+2; a row goes right when (x - p) . n > 0.
 */

interface Node {
  normal?: Float64Array;
  point?: Float64Array;
  rows?: number;
}

/** Average path length of an unsuccessful search in a binary search tree of n keys. */
function averagePathLength(n: number): number {
  if (n < 2) return 0;
  if (n === 2) return 1;
  // harmonic number H(n-1) estimated as ln(n-1) + Euler's constant
  return 2 * (Math.log(n - 1) + 0.5772156649) - (2 * (n - 1)) / n;
}

function decodeTree(bytes: Uint8Array, where: string): Map<number, Node> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (what: string): never => {
    throw new MlflowError(`${where}: corrupt isolation tree (${what})`, 'INVALID_PARAMETER_VALUE');
  };
  if (bytes.length < 4) fail('no header');
  const width = view.getInt32(0, true);
  const nodes = new Map<number, Node>();
  let pos = 4;
  while (pos + 5 <= bytes.length) {
    const id = view.getInt32(pos, true);
    const type = bytes[pos + 4];
    pos += 5;
    if (type === 78) {
      if (pos + 16 * width > bytes.length) fail('node past the end');
      const normal = new Float64Array(width);
      const point = new Float64Array(width);
      for (let i = 0; i < width; i++) normal[i] = view.getFloat64(pos + 8 * i, true);
      pos += 8 * width;
      for (let i = 0; i < width; i++) point[i] = view.getFloat64(pos + 8 * i, true);
      pos += 8 * width;
      nodes.set(id, { normal, point });
    } else if (type === 76) {
      if (pos + 4 > bytes.length) fail('leaf past the end');
      nodes.set(id, { rows: view.getInt32(pos, true) });
      pos += 4;
    } else if (id === 0 && type === 0) {
      break; // zero padding after the last record
    } else fail(`node type ${type}`);
  }
  if (!nodes.has(0)) fail('no root');
  return nodes;
}

export const extendedIsolationForestReader: MojoReader = {
  maxVersion: 1.0,
  read({ ini, src, meta }) {
    const ntrees = ini.num('ntrees', 0);
    const sampleSize = ini.num('sample_size', 0);
    const trees: Map<number, Node>[] = [];
    for (let t = 0; t < ntrees; t++) {
      const name = `trees/t${String(t).padStart(2, '0')}.bin`;
      trees.push(decodeTree(src.bytes(name), `${meta.where} ${name}`));
    }
    const scoreTree = (tree: Map<number, Node>, row: Float64Array): number => {
      let id = 0;
      let height = 0;
      for (;;) {
        const node = tree.get(id);
        if (!node) throw new MlflowError(`${meta.where}: isolation tree has no node ${id}`, 'INVALID_PARAMETER_VALUE');
        if (node.rows !== undefined) return height + averagePathLength(node.rows);
        const { normal, point } = node as Required<Node>;
        let mul = 0;
        for (let i = 0; i < normal.length; i++) mul += (row[i] - point[i]) * normal[i];
        height++;
        id = mul <= 0 ? 2 * id + 1 : 2 * id + 2;
      }
    };
    return {
      meta,
      predsSize: 2,
      score0(row, _offset, preds) {
        let len = 0;
        for (const t of trees) len += scoreTree(t, row);
        len /= ntrees;
        preds[0] = Math.pow(2, -(len / averagePathLength(sampleSize)));
        preds[1] = len;
      },
    };
  },
};
