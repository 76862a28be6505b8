import { MlflowError } from '../../errors.js';
import { isDType, parseDTypeCode, type DType } from '../numpy/dtype.js';
import { ndarrayFromBytes, ndarrayFromList, scalarFromBytes } from '../numpy/ndarray.js';
import { recordArrayDType } from './provenance.js';
import type { NdArray, PyGlobal, PyInstance } from './types.js';

/**
 * The globals the reader knows by itself: the pieces numpy, scipy and the standard library use to
 * rebuild plain data. Each is rebuilt by our own code here; nothing named in a pickle ever runs.
 */

/**
 * What a builder may ask of the reader: where it is (for messages) and a budget. Builders copy
 * values that a pickle can reference many times through its memo, so each copy is charged
 * against options.maxBytes: a small file cannot make the reader allocate without bound.
 */
export interface BuildContext {
  readonly where: string;
  charge(bytes: number): void;
}

/** A REDUCE on one of these returns data built from its arguments. */
type Builder = (args: unknown[], ctx: BuildContext) => unknown;

const NUMPY_CORE = ['numpy.core', 'numpy._core'];

export function isPyGlobal(x: unknown): x is PyGlobal {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'global';
}

export function isPyInstance(x: unknown): x is PyInstance {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'instance';
}

export function isNdArray(x: unknown): x is NdArray {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'ndarray';
}

export function makeInstance(module: string, name: string, args: unknown[]): PyInstance {
  return { kind: 'instance', module, name, state: {}, args };
}

/** Arrays made by `_reconstruct` wait for their BUILD; the reader tracks them by identity. */
function emptyArray(): NdArray {
  return { kind: 'ndarray', dtype: '|u1', shape: [0], data: new Uint8Array(0) };
}

function fail(where: string, message: string): never {
  throw new MlflowError(`${where}: ${message}`, 'INVALID_PARAMETER_VALUE');
}

function latin1Bytes(s: string, where: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) fail(where, 'bytes given as text hold a character beyond latin-1');
    out[i] = c;
  }
  return out;
}

function asBytes(x: unknown, where: string): Uint8Array {
  if (x instanceof Uint8Array) return x;
  if (typeof x === 'string') return latin1Bytes(x, where);
  return fail(where, 'expected bytes');
}

function asDType(x: unknown, where: string): DType {
  if (!isDType(x)) fail(where, 'expected a numpy dtype');
  return x;
}

const reconstruct: Builder = (args, { where }) => {
  const cls = args[0];
  if (!isPyGlobal(cls) || cls.module !== 'numpy' || cls.name !== 'ndarray') {
    fail(where, `numpy _reconstruct of ${isPyGlobal(cls) ? `${cls.module}.${cls.name}` : 'a non-class'} is not supported (only numpy.ndarray)`);
  }
  return emptyArray();
};

const frombuffer: Builder = ([buf, dtype, shape, order], { where, charge }) => {
  const bytes = asBytes(buf, where);
  charge(bytes.length);
  const d = asDType(dtype, where);
  return recordArrayDType(ndarrayFromBytes(d, shape, bytes, order === 'F', where), d);
};

const scalar: Builder = ([dtype, value], { where }) => {
  const dt = asDType(dtype, where);
  if (dt.char === 'O') return value;
  return scalarFromBytes(dt, asBytes(value, where), where);
};

const dtype: Builder = ([code], { where }) => {
  if (typeof code !== 'string') fail(where, 'numpy dtype code is not a string');
  return parseDTypeCode(code, where);
};

function items(x: unknown, where: string): unknown[] {
  if (x === undefined) return [];
  if (Array.isArray(x)) return x;
  if (x instanceof Set) return [...x];
  if (x instanceof Map) return [...x.keys()];
  return fail(where, 'expected a list of items');
}

const toSet: Builder = ([iterable], { where, charge }) => {
  const list = items(iterable, where);
  charge(8 * list.length);
  return new Set(list);
};

const toBytes: Builder = (args, { where, charge }) => {
  const [x, encoding] = args;
  if (x === undefined) return new Uint8Array(0);
  charge(x instanceof Uint8Array || typeof x === 'string' || Array.isArray(x) ? x.length : 0);
  if (x instanceof Uint8Array) return x.slice();
  if (typeof x === 'string') {
    if (encoding !== undefined && encoding !== 'latin1' && encoding !== 'latin-1') fail(where, `text encoding ${String(encoding)} is not supported for bytes`);
    return latin1Bytes(x, where);
  }
  if (Array.isArray(x) && x.every((b) => typeof b === 'number' && b >= 0 && b < 256)) return Uint8Array.from(x as number[]);
  return fail(where, 'bytes built from an unsupported value');
};

