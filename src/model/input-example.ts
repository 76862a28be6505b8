import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../errors.js';
import { Frame, isFrame, type ColumnData } from '../frame/frame.js';
import { isTensor, type Tensor } from '../frame/tensor.js';
import { resolveInside } from './path-safety.js';
import { isoformat } from './time.js';
import { PyFloat, parsePyJson, pyJsonDumps } from '../formats/python-json.js';

/** `saved_input_example_info` as MLflow writes it (snake_case keys, as in the file). */
export interface SavedInputExampleInfo {
  artifact_path: string;
  type: string;
  pandas_orient?: string;
  serving_input_path?: string;
  [key: string]: unknown;
}

export const INPUT_EXAMPLE_FILE = 'input_example.json';
export const SERVING_INPUT_FILE = 'serving_input_example.json';

/**
 * An input example, saved as MLflow's _Example saves each kind: a table (a pandas DataFrame, split
 * orient), a tensor or a record of tensors (numpy arrays), or any other JSON value — a list (of
 * records, of scalars...), a record, a scalar — saved as it is with type json_object.
 */
export type InputExample = Frame | Tensor | { [name: string]: Tensor } | unknown;

export interface InputExampleFiles {
  info: SavedInputExampleInfo;
  /** input_example.json text (Python json.dumps, one line). */
  example: string;
  /** serving_input_example.json text (json.dumps indent=2): the body to POST to /invocations. */
  servingInput: string;
}

/** The keys that make a record an unwrapped LLM request (MLflow's is_unified_llm_input). */
const LLM_INPUT_KEYS = ['messages', 'prompt', 'input'];

/** The two files MLflow writes for an input example, and the MLmodel info that points at them. */
export function inputExampleFiles(example: InputExample): InputExampleFiles {
  const base = { artifact_path: INPUT_EXAMPLE_FILE, serving_input_path: SERVING_INPUT_FILE };
  if (isFrame(example)) {
    const split = frameToSplit(example);
    return {
      info: { artifact_path: INPUT_EXAMPLE_FILE, pandas_orient: 'split', serving_input_path: SERVING_INPUT_FILE, type: 'dataframe' },
      example: pyJsonDumps(split),
      servingInput: pyJsonDumps({ dataframe_split: split }, { indent: 2 }),
    };
  }
  if (isTensor(example)) {
    const list = tensorToList(example, { nanAsNull: true });
    return { info: { ...base, type: 'ndarray' }, example: pyJsonDumps(list), servingInput: pyJsonDumps({ inputs: list }, { indent: 2 }) };
  }
  if (isPlainObject(example) && Object.values(example).some(isTensor)) {
    if (!Object.values(example).every(isTensor)) {
      throw new MlflowError('Mixed types in dictionary are not supported as input examples. Found numpy arrays and other types.', 'INVALID_PARAMETER_VALUE');
    }
    const dict = Object.fromEntries(Object.entries(example).map(([k, t]) => [k, tensorToList(t as Tensor, { nanAsNull: true })]));
    return { info: { ...base, type: 'ndarray' }, example: pyJsonDumps(dict), servingInput: pyJsonDumps({ inputs: dict }, { indent: 2 }) };
  }
  if (Array.isArray(example) && containsTensor(example)) {
    throw new MlflowError(
      'Multidimensional arrays (aka tensors) are not supported. Numpy arrays in list are not supported as input examples.',
      'INTERNAL_ERROR',
    );
  }
  if (example === undefined || typeof example === 'function' || typeof example === 'symbol') {
    throw new MlflowError('Input example must be a Frame, a Tensor, a record of Tensors or a JSON value', 'INVALID_PARAMETER_VALUE');
  }
  // A record with an LLM key is served as it is; anything else inside {"inputs": ...}.
  const llm = isPlainObject(example) && LLM_INPUT_KEYS.some((k) => Object.hasOwn(example, k));
  return {
    info: { ...base, type: 'json_object' },
    example: pyJsonDumps(example),
    servingInput: pyJsonDumps(llm ? example : { inputs: example }, { indent: 2 }),
  };
}

