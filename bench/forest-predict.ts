// The forest itself, in process (no HTTP, no JSON): the iris RandomForest(100) fixture's trees
// (scikit-learn 1.2.1) summing their class probabilities for 1 and 1000 rows, in the leaf-set
// layout that serving uses and, as the reference in the same run, the walking layout that served
// these trees before session 7 (the same FlatForest with leafSets: false). Rounds alternate;
// CPU time per call (process.cpuUsage) is reported beside wall time, with the load average.
// Both layouts' sums are checked equal, bit for bit, before timing.
// Run alone: node --import tsx bench/forest-predict.ts [rounds]
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { matrix } from '../src/flavors/sklearn/data.js';
import { allowSklearnGlobal } from '../src/flavors/sklearn/build.js';
import { FlatForest } from '../src/flavors/sklearn/estimators/flat-forest.js';
import { leafProba, readTree, treeSource } from '../src/flavors/sklearn/estimators/tree.js';
import { isInstance, State } from '../src/flavors/sklearn/state.js';
import { loadPickleFile } from '../src/formats/pickle/index.js';
import { irisRows } from './iris.js';

const PICKLE = fileURLToPath(new URL('../test/fixtures/sklearn/mlflow-2.22.1/iris_rf/model.pkl', import.meta.url));

export async function benchForestPredict(rounds: number): Promise<string> {
  const pickled = await loadPickleFile(PICKLE, { allowGlobal: allowSklearnGlobal, source: PICKLE });
  if (!isInstance(pickled)) throw new Error(`${PICKLE} does not hold an estimator`);
  const trees = new State(pickled).list('estimators_').map((e) => {
    if (!isInstance(e)) throw new Error('estimators_ holds something other than trees');
    return readTree(new State(e));
  });
  const k = trees[0].nClasses;
  const sources = trees.map((t) => treeSource(t, leafProba(t)));
  const layouts = [
    { label: 'leaf sets (now)', forest: new FlatForest(sources, k, 'float32') },
    { label: 'step walk (before)', forest: new FlatForest(sources, k, 'float32', undefined, { leafSets: false }) },
  ];
  const lines = [
    `node ${process.version}, ${trees.length} trees, load average at start ${os.loadavg()[0].toFixed(1)}`,
    '',
    '| rows per call | layout | µs CPU per call | µs wall per call | ns CPU per tree and row |',
    '|---:|---|---:|---:|---:|',
  ];
  for (const rows of [1, 1000]) {
    const x = matrix(rows, 4, Float64Array.from(irisRows(rows).flat()));
    const outs = layouts.map((l) => {
      const out = new Float64Array(rows * k);
      l.forest.addTo(x, out, k);
      return out;
    });
    if (!outs[0].every((v, i) => Object.is(v, outs[1][i]))) throw new Error('the two layouts disagree');
    const calls = Math.max(20, Math.round(2e5 / rows));
    const tally = layouts.map(() => ({ cpu: 0, wall: 0, calls: 0 }));
    const out = new Float64Array(rows * k);
    for (let round = 0; round <= rounds; round++) {
      layouts.forEach((l, i) => {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        for (let c = 0; c < calls; c++) l.forest.addTo(x, out, k);
        const c1 = process.cpuUsage(c0);
        if (round === 0) return; // warm-up
        tally[i].cpu += c1.user + c1.system;
        tally[i].wall += (performance.now() - t0) * 1000;
        tally[i].calls += calls;
      });
    }
    layouts.forEach((l, i) => {
      const t = tally[i];
      lines.push(`| ${rows} | ${l.label} | ${(t.cpu / t.calls).toFixed(1)} | ${(t.wall / t.calls).toFixed(1)} | ${((1000 * t.cpu) / t.calls / rows / trees.length).toFixed(1)} |`);
    });
  }
  lines.push('', `load average at end ${os.loadavg()[0].toFixed(1)}`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await benchForestPredict(Number(process.argv[2] ?? 5)));
}
