import { describe, expect, it } from 'vitest';
import { matrix } from '../../../src/flavors/sklearn/data.js';
import { FlatForest, floorFloat32, type TreeSource } from '../../../src/flavors/sklearn/estimators/flat-forest.js';
import { seededRandom } from '../../seeded-random.js';

interface Tree extends TreeSource {
  value: Float64Array;
}

/**
 * A random tree in sklearn's layout (leaf: left = -1), numbered breadth-first so that a left child
 * is seldom the next node; thresholds drawn from `values`, so rows hit them exactly.
 */
function randomTree(rnd: () => number, features: number, depth: number, width: number, values: number[], withMissing: boolean): Tree {
  const left: number[] = [];
  const right: number[] = [];
  const feature: number[] = [];
  const threshold: number[] = [];
  const missing: number[] = [];
  const queue: { id: number; depth: number }[] = [];
  const add = (d: number): number => {
    const id = left.length;
    left.push(-1);
    right.push(-1);
    feature.push(-2);
    threshold.push(-2);
    missing.push(0);
    queue.push({ id, depth: d });
    return id;
  };
  add(0);
  while (queue.length > 0) {
    const { id, depth: d } = queue.shift()!;
    if (d >= depth || rnd() < 0.2) continue;
    feature[id] = Math.floor(rnd() * features);
    threshold[id] = values[Math.floor(rnd() * values.length)];
    missing[id] = rnd() < 0.5 ? 1 : 0;
    left[id] = add(d + 1);
    right[id] = add(d + 1);
  }
  const value = Float64Array.from({ length: left.length * width }, () => Math.round(rnd() * 1000) / 7);
  return {
    size: left.length,
    isLeaf: (node) => left[node] === -1,
    left, right, feature, threshold,
    missingLeft: withMissing ? missing : null,
    value,
    leafValues: (node, out, at) => {
      for (let j = 0; j < width; j++) out[at + j] = value[node * width + j];
    },
  };
}

/** The leaf a row reaches by sklearn's plain walk. */
function exitLeaf(t: Tree, x: Float64Array, base: number, f32: boolean): number {
  let node = 0;
  while (!t.isLeaf(node)) {
    const v = f32 ? Math.fround(x[base + t.feature[node]]) : x[base + t.feature[node]];
    const goLeft = Number.isNaN(v) ? t.missingLeft![node] === 1 : v <= t.threshold[node];
    node = goLeft ? t.left[node] : t.right[node];
  }
  return node;
}

/** What FlatForest must compute: sklearn's loop, tree by tree over every row, adding leaf values. */
function reference(trees: Tree[], x: Float64Array, rows: number, cols: number, width: number, f32: boolean): Float64Array {
  const out = new Float64Array(rows * width);
  for (const t of trees) {
    for (let i = 0; i < rows; i++) {
      const leaf = exitLeaf(t, x, i * cols, f32);
      for (let j = 0; j < width; j++) out[i * width + j] += t.value[leaf * width + j];
    }
  }
  return out;
}

/** Thresholds and inputs around float32 rounding: exact float32 values, their float64 neighbours, 0.1-like decimals. */
const TRICKY = [0, -0, 0.1, -0.1, 1 / 3, 2.5, Math.fround(0.1), Math.fround(1 / 3), 1e-42, -1e-42, 3.4e38, 3.5e38, -7.25, 1e300];

function randomRows(rnd: () => number, rows: number, cols: number, nanRate: number): Float64Array {
  return Float64Array.from({ length: rows * cols }, () => {
    const r = rnd();
    if (r < nanRate) return NaN;
    return r < 0.5 ? TRICKY[Math.floor(rnd() * TRICKY.length)] : (rnd() - 0.5) * 10;
  });
}