/** Writes input_example.json and serving_input_example.json into `dir`; returns the MLmodel info. */
export async function saveInputExample(dir: string, example: InputExample): Promise<SavedInputExampleInfo> {
  const files = inputExampleFiles(example);
  await writeFile(path.join(dir, INPUT_EXAMPLE_FILE), files.example);
  await writeFile(path.join(dir, SERVING_INPUT_FILE), files.servingInput);
  return files.info;
}

export interface LoadedInputExample {
  info: SavedInputExampleInfo;
  /** The parsed input_example.json (NaN/Infinity as Python writes them are read as numbers). */
  example: unknown;
  /** The parsed serving_input_example.json, or, for older models without it, one built as MLflow would. */
  servingInput: unknown;
}

/** Reads a model's saved input example, or undefined when it has none. */
export async function loadInputExample(
  modelDir: string,
  model: { savedInputExampleInfo?: SavedInputExampleInfo },
): Promise<LoadedInputExample | undefined> {
  const info = model.savedInputExampleInfo;
  if (!info) return undefined;
  const read = async (rel: unknown, field: string): Promise<unknown> => {
    if (typeof rel !== 'string') throw new MlflowError(`MLmodel: field '${field}' must be a path`, 'INVALID_PARAMETER_VALUE');
    const file = resolveInside(modelDir, rel, field);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new MlflowError(`Cannot read input example '${rel}' (${field}): ${(e as Error).message}`, 'RESOURCE_DOES_NOT_EXIST', { cause: e });
    }
    return parsePyJson(text, rel);
  };
  const example = await read(info.artifact_path, 'saved_input_example_info.artifact_path');
  const servingInput =
    info.serving_input_path !== undefined
      ? await read(info.serving_input_path, 'saved_input_example_info.serving_input_path')
      : info.type === 'dataframe'
        ? { [`dataframe_${info.pandas_orient ?? 'split'}`]: example }
        : { inputs: example };
  return { info, example, servingInput };
}

// ---- conversions -----------------------------------------------------------------------------

interface Split {
  columns: string[];
  data: unknown[][];
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x) && !(x instanceof Date);
}

function containsTensor(x: unknown): boolean {
  if (isTensor(x)) return true;
  if (Array.isArray(x)) return x.some(containsTensor);
  if (isPlainObject(x)) return Object.values(x).some(containsTensor);
  return false;
}

function frameToSplit(frame: Frame): Split {
  const cols = frame.columns.map((c) => columnValues(c.data));
  const data: unknown[][] = [];
  for (let i = 0; i < frame.numRows; i++) data.push(cols.map((c) => c[i]));
  return { columns: frame.columnNames, data };
}

/** A column's values as pandas' to_dict gives them to json.dumps. */
function columnValues(d: ColumnData): unknown[] {
  switch (d.kind) {
    case 'number': {
      const isFloat = d.dtype === 'float64' || d.dtype === 'float32';
      return Array.from(d.values, (v) => (isFloat ? new PyFloat(v) : v));
    }
    case 'binary':
      return d.values.map((v) => (v === null ? null : Buffer.from(v).toString('base64')));
    case 'datetime':
      return d.values.map((v) => (v === null ? null : isoformat(v)));
    default:
      return d.values as unknown[];
  }
}

/**
 * numpy's tolist(): nested lists in row-major order. `nanAsNull`: NaN becomes null, as _Example
 * writes a numeric array (np.where(np.isnan(x), None, x)).
 */
export function tensorToList(t: Tensor, options: { nanAsNull?: boolean } = {}): unknown {
  const isFloat = t.dtype === 'float64' || t.dtype === 'float32';
  const item = (i: number): unknown => {
    const v = t.data[i];
    if (t.dtype === 'bool') return v !== 0;
    if (options.nanAsNull && isFloat && Number.isNaN(v)) return null;
    return isFloat ? new PyFloat(v as number) : v;
  };
  if (t.shape.length === 0) return item(0);
  let offset = 0;
  const build = (dim: number): unknown[] => {
    const out: unknown[] = [];
    for (let i = 0; i < t.shape[dim]; i++) out.push(dim === t.shape.length - 1 ? item(offset++) : build(dim + 1));
    return out;
  };
  return build(0);
}