const toMap: Builder = ([pairs], { where, charge }) => {
  const m = new Map<unknown, unknown>();
  if (pairs instanceof Map) {
    charge(16 * pairs.size);
    return new Map(pairs);
  }
  const list = items(pairs, where);
  charge(16 * list.length);
  for (const p of list) {
    if (!Array.isArray(p) || p.length !== 2) fail(where, 'dict built from something other than pairs');
    m.set(p[0], p[1]);
  }
  return m;
};

/** copyreg's helpers (and sklearn's `newObj`) only make a bare instance of the class they name. */
const newInstanceOf: Builder = ([cls, ...rest], { where }) => {
  if (!isPyGlobal(cls)) fail(where, 'object construction names no class');
  return makeInstance(cls.module, cls.name, rest);
};

const reconstructor: Builder = ([cls, base, state], { where }) => {
  if (!isPyGlobal(cls)) fail(where, 'copyreg._reconstructor names no class');
  return makeInstance(cls.module, cls.name, state === null || state === undefined || isPyGlobal(base) && base.name === 'object' ? [] : [state]);
};

const BUILDERS = new Map<string, Builder>([
  ['numpy.dtype', dtype],
  ['_codecs.encode', toBytes],
  ['builtins.set', toSet],
  ['builtins.frozenset', toSet],
  ['builtins.bytearray', toBytes],
  ['builtins.bytes', toBytes],
  ['collections.OrderedDict', toMap],
  ['collections.defaultdict', () => new Map()],
  ['builtins.dict', toMap],
  ['copyreg._reconstructor', reconstructor],
  ['copyreg.__newobj__', newInstanceOf],
  ['copyreg.__newobj_ex__', newInstanceOf],
]);
for (const core of NUMPY_CORE) {
  BUILDERS.set(`${core}.multiarray._reconstruct`, reconstruct);
  BUILDERS.set(`${core}.numeric._frombuffer`, frombuffer);
  BUILDERS.set(`${core}.multiarray.scalar`, scalar);
}

/** Data classes a REDUCE or NEWOBJ turns into a PyInstance holding its arguments. */
const INSTANCE_CLASSES = new Set([
  'builtins.slice',
  'builtins.complex',
  'builtins.range',
  'builtins.object',
  'numpy.random._pickle.__randomstate_ctor',
  'numpy.random._pickle.__generator_ctor',
  'numpy.random._pickle.__bit_generator_ctor',
  'numpy.random.mtrand.RandomState',
  ...['_csr', '_csc', '_coo', 'csr', 'csc', 'coo'].flatMap((m) => {
    const kind = m.replace('_', '');
    return [`scipy.sparse.${m}.${kind}_matrix`, `scipy.sparse.${m}.${kind}_array`];
  }),
]);

/** Types referenced as values (a `dtype=np.float64` parameter, a defaultdict factory). */
const REFERENCES = new Set([
  'numpy.ndarray',
  ...['float64', 'float32', 'float16', 'int64', 'int32', 'int16', 'int8', 'uint64', 'uint32', 'uint16', 'uint8', 'bool_', 'object_', 'str_', 'bytes_', 'datetime64', 'timedelta64'].map((t) => `numpy.${t}`),
  ...['int', 'float', 'str', 'bool', 'list', 'tuple', 'bytes'].map((t) => `builtins.${t}`),
]);

export function isBuiltinGlobal(key: string): boolean {
  return BUILDERS.has(key) || INSTANCE_CLASSES.has(key) || REFERENCES.has(key);
}

export function builderFor(key: string): Builder | undefined {
  return BUILDERS.get(key);
}

/** A BUILD on a bare numpy array: numpy's ndarray.__setstate__. */
export function arrayState(target: NdArray, state: unknown, { where, charge }: BuildContext): void {
  if (!Array.isArray(state) || (state.length !== 5 && state.length !== 4)) fail(where, 'numpy array state is not a 4- or 5-tuple');
  const [shape, dt, fortran, raw] = state.length === 5 ? state.slice(1) : state;
  const d = asDType(dt, where);
  charge(Array.isArray(raw) || raw instanceof Uint8Array || typeof raw === 'string' ? raw.length : 0);
  const built = Array.isArray(raw)
    ? ndarrayFromList(d, shape, raw, where)
    : ndarrayFromBytes(d, shape, asBytes(raw, where), fortran === true || fortran === 1, where);
  recordArrayDType(Object.assign(target, built), d);
}
