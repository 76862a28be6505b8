import { floatData, isNdArray, type State } from '../state.js';

/**
 * scikit-learn's k-neighbors search, followed step by step so that neighbours at equal distances
 * are the ones scikit-learn keeps. Which of several equally distant rows make the k nearest is
 * decided by the order rows are offered to a fixed-size max-heap (sklearn.utils._heap.heap_push:
 * a row enters only when strictly closer than the heap's largest, which it replaces) and by the
 * heap's own layout. A KDTree or BallTree (`algorithm` 'kd_tree'/'ball_tree', what 'auto' picks
 * for few features) offers the rows leaf by leaf in its idx_array order, visiting the nearer
 * child node first and skipping nodes farther than the heap's largest (BinaryTree.query, depth
 * first); brute force offers them in training order. At values near 1e15 most distances tie,
 * and the chosen set is what changes the answer.
 *
 * Distances are scikit-learn's DistanceMetric "reduced" distances (squared euclidean, the sum
 * of |d|^p for minkowski) until the end. The k found are then put in distance order with a
 * stable sort; scikit-learn's introsort may order equal distances otherwise, which changes only
 * the summation order of the means taken over them.
 */
/**
 * The reduced distance of query row q (at qo) to row r of X (f features) for the metric p: 2
 * euclidean, 1 manhattan, Infinity chebyshev, another number minkowski with that p.
 */
export function reducedDistance(p: number, q: Float64Array, qo: number, X: Float64Array, r: number, f: number): number {
  let s = 0;
  const ro = r * f;
  for (let j = 0; j < f; j++) {
    const d = q[qo + j] - X[ro + j];
    if (p === 2) s += d * d;
    else if (p === 1) s += Math.abs(d);
    else if (p === Infinity) s = Math.max(s, Math.abs(d));
    else s += Math.abs(d) ** p;
  }
  return s;
}

/** DistanceMetric's rdist_to_dist. */
export function fromReduced(p: number, r: number): number {
  return p === 2 ? Math.sqrt(r) : p === 1 || p === Infinity ? r : r ** (1 / p);
}

/** DistanceMetric's dist_to_rdist. */
function toReduced(p: number, d: number): number {
  return p === 2 ? d * d : p === 1 || p === Infinity ? d : d ** p;
}

/** sklearn.utils._heap.heap_push on the max-heap dist/idx[o .. o+k) (dist[o] is its largest). */
export function heapPush(dist: Float64Array, idx: Int32Array, o: number, k: number, val: number, at: number): void {
  if (val >= dist[o]) return;
  let cur = 0;
  for (;;) {
    const left = 2 * cur + 1;
    const right = left + 1;
    let swap: number;
    if (left >= k) break;
    else if (right >= k) {
      if (dist[o + left] > val) swap = left;
      else break;
    } else if (dist[o + left] >= dist[o + right]) {
      if (val < dist[o + left]) swap = left;
      else break;
    } else if (val < dist[o + right]) swap = right;
    else break;
    dist[o + cur] = dist[o + swap];
    idx[o + cur] = idx[o + swap];
    cur = swap;
  }
  dist[o + cur] = val;
  idx[o + cur] = at;
}

/** The heap's k entries in increasing distance (stable), converted from reduced distances. */
export function sortHeap(p: number, dist: Float64Array, idx: Int32Array, o: number, k: number): void {
  const order = Array.from({ length: k }, (_, j) => j).sort((a, b) => dist[o + a] - dist[o + b] || a - b);
  const d = order.map((j) => dist[o + j]);
  const ix = order.map((j) => idx[o + j]);
  for (let j = 0; j < k; j++) {
    dist[o + j] = fromReduced(p, d[j]);
    idx[o + j] = ix[j];
  }
}

/** A pickled sklearn KDTree or BallTree (BinaryTree.__getstate__), as its query reads it. */
export interface BinaryTree {
  readonly ball: boolean;
  readonly data: Float64Array;
  readonly idxArray: Int32Array;
  readonly idxStart: Float64Array;
  readonly idxEnd: Float64Array;
  readonly isLeaf: Float64Array;
  readonly radius: Float64Array;
  /** KDTree: [2, nodes, f] lower and upper bounds; BallTree: [1, nodes, f] centroids. */
  readonly bounds: Float64Array;
  readonly nodes: number;
}

