import { MlflowError, NotSupportedNativelyError } from '../../errors.js';
import type { NdArray, PyInstance } from '../../formats/pickle/types.js';

/** Reads the fitted attributes of a pickled estimator, naming the class and attribute on error. */
export class State {
  readonly inst: PyInstance;
  readonly className: string;

  constructor(inst: PyInstance) {
    this.inst = inst;
    this.className = `${inst.module}.${inst.name}`;
  }

  /**
   * True if the pickle was written by scikit-learn `major.minor.patch` or later (`_sklearn_version`,
   * which every estimator pickles; absent only in pre-0.18 pickles), for fitted state or methods
   * whose meaning changed between versions. A pre-release (1.4.dev0, 1.4.0rc1) counts as its release.
   */
  sklearnAtLeast(major: number, minor: number, patch = 0): boolean {
    const v = this.inst.state._sklearn_version;
    const m = typeof v === 'string' ? /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v) : null;
    if (!m) return false;
    const have = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
    const want = [major, minor, patch];
    const i = have.findIndex((n, j) => n !== want[j]);
    return i === -1 || have[i] > want[i];
  }

  has(key: string): boolean {
    const v = this.inst.state[key];
    return v !== undefined && v !== null;
  }

  raw(key: string): unknown {
    return this.inst.state[key];
  }

  /**
   * The file read as a valid pickle, but this attribute (missing, of another type, or a value
   * not implemented) is beyond what the native code handles: the Python bridge may take it.
   */
  fail(detail: string): never {
    throw new NotSupportedNativelyError(`Cannot use the pickled ${this.className}: ${detail}`);
  }

  private need(key: string): unknown {
    const v = this.inst.state[key];
    if (v === undefined) this.fail(`attribute '${key}' is missing (is the estimator fitted?)`);
    return v;
  }

  number(key: string): number {
    const v = this.need(key);
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'bigint') return Number(v);
    if (isNdArray(v) && v.data.length === 1 && typeof v.data[0] === 'number') return v.data[0];
    return this.fail(`attribute '${key}' should be a number`);
  }

  numberOr(key: string, dflt: number): number {
    return this.has(key) ? this.number(key) : dflt;
  }

  string(key: string): string {
    const v = this.need(key);
    if (typeof v !== 'string') this.fail(`attribute '${key}' should be a string`);
    return v;
  }

  stringOr(key: string, dflt: string): string {
    const v = this.inst.state[key];
    return typeof v === 'string' ? v : dflt;
  }

  bool(key: string, dflt: boolean): boolean {
    const v = this.inst.state[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    return this.fail(`attribute '${key}' should be a boolean`);
  }

  array(key: string): NdArray {
    const v = this.need(key);
    if (!isNdArray(v)) this.fail(`attribute '${key}' should be a numpy array`);
    return v;
  }

  /** A numeric attribute (array or scalar) as float64 values, with its shape. */
  floats(key: string): { data: Float64Array; shape: number[] } {
    const v = this.need(key);
    if (typeof v === 'number') return { data: Float64Array.of(v), shape: [] };
    if (!isNdArray(v)) this.fail(`attribute '${key}' should be a numeric array`);
    return { data: floatData(v, `${this.className}.${key}`), shape: v.shape };
  }

  /**
   * Whether `key` is a float32 array: an estimator fitted on float32 rows keeps some fitted
   * arrays float32, and numpy's arithmetic on them (with float32 rows) stays float32.
   */
  isFloat32(key: string): boolean {
    const v = this.inst.state[key];
    return isNdArray(v) && dtypeName(v.dtype) === 'float32';
  }

  list(key: string): unknown[] {
    const v = this.need(key);
    if (Array.isArray(v)) return v;
    if (isNdArray(v) && Array.isArray(v.data)) return v.data;
    return this.fail(`attribute '${key}' should be a list`);
  }

  instance(key: string): PyInstance {
    const v = this.need(key);
    if (!isInstance(v)) this.fail(`attribute '${key}' should be an estimator object`);
    return v;
  }
}

export function isNdArray(v: unknown): v is NdArray {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'ndarray';
}

export function isInstance(v: unknown): v is PyInstance {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'instance';
}

/** A numeric NdArray as Float64Array (shared when it already is one). */
export function floatData(a: NdArray, what: string): Float64Array {
  const d = a.data;
  if (d instanceof Float64Array) return d;
  if (Array.isArray(d)) {
    const out = new Float64Array(d.length);
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (typeof v !== 'number') {
        throw new MlflowError(`${what} holds non-numeric values (dtype ${a.dtype})`, 'INVALID_PARAMETER_VALUE');
      }
      out[i] = v;
    }
    return out;
  }
  return Float64Array.from(d as ArrayLike<number>);
}

/** numpy dtype.str -> the numpy name ('<i8' -> 'int64'); kind letters for strings/objects. */
export function dtypeName(str: string): string {
  const s = str.replace(/^[<>|=]/, '');
  const kind = s[0];
  const size = Number(s.slice(1));
  if (kind === 'f') return `float${size * 8}`;
  if (kind === 'i') return `int${size * 8}`;
  if (kind === 'u') return `uint${size * 8}`;
  if (kind === 'b') return 'bool';
  if (kind === 'U' || kind === 'S') return 'string';
  return 'object';
}

/**
 * A numeric attribute as dense float64 values: a model fitted on sparse input keeps
 * support_vectors_ and _dual_coef_ (SVMs) or X_fit_ (KernelRidge) as scipy CSR matrices (data,
 * indices, indptr, _shape).
 */
export function denseFloats(s: State, key: string): { data: Float64Array; shape: number[] } {
  const v = s.raw(key);
  if (!isInstance(v) || !/^scipy\.sparse\.(_csr|csr)$/.test(v.module)) return s.floats(key);
  const part = new State(v);
  const shape = part.list('_shape').map(Number);
  const [rows, cols] = shape;
  const data = part.floats('data').data;
  const indices = part.floats('indices').data;
  const indptr = part.floats('indptr').data;
  if (shape.length !== 2 || indptr.length !== rows + 1) s.fail(`${key} is not a 2-D CSR matrix`);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let p = indptr[i]; p < indptr[i + 1]; p++) out[i * cols + indices[p]] += data[p];
  return { data: out, shape };
}
