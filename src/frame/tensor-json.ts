import { MlflowError } from '../errors.js';
import { NO_FLOAT_LITERALS, type FloatLiterals } from './json-text.js';
import { floatStr, pythonTupleRepr } from './python-text.js';
import { makeTensor, type Tensor } from './tensor.js';

/** numpy's limit on dimensions. */
const MAX_DIMS = 32;

export interface TensorFromJsonOptions {
  /** Which numbers were written as float literals (from parseJsonText); default: none. */
  floats?: FloatLiterals;
  /**
   * Ragged nesting: 'error' (default) as np.array(x) refuses it since numpy 1.24; 'object' as
   * np.array(x, dtype=object) keeps the ragged sub-lists as elements of an object tensor.
   */
  ragged?: 'error' | 'object';
}

/**
 * A Tensor from nested JSON as numpy's np.array(value) builds it: the shape from the nesting,
 * the dtype from the leaves (all bool -> bool; ints and bools -> int64; any float -> float64; any
 * string -> string, the other leaves written as Python's str; any null or object -> object).
 * A ragged nesting is a BAD_REQUEST with numpy's message.
 */
export function tensorFromJson(value: unknown, options: TensorFromJsonOptions = {}): Tensor {
  const holder = [value];
  return tensorAt(holder, 0, options);
}

/**
 * Same, for the value held at `container[key]`, so that a float literal found there (marked
 * by the parser on its container) keeps its float type.
 */
export function tensorAt(container: object, key: string | number, options: TensorFromJsonOptions = {}): Tensor {
  const floats = options.floats ?? NO_FLOAT_LITERALS;
  const value = (container as Record<string | number, unknown>)[key];
  if (!Array.isArray(value)) return leavesToTensor([value], () => floats.has(container, key), []);

  const shape = [value.length];
  let level: unknown[][] = [value];
  for (;;) {
    let arrays = 0;
    let others = 0;
    let width = -1;
    let uneven = false;
    for (const a of level) {
      for (const x of a) {
        if (Array.isArray(x)) {
          arrays++;
          if (width < 0) width = x.length;
          else if (x.length !== width) uneven = true;
        } else {
          others++;
        }
      }
    }
    if (arrays === 0) break;
    if (others > 0 || uneven) {
      if (options.ragged === 'object') return raggedObjectTensor(level, shape);
      throw new MlflowError(
        'Invalid input. setting an array element with a sequence. The requested array has an inhomogeneous' +
          ` shape after ${shape.length} dimensions. The detected shape was ${pythonTupleRepr(shape)} +` +
          ' inhomogeneous part.',
        'BAD_REQUEST',
      );
    }
    shape.push(width);
    if (shape.length > MAX_DIMS) {
      throw new MlflowError(
        `Invalid input. maximum supported dimension for an ndarray is ${MAX_DIMS}, found ${shape.length}`,
        'BAD_REQUEST',
      );
    }
    level = level.flat(1) as unknown[][];
  }

  const leaves = level.length === 1 ? level[0] : level.flat(1);
  if (floats === NO_FLOAT_LITERALS) return leavesToTensor(leaves, NO_MARKS, shape);
  // Which leaves were written as float literals, found on the arrays holding them.
  const marked = new Uint8Array(leaves.length);
  let k = 0;
  for (const a of level) {
    for (let i = 0; i < a.length; i++, k++) if (floats.has(a, i)) marked[k] = 1;
  }
  return leavesToTensor(leaves, (i) => marked[i] === 1, shape);
}

function raggedObjectTensor(level: unknown[][], shape: number[]): Tensor {
  return makeTensor({ dtype: 'object', shape, data: level.flat(1) });
}

const NO_MARKS = (): boolean => false;

/** `isFloatLiteral(i)`: leaf i was written as a float literal though integral. */
function leavesToTensor(leaves: unknown[], isFloatLiteral: (i: number) => boolean, shape: number[]): Tensor {
  let hasObject = false;
  let hasString = false;
  let hasFloat = false;
  let hasInt = false;
  for (let i = 0; i < leaves.length; i++) {
    const v = leaves[i];
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || isFloatLiteral(i)) hasFloat = true;
      else hasInt = true;
    } else if (typeof v === 'string') {
      hasString = true;
    } else if (typeof v !== 'boolean') {
      hasObject = true;
    }
  }
  if (hasObject) return makeTensor({ dtype: 'object', shape, data: leaves });
  if (hasString) {
    const data = leaves.map((v, i) => {
      if (typeof v === 'string') return v;
      if (typeof v === 'boolean') return v ? 'True' : 'False';
      const n = v as number;
      return Number.isInteger(n) && !isFloatLiteral(i) ? BigInt(n).toString() : floatStr(n);
    });
    return makeTensor({ dtype: 'string', shape, data });
  }
  if (hasFloat || hasInt || leaves.length === 0) {
    const data = new Float64Array(leaves.length);
    for (let i = 0; i < leaves.length; i++) data[i] = leaves[i] as number; // bools become 1/0 through the typed array
    return makeTensor({ dtype: hasFloat || leaves.length === 0 ? 'float64' : 'int64', shape, data });
  }
  const data = new Uint8Array(leaves.length);
  for (let i = 0; i < leaves.length; i++) data[i] = leaves[i] ? 1 : 0;
  return makeTensor({ dtype: 'bool', shape, data });
}

/**
 * A Tensor as nested JS arrays, as ndarray.tolist() gives them: numbers, booleans for bool,
 * the stored values for string and object tensors; a 0-d tensor is its single value.
 */
export function tensorToNested(t: Tensor): unknown {
  const at = (i: number): unknown => (t.dtype === 'bool' ? t.data[i] !== 0 : t.data[i]);
  if (t.shape.length === 0) return at(0);
  const rec = (dim: number, offset: number, stride: number): unknown[] => {
    const n = t.shape[dim];
    const inner = stride / Math.max(1, n);
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = dim === t.shape.length - 1 ? at(offset + i) : rec(dim + 1, offset + i * inner, inner);
    return out;
  };
  return rec(0, 0, t.data.length);
}
