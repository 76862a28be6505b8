import { MlflowError } from '../../errors.js';

/** One tree of a LightGBM text model, as its `Tree=` block holds it. */
export interface LightGBMTree {
  readonly numLeaves: number;
  readonly splitFeature: readonly number[];
  readonly threshold: readonly number[];
  readonly decisionType: readonly number[];
  /** Child ids: >= 0 an internal node, < 0 the leaf ~id. */
  readonly leftChild: readonly number[];
  readonly rightChild: readonly number[];
  readonly leafValue: readonly number[];
  readonly catBoundaries: readonly number[];
  readonly catThreshold: readonly number[];
  /** Linear trees: per leaf a constant, features and coefficients. */
  readonly linear: { readonly constant: readonly number[]; readonly features: readonly (readonly number[])[]; readonly coeffs: readonly (readonly number[])[] } | null;
}

/** A LightGBM text model (`Booster.save_model`, `model_to_string`; format v2 to v4). */
export interface LightGBMText {
  readonly version: string;
  readonly numClass: number;
  readonly numTreePerIteration: number;
  readonly maxFeatureIdx: number;
  /** The objective line: its name and its `key:value` options. */
  readonly objective: string;
  readonly objectiveOptions: Readonly<Record<string, string>>;
  /** The `sqrt` flag of regression objectives. */
  readonly sqrt: boolean;
  readonly averageOutput: boolean;
  readonly featureNames: readonly string[];
  readonly featureInfos: readonly string[];
  readonly trees: readonly LightGBMTree[];
  /** The `parameters:` section (`[key: value]` lines), when written. */
  readonly parameters: Readonly<Record<string, string>>;
  /** The `pandas_categorical:` line's JSON (category lists of pandas categorical columns), or null. */
  readonly pandasCategorical: unknown;
}

const VERSIONS = new Set(['v2', 'v3', 'v4']);

export function parseLightGBMText(text: string, file: string): LightGBMText {
  const fail = (msg: string): never => {
    throw new MlflowError(`${file} is not a LightGBM model: ${msg}`, 'INVALID_PARAMETER_VALUE');
  };
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== 'tree') fail('the first line should be "tree"');
  const header = new Map<string, string>();
  const flags = new Set<string>();
  let i = 1;
  for (; i < lines.length && !lines[i].startsWith('Tree='); i++) {
    const line = lines[i].trim();
    if (line === '' ) continue;
    if (line === 'end of trees' || line.startsWith('parameters:')) break;
    const eq = line.indexOf('=');
    if (eq < 0) flags.add(line);
    else header.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const version = header.get('version') ?? 'v1';
  if (!VERSIONS.has(version)) {
    throw new MlflowError(`${file}: LightGBM model format ${version} is not supported natively (v2, v3, v4 are)`, 'INVALID_PARAMETER_VALUE');
  }
  const int = (key: string, dflt?: number): number => {
    const v = header.get(key);
    if (v === undefined) return dflt ?? fail(`no ${key}`);
    const n = Number(v);
    if (!Number.isInteger(n)) fail(`${key}=${v} is not an integer`);
    return n;
  };
  const objectiveWords = (header.get('objective') ?? 'regression').trim().split(/\s+/);
  const objectiveOptions: Record<string, string> = {};
  let sqrt = false;
  for (const w of objectiveWords.slice(1)) {
    const c = w.indexOf(':');
    if (c >= 0) objectiveOptions[w.slice(0, c)] = w.slice(c + 1);
    else if (w === 'sqrt') sqrt = true;
  }
  const trees: LightGBMTree[] = [];
  while (i < lines.length && lines[i].startsWith('Tree=')) {
    const block = new Map<string, string>();
    i++;
    for (; i < lines.length && lines[i].trim() !== '' && !lines[i].startsWith('Tree=') && lines[i].trim() !== 'end of trees'; i++) {
      const eq = lines[i].indexOf('=');
      if (eq > 0) block.set(lines[i].slice(0, eq), lines[i].slice(eq + 1));
    }
    trees.push(readTree(block, trees.length, fail));
    while (i < lines.length && lines[i].trim() === '') i++;
  }
  const parameters: Record<string, string> = {};
  let pandasCategorical: unknown = null;
  for (; i < lines.length; i++) {
    const m = /^\[([^:\]]+): ?(.*)\]$/.exec(lines[i]);
    if (m) parameters[m[1]] = m[2];
    else if (lines[i].startsWith('pandas_categorical:')) {
      try {
        pandasCategorical = JSON.parse(lines[i].slice('pandas_categorical:'.length)) as unknown;
      } catch {
        fail('pandas_categorical is not JSON');
      }
    }
  }
  const numTreePerIteration = int('num_tree_per_iteration', 1);
  if (numTreePerIteration < 1) fail('num_tree_per_iteration should be at least 1');
  if (trees.length % numTreePerIteration !== 0) fail(`${trees.length} trees is not a whole number of iterations of ${numTreePerIteration}`);
  const tree_sizes = header.get('tree_sizes');
  if (tree_sizes !== undefined && tree_sizes.trim() !== '' && tree_sizes.trim().split(/\s+/).length !== trees.length) {
    fail(`tree_sizes lists ${tree_sizes.trim().split(/\s+/).length} trees but the file holds ${trees.length} (truncated?)`);
  }
  return {
    version,
    numClass: int('num_class', 1),
    numTreePerIteration,
    maxFeatureIdx: int('max_feature_idx'),
    objective: objectiveWords[0],
    objectiveOptions,
    sqrt,
    averageOutput: flags.has('average_output'),
    featureNames: (header.get('feature_names') ?? '').split(' ').filter((s) => s !== ''),
    featureInfos: (header.get('feature_infos') ?? '').split(' ').filter((s) => s !== ''),
    trees,
    parameters,
    pandasCategorical,
  };
}

