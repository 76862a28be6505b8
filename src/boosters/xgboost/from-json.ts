import { MlflowError } from '../../errors.js';
import type { UbjValue } from '../../formats/ubjson.js';
import type { BoosterKind, XGBoostParts, XGBoostTree } from './parts.js';

type Obj = { readonly [key: string]: UbjValue };

/**
 * Reads the document XGBoost writes with `save_model("*.json" | "*.ubj")` (1.0 to 3.x): both
 * formats hold the same tree, with numbers as JSON numbers or strings ("5E-1") and arrays as
 * JSON arrays or typed ones.
 */
export function partsFromDocument(doc: UbjValue, file: string): XGBoostParts {
  const fail = (msg: string): never => {
    throw new MlflowError(`${file} is not an XGBoost model: ${msg}`, 'INVALID_PARAMETER_VALUE');
  };
  const obj = (v: UbjValue | undefined, what: string): Obj =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) ? (v as Obj) : fail(`${what} should be an object`);
  // a pickled Booster's bytes (XGBoosterSerializeToBuffer) wrap the model with its config
  const top = obj(doc, 'the document');
  const root = top.Model !== undefined && top.learner === undefined ? obj(top.Model, 'Model') : top;
  const learner = obj(root.learner, 'learner');
  const version = numbers(root.version ?? [], 'version', fail);
  const lmp = obj(learner.learner_model_param, 'learner_model_param');
  const objective = obj(learner.objective, 'objective');
  const objectiveName = text(objective.name, 'objective.name', fail);
  const objectiveParams: Record<string, string> = {};
  for (const [k, v] of Object.entries(objective)) {
    if (k !== 'name' && v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
      for (const [pk, pv] of Object.entries(v)) objectiveParams[pk] = String(pv);
    }
  }
  const gb = obj(learner.gradient_booster, 'gradient_booster');
  const booster = text(gb.name, 'gradient_booster.name', fail);
  if (booster !== 'gbtree' && booster !== 'dart' && booster !== 'gblinear') {
    throw new MlflowError(`${file}: XGBoost booster '${booster}' is not supported natively (gbtree, dart, gblinear are)`, 'INVALID_PARAMETER_VALUE');
  }
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(learner.attributes ?? {}, 'attributes'))) attributes[k] = String(v);
  const names = learner.feature_names;
  const types = learner.feature_types;
  const strings = (v: UbjValue | undefined): string[] | null => (Array.isArray(v) && v.length > 0 ? v.map(String) : null);
  const common = {
    version,
    objective: objectiveName,
    objectiveParams,
    baseScore: baseScore(lmp.base_score, fail),
    baseScoreIsMargin: false,
    numFeature: int(lmp.num_feature, 'num_feature', fail),
    numClass: int(lmp.num_class ?? 0, 'num_class', fail),
    numTarget: int(lmp.num_target ?? 1, 'num_target', fail),
    booster: booster as BoosterKind,
    featureNames: strings(names),
    featureTypes: strings(types),
    attributes,
  };
  if (booster === 'gblinear') {
    const model = obj(gb.model, 'gblinear model');
    return { ...common, trees: [], treeInfo: [], numParallelTree: 1, weightDrop: null, linearWeights: Float32Array.from(numbers(model.weights, 'weights', fail)) };
  }
  const treeModel = obj(booster === 'dart' ? obj(gb.gbtree, 'dart gbtree').model : gb.model, 'gbtree model');
  const param = obj(treeModel.gbtree_model_param, 'gbtree_model_param');
  const rawTrees = treeModel.trees;
  if (!Array.isArray(rawTrees)) fail('trees should be an array');
  const trees = (rawTrees as UbjValue[]).map((t, i) => readTree(obj(t, `tree ${i}`), i, file, fail));
  const treeInfo = numbers(treeModel.tree_info, 'tree_info', fail);
  if (treeInfo.length !== trees.length) fail(`tree_info has ${treeInfo.length} entries for ${trees.length} trees`);
  const weightDrop = booster === 'dart' ? numbers(gb.weight_drop, 'weight_drop', fail) : null;
  if (weightDrop && weightDrop.length !== trees.length) fail(`weight_drop has ${weightDrop.length} entries for ${trees.length} trees`);
  return {
    ...common,
    trees,
    treeInfo,
    numParallelTree: Math.max(1, int(param.num_parallel_tree ?? 1, 'num_parallel_tree', fail)),
    weightDrop,
    linearWeights: null,
  };
}