describe('FlatForest', () => {
  const cols = 7;
  const rows = 2500; // several 1024-row blocks
  const rnd = seededRandom(42);
  const values = [...TRICKY, ...Array.from({ length: 20 }, () => (rnd() - 0.5) * 10)];

  // NaN in 1 row of 10,000 leaves most 1024-row blocks to the step layout and sends a few to the wide one
  it.each([
    ['float32, step layout', 'float32', false, 0],
    ['float32 with missing values, NaN in every block (wide layout)', 'float32', true, 0.05],
    ['float32 with missing values, NaN in some blocks', 'float32', true, 0.0001],
    ['float64 with missing values (HistGradientBoosting), NaN in every block', 'float64', true, 0.05],
    ['float64 with missing values, bins and NaN in some blocks', 'float64', true, 0.0001],
    ['float64 without missing values, bins', 'float64', false, 0],
  ] as const)('adds the same leaf values as a plain walk: %s', (_, precision, withMissing, nanRate) => {
    const width = 3;
    const trees = Array.from({ length: 30 }, () => randomTree(rnd, cols, 9, width, values, withMissing));
    const x = randomRows(rnd, rows, cols, nanRate);
    const out = new Float64Array(rows * width);
    const forest = new FlatForest(trees, width, precision);
    expect(forest.layout).not.toBe('leaf-sets');
    forest.addTo(matrix(rows, cols, x), out, width);
    expect(Array.from(out)).toEqual(Array.from(reference(trees, x, rows, cols, width, precision === 'float32')));
  });

  // trees of at most 32 leaves (depth 5) take the leaf-set layout; NaN blocks still go to the wide one
  it.each([
    ['float32, width 3 (a random forest classifier)', 'float32', false, 0, 3],
    ['float32, width 1', 'float32', false, 0, 1],
    ['float32, width 2, with missing values and NaN in some blocks', 'float32', true, 0.0005, 2],
    ['float64 (HistGradientBoosting), width 1, NaN in every block', 'float64', true, 0.05, 1],
    ['float64, width 5', 'float64', false, 0, 5],
  ] as const)('adds the same leaf values as a plain walk in the leaf-set layout: %s', (_, precision, withMissing, nanRate, width) => {
    // depth 1..5: one-leaf trees, full 32-leaf trees, trees on more than four features
    const trees = Array.from({ length: 60 }, (__, i) => randomTree(rnd, cols, i % 6, width, values, withMissing));
    const x = randomRows(rnd, rows, cols, nanRate);
    const out = new Float64Array(rows * width).fill(0.25);
    const forest = new FlatForest(trees, width, precision);
    expect(forest.layout).toBe('leaf-sets');
    forest.addTo(matrix(rows, cols, x), out, width);
    // the baseline first, then the trees in order, as scikit-learn adds them
    const want = new Float64Array(rows * width).fill(0.25);
    for (const t of trees) {
      for (let i = 0; i < rows; i++) {
        const leaf = exitLeaf(t, x, i * cols, precision === 'float32');
        for (let j = 0; j < width; j++) want[i * width + j] += t.value[leaf * width + j];
      }
    }
    expect(Array.from(out)).toEqual(Array.from(want));
    // the walking layouts (leafSets: false, bench/forest-predict.ts's reference) give the same bits
    const walked = new Float64Array(rows * width).fill(0.25);
    const walking = new FlatForest(trees, width, precision, undefined, { leafSets: false });
    expect(walking.layout).not.toBe('leaf-sets');
    walking.addTo(matrix(rows, cols, x), walked, width);
    expect(Array.from(walked)).toEqual(Array.from(want));
  });

  it.each([['float32'], ['float64']] as const)('answers every call as a plain walk when calls of other sizes reuse its step block (%s)', (precision) => {
    const width = 3;
    const trees = Array.from({ length: 12 }, () => randomTree(rnd, cols, 9, width, values, true));
    const forest = new FlatForest(trees, width, precision);
    expect(forest.layout).toBe('steps');
    // a large call leaves its rows in the kept block; smaller ones, one with NaN, come after
    for (const [n, nanRate] of [[2500, 0], [7, 0], [700, 0.001], [2500, 0], [13, 0.2], [1, 0]] as const) {
      const x = randomRows(rnd, n, cols, nanRate);
      const out = new Float64Array(n * width);
      forest.addTo(matrix(n, cols, x), out, width);
      expect(Array.from(out)).toEqual(Array.from(reference(trees, x, n, cols, width, precision === 'float32')));
    }
  });

  it('takes the leaf-set layout for one row, and for trees each at their own column; calls reuse its buffers', () => {
    const trees = Array.from({ length: 9 }, () => randomTree(rnd, cols, 5, 1, values, false));
    const forest = new FlatForest(trees, 1, 'float32', trees.map((_, i) => i % 3));
    expect(forest.layout).toBe('leaf-sets');
    for (const n of [3, 1, 700, 2]) {
      const x = randomRows(rnd, n, cols, 0);
      const out = new Float64Array(n * 3);
      forest.addTo(matrix(n, cols, x), out, 3);
      const want = new Float64Array(n * 3);
      trees.forEach((t, k) => {
        for (let i = 0; i < n; i++) want[i * 3 + (k % 3)] += t.value[exitLeaf(t, x, i * cols, true)];
      });
      expect(Array.from(out)).toEqual(Array.from(want));
    }
  });

  it('adds each tree at its output column, onto the baseline already there', () => {
    const trees = Array.from({ length: 12 }, () => randomTree(rnd, cols, 5, 1, values, true));
    const x = randomRows(rnd, rows, cols, 0.01);
    const out = new Float64Array(rows * 3).fill(0.5);
    new FlatForest(trees, 1, 'float64', trees.map((_, i) => i % 3)).addTo(matrix(rows, cols, x), out, 3);
    const want = new Float64Array(rows * 3).fill(0.5);
    trees.forEach((t, k) => {
      for (let i = 0; i < rows; i++) want[i * 3 + (k % 3)] += t.value[exitLeaf(t, x, i * cols, false)];
    });
    expect(Array.from(out)).toEqual(Array.from(want));
  });

  it('walks float64 splits without bins when a feature has more than 255 thresholds, or a NaN one', () => {
    const many = Array.from({ length: 400 }, () => (rnd() - 0.5) * 10);
    for (const thresholds of [many, [...values, NaN]]) {
      const trees = Array.from({ length: 40 }, () => randomTree(rnd, 2, 9, 1, thresholds, true));
      const x = randomRows(rnd, rows, 2, 0);
      const out = new Float64Array(rows);
      new FlatForest(trees, 1, 'float64').addTo(matrix(rows, 2, x), out, 1);
      expect(Array.from(out)).toEqual(Array.from(reference(trees, x, rows, 2, 1, false)));
    }
  });

  it('sends rows right at a NaN threshold, as scikit-learn\'s x <= t, in the float32 step layout', () => {
    const trees = Array.from({ length: 20 }, () => randomTree(rnd, cols, 6, 2, [...values, NaN], false));
    const x = randomRows(rnd, rows, cols, 0);
    const out = new Float64Array(rows * 2);
    new FlatForest(trees, 2, 'float32').addTo(matrix(rows, cols, x), out, 2);
    expect(Array.from(out)).toEqual(Array.from(reference(trees, x, rows, cols, 2, true)));
  });

  it('refuses NaN when the trees have no missing-value support', () => {
    const trees = [randomTree(seededRandom(1), 3, 4, 1, values, false)];
    const x = new Float64Array(3 * 2000);
    x[3 * 1500 + 1] = NaN;
    expect(() => new FlatForest(trees, 1, 'float32').addTo(matrix(2000, 3, x), new Float64Array(2000), 1)).toThrow(/contains NaN/);
  });

  it('refuses X narrower than the features the trees split on', () => {
    const tree = randomTree(seededRandom(3), 5, 6, 1, values, false);
    const forest = new FlatForest([tree], 1, 'float32');
    const maxFeature = Math.max(...(tree.feature as number[]));
    expect(() => forest.addTo(matrix(1, maxFeature, new Float64Array(maxFeature)), new Float64Array(1), 1)).toThrow(/split on feature/);
  });

  it('refuses a pickled graph that is not a tree, and a split on a negative feature', () => {
    // node 1's children are both node 2: a shared node; nested, such graphs grow exponentially
    const shared: TreeSource = {
      size: 3,
      isLeaf: (n) => n === 2,
      left: [1, 2, -1],
      right: [1, 2, -1],
      feature: [0, 0, -2],
      threshold: [0, 0, -2],
      missingLeft: null,
      leafValues: (_, out, at) => { out[at] = 1; },
    };
    expect(() => new FlatForest([shared], 1, 'float32')).toThrow(/not a tree/);
    const negative: TreeSource = { ...shared, isLeaf: (n) => n > 0, left: [1, -1, -1], right: [2, -1, -1], feature: [-3, -2, -2] };
    expect(() => new FlatForest([negative], 1, 'float32')).toThrow(/splits on feature -3/);
  });
});

describe('floorFloat32', () => {
  it('is the largest float32 not above the value', () => {
    const rnd = seededRandom(7);
    const samples = [...TRICKY, Infinity, -Infinity, 5e-324, -5e-324, ...Array.from({ length: 2000 }, () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 80 - 40))];
    for (const v of samples) {
      const f = floorFloat32(v);
      expect(Math.fround(f), `${v}`).toBe(f);
      expect(f <= v, `${v}`).toBe(true);
      // the next float32 up is above v
      const buf = new Float32Array([f]);
      const bits = new Int32Array(buf.buffer);
      if (f === Infinity) continue;
      if (Object.is(f, -0) || f === 0) bits[0] = 1;
      else bits[0] += f > 0 ? 1 : -1;
      expect(buf[0] > v, `${v}`).toBe(true);
    }
    expect(floorFloat32(NaN)).toBeNaN();
  });
});