/** The tree in `_tree`, checked against the training rows it was built on (n x f). */
export function readBinaryTree(s: State, n: number, f: number): BinaryTree {
  const tree = s.instance('_tree');
  const ball = tree.name.startsWith('BallTree');
  if (!ball && !tree.name.startsWith('KDTree')) s.fail(`_tree of type ${tree.name} is not supported natively`);
  const st = tree.state.__state__;
  if (!Array.isArray(st) || st.length < 4) return s.fail('_tree state is not a BinaryTree state');
  const [data, idxArray, nodeData, bounds] = st as unknown[];
  if (!isNdArray(data) || !isNdArray(idxArray) || !isNdArray(nodeData) || !isNdArray(bounds) || !nodeData.fields) {
    return s.fail('_tree state should hold its data, idx_array, node_data and node_bounds arrays');
  }
  const field = (name: string): Float64Array => {
    const a = nodeData.fields?.[name];
    if (!a) return s.fail(`_tree node_data has no field ${name}`);
    return floatData(a, `_tree.node_data.${name}`);
  };
  const nodes = nodeData.shape[0];
  const tr: BinaryTree = {
    ball,
    data: floatData(data, '_tree.data'),
    idxArray: Int32Array.from(floatData(idxArray, '_tree.idx_array')),
    idxStart: field('idx_start'),
    idxEnd: field('idx_end'),
    isLeaf: field('is_leaf'),
    radius: field('radius'),
    bounds: floatData(bounds, '_tree.node_bounds'),
    nodes,
  };
  const okShape = data.shape[0] === n && data.shape[1] === f && tr.idxArray.length === n && tr.bounds.length === (ball ? 1 : 2) * nodes * f;
  const okIdx = tr.idxArray.every((i) => i >= 0 && i < n) && tr.idxEnd.every((e, i) => e <= n && tr.idxStart[i] >= 0 && tr.idxStart[i] <= e);
  // a node that is not a leaf has its children at 2i+1 and 2i+2
  const okNodes = tr.isLeaf.every((leaf, i) => leaf !== 0 || 2 * i + 2 < nodes);
  if (!okShape || !okIdx || !okNodes) s.fail('_tree does not match _fit_X');
  return tr;
}

/** Lower bound of the reduced distance from the query row to anything in node i (min_rdist). */
function minReduced(t: BinaryTree, p: number, q: Float64Array, qo: number, f: number, i: number): number {
  if (t.ball) {
    const d = fromReduced(p, reducedDistance(p, q, qo, t.bounds, i, f));
    return toReduced(p, Math.max(0, d - t.radius[i]));
  }
  const lo = i * f;
  const hi = (t.nodes + i) * f;
  let r = 0;
  for (let j = 0; j < f; j++) {
    const dlo = t.bounds[lo + j] - q[qo + j];
    const dhi = q[qo + j] - t.bounds[hi + j];
    // x + |x| = 2 max(x, 0), as the KDTree writes it
    const d = dlo + Math.abs(dlo) + (dhi + Math.abs(dhi));
    if (p === Infinity) r = Math.max(r, 0.5 * d);
    else r += p === 2 ? 0.5 * d * (0.5 * d) : p === 1 ? 0.5 * d : (0.5 * d) ** p;
  }
  return r;
}

/** BinaryTree.query (depth first) of query row qo into the heap at dist/idx[o .. o+k). */
export function treeQuery(t: BinaryTree, p: number, q: Float64Array, qo: number, f: number, k: number, dist: Float64Array, idx: Int32Array, o: number): void {
  const visit = (node: number, bound: number): void => {
    if (bound > dist[o]) return;
    if (t.isLeaf[node]) {
      for (let i = t.idxStart[node]; i < t.idxEnd[node]; i++) {
        const r = t.idxArray[i];
        heapPush(dist, idx, o, k, reducedDistance(p, q, qo, t.data, r, f), r);
      }
      return;
    }
    const a = 2 * node + 1;
    const b = a + 1;
    const ba = minReduced(t, p, q, qo, f, a);
    const bb = minReduced(t, p, q, qo, f, b);
    if (ba <= bb) {
      visit(a, ba);
      visit(b, bb);
    } else {
      visit(b, bb);
      visit(a, ba);
    }
  };
  visit(0, minReduced(t, p, q, qo, f, 0));
}
