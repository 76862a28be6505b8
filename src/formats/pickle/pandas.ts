import { MlflowError, NotSupportedNativelyError } from '../../errors.js';
import { isNdArray, isPyInstance, type BuildContext } from './builtins.js';
import type { NdArray } from './types.js';

/**
 * The pandas and pyarrow values a pickled model holds as plain data: a pandas Index (what
 * `df.columns[...]` gives, e.g. as a ColumnTransformer's column list) becomes the numpy array of
 * its values. pandas < 3 pickles the Index's values as a numpy object array; pandas 3 as an
 * ArrowStringArray (StringDtype, dtype 'str') over pyarrow string buffers, which are decoded here.
 */

type Build = (args: unknown[], ctx: BuildContext) => unknown;

/** A pyarrow buffer: py_buffer(bytearray(...)). */
const pyBuffer: Build = ([bytes], { where }) => {
  if (!(bytes instanceof Uint8Array)) throw new MlflowError(`${where}: pyarrow py_buffer of something that is not bytes`, 'INVALID_PARAMETER_VALUE');
  return bytes;
};

/** A pyarrow DataType named by alias: only the string types are read. */
const typeForAlias: Build = ([alias], { where }) => {
  if (alias !== 'string' && alias !== 'large_string' && alias !== 'utf8' && alias !== 'large_utf8') {
    throw new NotSupportedNativelyError(`${where}: pyarrow arrays of type '${String(alias)}' are not supported natively`);
  }
  return { kind: 'arrow-type', large: alias.startsWith('large') };
};

/**
 * pyarrow's _restore_array((type, length, null_count, offset, buffers, children, dictionary)):
 * a string array from its validity bitmap, offsets (int32, int64 for large_string) and UTF-8 data.
 */
const restoreArray: Build = ([state], { where }) => {
  const bad = (what: string): never => {
    throw new MlflowError(`${where}: pyarrow array state ${what}`, 'INVALID_PARAMETER_VALUE');
  };
  if (!Array.isArray(state) || state.length < 5) return bad('is not a tuple');
  const [type, length, , offset, buffers] = state as [unknown, unknown, unknown, unknown, unknown];
  if (typeof type !== 'object' || type === null || (type as { kind?: unknown }).kind !== 'arrow-type') return bad('names no string type');
  if (typeof length !== 'number' || typeof offset !== 'number' || !Array.isArray(buffers) || buffers.length !== 3) return bad('has no length, offset or three buffers');
  const [validity, offsetsBuf, data] = buffers as [unknown, unknown, unknown];
  if (!(offsetsBuf instanceof Uint8Array) || !(data instanceof Uint8Array)) return bad('lacks its offsets or data');
  const large = (type as { large: boolean }).large;
  const width = large ? 8 : 4;
  if (offsetsBuf.length < (offset + length + 1) * width) return bad('has too few offsets');
  const view = new DataView(offsetsBuf.buffer, offsetsBuf.byteOffset, offsetsBuf.byteLength);
  const at = (i: number): number => (large ? Number(view.getBigInt64(i * 8, true)) : view.getInt32(i * 4, true));
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const out: (string | null)[] = [];
  for (let i = offset; i < offset + length; i++) {
    if (validity instanceof Uint8Array && ((validity[i >> 3] >> (i & 7)) & 1) === 0) {
      out.push(null);
      continue;
    }
    const a = at(i);
    const b = at(i + 1);
    if (a < 0 || b < a || b > data.length) return bad(`has offsets out of range at ${i}`);
    out.push(utf8.decode(data.subarray(a, b)));
  }
  return out;
};

/** pandas' _new_Index(cls, {'data': values, 'name': ...}): the Index's values as a numpy array. */
const newIndex: Build = ([, d], { where }) => {
  const data = d instanceof Map ? d.get('data') : undefined;
  if (isNdArray(data)) return data;
  if (isPyInstance(data) && data.name === 'ArrowStringArray') {
    const values = data.state._pa_array;
    if (!Array.isArray(values)) throw new MlflowError(`${where}: ArrowStringArray without its pyarrow array`, 'INVALID_PARAMETER_VALUE');
    const nd: NdArray = { kind: 'ndarray', dtype: '|O', shape: [values.length], data: values };
    return nd;
  }
  throw new NotSupportedNativelyError(`${where}: a pandas Index whose values are not a numpy or pyarrow string array is not supported natively`);
};

const BUILDERS = new Map<string, Build>([
  ['pandas.core.indexes.base._new_Index', newIndex],
  ['pyarrow.lib._restore_array', restoreArray],
  ['pyarrow.lib.type_for_alias', typeForAlias],
  ['pyarrow.lib.py_buffer', pyBuffer],
]);

/**
 * Classes made as inert instances (ArrowStringArray's state is read by newIndex) or named only
 * as arguments (the Index class passed to _new_Index).
 */
const CLASSES = new Set([
  'pandas.arrays.ArrowStringArray', 'pandas.core.arrays.string_arrow.ArrowStringArray',
  'pandas.StringDtype', 'pandas.core.arrays.string_.StringDtype',
  'pandas.Index', 'pandas.core.indexes.base.Index',
]);

export function isPandasGlobal(key: string): boolean {
  return BUILDERS.has(key) || CLASSES.has(key);
}

export function pandasBuilderFor(key: string): Build | undefined {
  return BUILDERS.get(key);
}