function readTree(b: Map<string, string>, ti: number, fail: (m: string) => never): LightGBMTree {
  const numbers = (key: string, n: number): number[] => {
    const v = b.get(key);
    if (v === undefined) return n === 0 ? [] : fail(`tree ${ti} has no ${key}`);
    const out = parseNumberList(v);
    if (out.length !== n) fail(`tree ${ti} ${key} should hold ${n} numbers, not ${out.length}`);
    return out;
  };
  const numLeaves = Number(b.get('num_leaves'));
  if (!Number.isInteger(numLeaves) || numLeaves < 1) fail(`tree ${ti} num_leaves is ${b.get('num_leaves')}`);
  const internal = numLeaves - 1;
  const numCat = Number(b.get('num_cat') ?? 0);
  const catBoundaries = numCat > 0 ? numbers('cat_boundaries', numCat + 1) : [];
  const catThreshold = numCat > 0 ? numbers('cat_threshold', catBoundaries[numCat]) : [];
  let linear: LightGBMTree['linear'] = null;
  if (b.get('is_linear') === '1') {
    const counts = numbers('num_features', numLeaves);
    const total = counts.reduce((a, c) => a + c, 0);
    const feats = numbers('leaf_features', total);
    const coeffs = numbers('leaf_coeff', total);
    let at = 0;
    const features: number[][] = [];
    const co: number[][] = [];
    for (const c of counts) {
      features.push(feats.slice(at, at + c));
      co.push(coeffs.slice(at, at + c));
      at += c;
    }
    linear = { constant: numbers('leaf_const', numLeaves), features, coeffs: co };
  }
  return {
    numLeaves,
    splitFeature: numbers('split_feature', internal),
    threshold: numbers('threshold', internal),
    decisionType: numbers('decision_type', internal),
    leftChild: numbers('left_child', internal),
    rightChild: numbers('right_child', internal),
    leafValue: numbers('leaf_value', numLeaves),
    catBoundaries,
    catThreshold,
    linear,
  };
}

/**
 * Space-separated numbers; integers (most of a model: features, children, category bitsets)
 * are read digit by digit, which is several times faster than Number() on each token.
 * A token that is not a number reads as NaN ("nan" is LightGBM's own spelling of it).
 */
function parseNumberList(s: string): number[] {
  const out: number[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    while (i < n && s.charCodeAt(i) <= 32) i++;
    if (i >= n) break;
    const start = i;
    const neg = s.charCodeAt(i) === 45;
    if (neg) i++;
    let v = 0;
    let digits = 0;
    let c = s.charCodeAt(i);
    while (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      digits++;
      c = s.charCodeAt(++i);
    }
    if (digits > 0 && digits < 16 && (i >= n || c <= 32)) {
      out.push(neg ? -v : v);
      continue;
    }
    while (i < n && s.charCodeAt(i) > 32) i++;
    out.push(Number(s.slice(start, i)));
  }
  return out;
}