function readTree(t: Obj, i: number, file: string, fail: (m: string) => never): XGBoostTree {
  const param = t.tree_param;
  if (param && typeof param === 'object' && !Array.isArray(param) && !ArrayBuffer.isView(param)) {
    const leafVector = int((param as Obj).size_leaf_vector ?? 1, 'size_leaf_vector', fail);
    if (leafVector > 1) {
      throw new MlflowError(`${file}: tree ${i} has vector leaves (multi_strategy="multi_output_tree"), not supported natively`, 'INVALID_PARAMETER_VALUE');
    }
  }
  const left = numbers(t.left_children, `tree ${i} left_children`, fail);
  const n = left.length;
  const arr = (key: string, fallback?: number): ArrayLike<number> => {
    if (t[key] === undefined && fallback !== undefined) return new Array<number>(n).fill(fallback);
    const a = numbers(t[key], `tree ${i} ${key}`, fail);
    if (a.length !== n) fail(`tree ${i} ${key} has ${a.length} entries for ${n} nodes`);
    return a;
  };
  const splitType = arr('split_type', 0);
  const categories = new Map<number, number[]>();
  if (t.categories_nodes !== undefined) {
    const nodes = numbers(t.categories_nodes, 'categories_nodes', fail);
    const segments = numbers(t.categories_segments, 'categories_segments', fail);
    const sizes = numbers(t.categories_sizes, 'categories_sizes', fail);
    const cats = numbers(t.categories, 'categories', fail);
    nodes.forEach((node, k) => {
      const from = segments[k];
      const to = from + sizes[k];
      if (!(from >= 0 && to <= cats.length)) fail(`tree ${i} categories of node ${node} are out of range`);
      categories.set(node, cats.slice(from, to));
    });
  }
  for (let k = 0; k < n; k++) {
    if (splitType[k] === 1 && left[k] !== -1 && !categories.has(k)) fail(`tree ${i} node ${k} is a categorical split without categories`);
  }
  return {
    left,
    right: arr('right_children'),
    splitIndex: arr('split_indices'),
    splitCondition: arr('split_conditions'),
    defaultLeft: arr('default_left'),
    categories,
  };
}

/** A number that JSON may hold as a string ("5E-1", "[5E-1]" is handled by baseScore). */
function num(v: UbjValue | undefined, what: string, fail: (m: string) => never): number {
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : typeof v === 'boolean' ? Number(v) : NaN;
  if (Number.isNaN(n) && !(typeof v === 'number' || (typeof v === 'string' && /nan/i.test(v)))) fail(`${what} should be a number, got ${JSON.stringify(String(v))}`);
  return n;
}

function int(v: UbjValue | undefined, what: string, fail: (m: string) => never): number {
  const n = num(v, what, fail);
  if (!Number.isInteger(n) || n < 0) fail(`${what} should be a count, got ${n}`);
  return n;
}

function text(v: UbjValue | undefined, what: string, fail: (m: string) => never): string {
  return typeof v === 'string' ? v : fail(`${what} should be a string`);
}

function numbers(v: UbjValue | undefined, what: string, fail: (m: string) => never): number[] {
  if (ArrayBuffer.isView(v)) return Array.from(v as ArrayLike<number | bigint>, Number);
  if (!Array.isArray(v)) return fail(`${what} should be an array`);
  return v.map((x) => num(x, what, fail));
}

/** "5E-1" (XGBoost < 3) or "[5E-1]" / "[1E0,2E0]" (3.x, one per output). */
function baseScore(v: UbjValue | undefined, fail: (m: string) => never): number[] {
  if (typeof v === 'string' && v.trim().startsWith('[')) {
    const inner = v.trim().slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((s) => num(s.trim(), 'base_score', fail));
  }
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return numbers(v, 'base_score', fail);
  return [num(v, 'base_score', fail)];
}
