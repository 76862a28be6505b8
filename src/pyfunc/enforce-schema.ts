import { MlflowError } from '../errors.js';
import { Frame, isFrame, type Column, type ColumnData, type NumericDType } from '../frame/frame.js';
import { isTensor, makeTensor, type Tensor } from '../frame/tensor.js';
import {
  AnyType, ArrayType, ColSpec, MapType, ObjectType, TensorSpec,
  type ColType, type DataType, type InputSpec, type Schema,
} from '../model/signature.js';
import { columnFromJsonValues as columnFromValues } from '../frame/frame-from-json.js';
import { pythonTupleRepr as shapeRepr } from '../frame/python-text.js';
import { castToTensor, castValues, numpyNameOf, tensorDtypeOf, upcastNumbers } from './cast-values.js';
import { inputToFrame, inputTypeName, isPlainObject, isScalar } from './to-frame.js';

/**
 * Checks a predict input against the model's input schema with MLflow 2.22's rules
 * (mlflow/models/utils.py `_enforce_schema`) and returns what the flavor's predict receives:
 * a Frame with the signature's columns, in its order, for a column signature (extra columns
 * dropped, safe upcasts applied); a Tensor, or named tensors, for a tensor signature.
 * Errors are MlflowError('INVALID_PARAMETER_VALUE') shaped as MLflow's, but describing the data
 * by its shape, never by its values.
 */
export function enforceSchema(input: unknown, schema: Schema): Frame | Tensor | Record<string, Tensor> {
  try {
    return enforce(input, schema);
  } catch (err) {
    const inner = err instanceof Error ? err.message : String(err);
    throw new MlflowError(
      `Failed to enforce schema of data ${describeData(input)} with schema '${schemaRepr(schema)}'. Error: ${inner}`,
      'INVALID_PARAMETER_VALUE',
      { cause: err },
    );
  }
}

function enforce(input: unknown, schema: Schema): Frame | Tensor | Record<string, Tensor> {
  const tensorSchema = schema.isTensorSpec();
  let data: unknown = input;
  if (!tensorSchema) data = inputToFrame(input);

  if (schema.hasInputNames()) {
    const required = schema.requiredNames as readonly string[];
    // One named tensor: a bare tensor is taken as that input, as MLflow does.
    if (tensorSchema && required.length === 1 && isTensor(data)) data = { [required[0]]: data };
    const missing = missingNames(required, data);
    if (missing.length > 0) {
      const actual = actualNames(data);
      const optional = new Set(schema.optionalInputNames() as string[]);
      const extra = actual.filter((n) => !required.includes(n) && !optional.has(n));
      let message = `Model is missing inputs ${namesRepr(missing)}.`;
      if (extra.length > 0) message += ` Note that there were extra inputs: ${namesRepr(extra.slice(0, MAX_LISTED_EXTRA))}`;
      if (extra.length > MAX_LISTED_EXTRA) message += ` and ${extra.length - MAX_LISTED_EXTRA} more`;
      throw new Error(message);
    }
  } else if (!tensorSchema) {
    const frame = data as Frame;
    if (frame.columns.length < schema.inputs.length) {
      throw new Error(
        `Model inference is missing inputs. The model signature declares ${schema.inputs.length} inputs  but the provided value only has ${frame.columns.length} inputs. Note: the inputs were not named in the signature so we can only verify their count.`,
      );
    }
  }
  if (tensorSchema) return enforceTensorSchema(data, schema.inputs as TensorSpec[], schema.hasInputNames());
  return enforceColumnSchema(data as Frame, schema.inputs as ColSpec[], schema.hasInputNames());
}

/**
 * Extra inputs named in a "missing inputs" error; MLflow lists them all, which for a request of
 * 30,000 made-up column names is an answer larger than the request, built while the server waits.
 */
const MAX_LISTED_EXTRA = 20;

/** The required names `data` lacks (an empty array, shared, when none: the common case allocates nothing). */
function missingNames(required: readonly string[], data: unknown): readonly string[] {
  let missing: string[] | undefined;
  const frame = isFrame(data) ? data : undefined;
  const record = frame === undefined && isPlainObject(data) ? data : undefined;
  for (const n of required) {
    // as in Object.keys: own and enumerable
    const present = frame ? frame.column(n) !== undefined : record ? Object.prototype.propertyIsEnumerable.call(record, n) : false;
    if (!present) (missing ??= []).push(n);
  }
  return missing ?? NONE_MISSING;
}

const NONE_MISSING: readonly string[] = [];

function actualNames(data: unknown): string[] {
  if (isFrame(data)) return data.columnNames;
  if (isPlainObject(data)) return Object.keys(data);
  return [];
}

// ---- column signatures ------------------------------------------------------------------------

function enforceColumnSchema(frame: Frame, specs: ColSpec[], named: boolean): Frame {
  const columns: Column[] = [];
  // whether the result is `frame` itself: its columns, in the schema's order, none converted
  let same = frame.columns.length === specs.length;
  specs.forEach((spec, i) => {
    const column = named ? frame.column(spec.name as string) : frame.columns[i];
    // A missing optional column is left out, as MLflow does.
    if (!column) return;
    const data = typeof spec.type === 'string'
      ? enforceDataType(column.name, column.data, spec.type)
      : enforceNestedColumn(column.data, spec.type, spec.required);
    if (data !== column.data || column !== frame.columns[i]) same = false;
    columns.push(data === column.data ? column : { name: column.name, data });
  });
  return same ? frame : new Frame(columns, frame.numRows);
}

interface NumpyDtype { kind: 'f' | 'i' | 'u' | 'b' | 'O' | 'U' | 'S' | 'M'; size: number; name: string }

const NUMERIC: Record<NumericDType, NumpyDtype> = {
  float64: { kind: 'f', size: 8, name: 'float64' },
  float32: { kind: 'f', size: 4, name: 'float32' },
  int64: { kind: 'i', size: 8, name: 'int64' },
  int32: { kind: 'i', size: 4, name: 'int32' },
  int16: { kind: 'i', size: 2, name: 'int16' },
  int8: { kind: 'i', size: 1, name: 'int8' },
  uint64: { kind: 'u', size: 8, name: 'uint64' },
  uint32: { kind: 'u', size: 4, name: 'uint32' },
  uint16: { kind: 'u', size: 2, name: 'uint16' },
  uint8: { kind: 'u', size: 1, name: 'uint8' },
};

/** DataType.to_numpy() of each MLflow type. */
const TARGET: Record<DataType, NumpyDtype> = {
  boolean: { kind: 'b', size: 1, name: 'bool' },
  integer: NUMERIC.int32,
  long: NUMERIC.int64,
  float: NUMERIC.float32,
  double: NUMERIC.float64,
  string: { kind: 'U', size: 0, name: '<U0' },
  binary: { kind: 'S', size: 0, name: '|S0' },
  datetime: { kind: 'M', size: 8, name: 'datetime64[ns]' },
  sparkml_vector: { kind: 'O', size: 8, name: 'object' },
};

function dtypeOf(data: ColumnData): NumpyDtype {
  switch (data.kind) {
    case 'number': return NUMERIC[data.dtype];
    case 'bool': return data.values.includes(null) ? { kind: 'O', size: 8, name: 'object' } : TARGET.boolean;
    case 'datetime': return TARGET.datetime;
    default: return { kind: 'O', size: 8, name: 'object' };
  }
}

/** pandas' infer_objects on an object column: all numbers become numeric, all booleans bool. */
function inferObjects(data: ColumnData): ColumnData {
  if (data.kind !== 'object') return data;
  const inferred = columnFromValues('', data.values).data;
  return inferred.kind === 'number' || inferred.kind === 'bool' ? inferred : data;
}

/** `_enforce_mlflow_datatype`: the conversions MLflow allows, refusing any that may alter a value. */
function enforceDataType(name: string, data: ColumnData, t: DataType): ColumnData {
  if (data.kind === 'object' && t !== 'binary' && t !== 'string') data = inferObjects(data);
  const actual = dtypeOf(data);
  const target = TARGET[t];
  if (t === 'string' && actual.kind === 'O') return data;
  if (actual.name === target.name) return data;
  if ((t === 'binary' || t === 'sparkml_vector') && actual.kind === 'O') return data;
  if (t === 'datetime' && data.kind === 'datetime') return data;
  if (t === 'datetime' && actual.kind === 'O') return toDatetime(name, data);
  if (t === 'boolean' && actual.kind === 'O') return data;

  let upcast = false;
  if (actual.kind === target.kind) upcast = actual.size <= target.size;
  else if (actual.kind === 'u' && target.kind === 'i') upcast = actual.size < target.size;
  else if ((actual.kind === 'i' || actual.kind === 'u') && target.name === 'float64') upcast = actual.size <= 6;
  if (upcast && data.kind === 'number') {
    const dtype = target.name as NumericDType;
    return { kind: 'number', dtype, values: upcastNumbers(data.values, dtype) };
  }
  let hint = '';
  if (data.kind === 'number' && data.dtype === 'float64' && (target.kind === 'i' || target.kind === 'u')) {
    const vals = Array.from(data.values);
    if (vals.some(Number.isNaN) && vals.every((v) => Number.isNaN(v) || Number.isInteger(v))) {
      hint =
        ' Hint: the type mismatch is likely caused by missing values. Integer columns in python can not represent missing values and are therefore encoded as floats. The best way to avoid this problem is to infer the model schema based on a realistic data sample (training dataset) that includes missing values. Alternatively, you can declare integer columns as doubles (float64) whenever these columns may have missing values.';
    }
  }
  throw new Error(`Incompatible input types for column ${name}. Can not safely convert ${actual.name} to ${target.name}.${hint}`);
}

function toDatetime(name: string, data: ColumnData): ColumnData {
  const values = (data.values as unknown[]).map((v) => {
    if (v === null || v === undefined) return null;
    if (v instanceof Date) return v;
    const d = typeof v === 'string' ? new Date(v) : undefined;
    if (!d || Number.isNaN(d.getTime())) throw new Error(`Failed to convert column ${name} from type object to datetime.`);
    return d;
  });
  return { kind: 'datetime', values };
}

/** Array, Object, Map and Any columns: each value checked as MLflow's `_enforce_type`. */
function enforceNestedColumn(data: ColumnData, type: ColType, required: boolean): ColumnData {
  const values = data.kind === 'number' ? Array.from(data.values) : (data.values as unknown[]);
  return { kind: 'object', values: values.map((v) => enforceValue(v, type, required)) };
}

function enforceValue(v: unknown, type: ColType, required = true): unknown {
  if (!required && (v === null || v === undefined)) return null;
  if (type instanceof AnyType) return v;
  if (type instanceof ArrayType) {
    if (!Array.isArray(v)) throw new Error(`Expected data to be list or numpy array, got ${inputTypeName(v)}`);
    return v.map((x) => enforceValue(x, type.items));
  }
  if (type instanceof MapType) {
    if (!isPlainObject(v)) throw new Error(`Expected data to be a dict, got ${inputTypeName(v)}`);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, enforceValue(x, type.values)]));
  }
  if (type instanceof ObjectType) {
    if (!isPlainObject(v)) {
      throw new Error(`Failed to enforce schema of data with type '${typeRepr(type)}'. Expected data to be dictionary, got ${inputTypeName(v)}`);
    }
    const props = new Map(type.properties.map((p) => [p.name, p]));
    const missing = type.properties.filter((p) => p.required && !Object.hasOwn(v, p.name)).map((p) => p.name);
    if (missing.length > 0) throw new Error(`Missing required properties: ${setRepr(missing)}`);
    const invalid = Object.keys(v).filter((k) => !props.has(k));
    if (invalid.length > 0) throw new Error(`Invalid properties not defined in the schema found: ${setRepr(invalid)}`);
    const out: [string, unknown][] = [];
    for (const p of type.properties) {
      if (!Object.hasOwn(v, p.name)) continue;
      try {
        out.push([p.name, enforceValue(v[p.name], p.type, p.required)]);
      } catch {
        throw new Error(`Failed to enforce schema for key \`${p.name}\`. Expected type ${typeRepr(p.type)}, received type ${inputTypeName(v[p.name])}`);
      }
    }
    return Object.fromEntries(out);
  }
  if (!isScalar(v) || v === null) throw new Error(`Expected data to be scalar, got ${inputTypeName(v)}`);
  try {
    return (enforceDataType('', columnFromValues('', [v]).data, type as DataType).values as ArrayLike<unknown>)[0];
  } catch {
    throw new Error(`Failed to enforce schema of data with dtype \`${type as string}\``);
  }
}

// ---- tensor signatures ------------------------------------------------------------------------

function enforceTensorSchema(data: unknown, specs: TensorSpec[], named: boolean): Tensor | Record<string, Tensor> {
  if (named) {
    if (isFrame(data)) {
      return Object.fromEntries(
        specs.map((s) => [s.name as string, reshapeColumn(s.name as string, (data.column(s.name as string) as Column).data, s)]),
      );
    }
    if (isPlainObject(data)) {
      return Object.fromEntries(
        specs.map((s) => {
          const v = Object.hasOwn(data, s.name as string) ? data[s.name as string] : undefined;
          if (!isTensor(v)) {
            throw new Error(
              `This model contains a tensor-based model signature with input names, which suggests a dictionary input mapping input name to a numpy array, but a dict with value type ${pyClass(v)} was found.`,
            );
          }
          return [s.name as string, enforceTensorSpec(v, s)];
        }),
      );
    }
    throw new Error(
      `This model contains a tensor-based model signature with input names, which suggests a dictionary input mapping input name to tensor, or a pandas DataFrame input containing columns mapping input name to flattened list value from tensor, but an input of type ${pyClass(data)} was found.`,
    );
  }
  const spec = specs[0];
  if (isFrame(data)) {
    if (data.numRows === 0 || data.columns.length === 0) throw new Error('Input DataFrame is empty.');
    if (data.columns.length === 1) return reshapeColumn(null, data.columns[0].data, spec);
    if (spec.shape.length !== 2 || spec.shape[0] !== -1 || spec.shape[1] !== data.columns.length) {
      throw new Error(
        `This model contains a model signature with an unnamed input. Since the input data is a pandas DataFrame containing multiple columns, the input shape must be of the structure (-1, number_of_dataframe_columns). Instead, the input DataFrame passed had ${data.columns.length} columns and an input shape of ${shapeRepr(spec.shape)} with all values within the DataFrame of scalar type. Please adjust the passed in DataFrame to match the expected structure`,
      );
    }
    return enforceTensorSpec(frameToMatrix(data), spec);
  }
  if (isTensor(data)) return enforceTensorSpec(data, spec);
  throw new Error(
    `This model contains a tensor-based model signature with no input names, which suggests a numpy array input or a pandas dataframe input with proper column values, but an input of type ${pyClass(data)} was found.`,
  );
}

/** `_enforce_tensor_spec`: the shape (-1 = any) and the dtype must match exactly. */
function enforceTensorSpec(t: Tensor, spec: TensorSpec): Tensor {
  const expected = spec.shape;
  if (expected.length === 1 && expected[0] === -1 && spec.dtype === 'object') return t;
  if (expected.length > 1 && expected.slice(1).includes(-1) && t.shape.length === 1 && t.dtype === 'object') return t;
  const mismatch = expected.length !== t.shape.length || expected.some((d, i) => d !== -1 && d !== t.shape[i]);
  if (mismatch) {
    throw new Error(`Shape of input ${shapeRepr(t.shape)} does not match expected shape ${shapeRepr(expected)}.`);
  }
  if (numpyNameOf(t.dtype) !== spec.dtype) {
    throw new Error(`dtype of input ${numpyNameOf(t.dtype)} does not match expected dtype ${spec.dtype}`);
  }
  return t;
}

/** `_reshape_and_cast_pandas_column_values`: one table column as the tensor its spec describes. */
function reshapeColumn(name: string | null, data: ColumnData, spec: TensorSpec): Tensor {
  const shape = spec.shape;
  if (shape[0] !== -1 || shape.slice(1).includes(-1)) {
    throw new Error(
      `For pandas dataframe input, the first dimension of shape must be a variable dimension and other dimensions must be fixed, but in model signature the shape of ${name === null ? 'the unnamed input' : `input ${name}`} is ${shapeRepr(shape)}.`,
    );
  }
  const dtype = tensorDtypeOf(spec.dtype);
  if (!dtype) throw new Error(`Tensor dtype ${spec.dtype} is not supported for DataFrame input`);
  const values = data.kind === 'number' ? Array.from(data.values) : (data.values as unknown[]);
  const rows = values.length;
  if (rows > 0 && !Array.isArray(values[0])) {
    if (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) {
      return enforceTensorSpec(castToTensor(values, dtype, shape.length === 1 ? [rows] : [rows, 1], 'INVALID_PARAMETER_VALUE'), spec);
    }
    throw new Error(
      `The input pandas dataframe column '${name ?? 'None'}' contains scalar values, which requires the shape to be (-1,) or (-1, 1), but got tensor spec shape of ${shapeRepr(shape)}.`,
    );
  }
  const reshapeError = new Error(
    `The value in the Input DataFrame column '${name ?? 'None'}' could not be converted to the expected shape of: '${shapeRepr(shape)}'. Ensure that each of the input list elements are of uniform length and that the data can be coerced to the tensor type '${spec.dtype}'`,
  );
  const flat: unknown[] = [];
  let rowSize = -1;
  for (const v of values) {
    const f = flattenUniform(v);
    if (f === undefined || (rowSize !== -1 && f.length !== rowSize)) throw reshapeError;
    rowSize = f.length;
    for (const x of f) flat.push(x);
  }
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  if (inner === 0 || flat.length % inner !== 0 || flat.length / inner !== rows) throw reshapeError;
  try {
    return castToTensor(flat, dtype, [rows, ...shape.slice(1)], 'INVALID_PARAMETER_VALUE');
  } catch {
    throw reshapeError;
  }
}

/** The scalars of a rectangular nested list, or undefined when it is ragged. */
function flattenUniform(v: unknown): unknown[] | undefined {
  if (!Array.isArray(v)) return [v];
  const parts = v.map(flattenUniform);
  if (parts.some((p) => p === undefined)) return undefined;
  const lens = new Set(parts.map((p) => (p as unknown[]).length));
  if (lens.size > 1) return undefined;
  return (parts as unknown[][]).flat();
}

/** DataFrame.to_numpy(): one 2-D tensor with numpy's common type of the columns. */
function frameToMatrix(frame: Frame): Tensor {
  const rows = frame.numRows;
  const cols = frame.columns.length;
  const kinds = frame.columns.map((c) => c.data);
  let dtype: Tensor['dtype'] = 'object';
  if (kinds.every((d) => d.kind === 'number')) {
    const dts = new Set(kinds.map((d) => (d as { dtype: NumericDType }).dtype));
    dtype = dts.size === 1 ? [...dts][0] : [...dts].every((d) => NUMERIC[d].kind !== 'f') ? 'int64' : 'float64';
  } else if (kinds.every((d) => d.kind === 'bool' && !d.values.includes(null))) {
    dtype = 'bool';
  }
  const flat: unknown[] = new Array(rows * cols);
  frame.columns.forEach((c, j) => {
    const vals = c.data.values as ArrayLike<unknown>;
    for (let i = 0; i < rows; i++) flat[i * cols + j] = vals[i];
  });
  return makeTensor({ dtype, shape: [rows, cols], data: castValues(flat, dtype, 'INVALID_PARAMETER_VALUE') } as Omit<Tensor, 'kind'>);
}

// ---- messages ---------------------------------------------------------------------------------

/** A column name as Python prints it in a list: positional names bare, others quoted. */
function nameRepr(n: string | number): string {
  return typeof n === 'number' || /^(0|[1-9]\d*)$/.test(n) ? String(n) : `'${n}'`;
}

function namesRepr(names: readonly (string | number)[]): string {
  return `[${names.map(nameRepr).join(', ')}]`;
}

function setRepr(names: string[]): string {
  return `{${names.map((n) => `'${n}'`).join(', ')}}`;
}

function typeRepr(t: ColType): string {
  if (typeof t === 'string') return t;
  if (t instanceof ArrayType) return `Array(${typeRepr(t.items)})`;
  if (t instanceof MapType) return `Map(str -> ${typeRepr(t.values)})`;
  if (t instanceof ObjectType) return `Object(${t.properties.map((p) => `${p.name}: ${typeRepr(p.type)}`).join(', ')})`;
  return 'Any';
}

function specRepr(s: InputSpec): string {
  const prefix = s.name === undefined ? '' : `'${s.name}': `;
  if (s instanceof TensorSpec) return `${prefix}Tensor('${s.dtype}', ${shapeRepr(s.shape)})`;
  return `${prefix}${typeRepr(s.type)} (${s.required ? 'required' : 'optional'})`;
}

/** The schema as MLflow's repr prints it: ['a': double (required), ...] or [Tensor('float64', (-1, 4))]. */
export function schemaRepr(schema: Schema): string {
  return `[${schema.inputs.map(specRepr).join(', ')}]`;
}

function pyClass(v: unknown): string {
  return `<class '${inputTypeName(v)}'>`;
}

/** What the data is, without its values. */
function describeData(input: unknown): string {
  if (isFrame(input)) return `(DataFrame of ${input.numRows} rows and ${input.columns.length} columns)`;
  if (isTensor(input)) return `(ndarray of dtype ${numpyNameOf(input.dtype)} and shape ${shapeRepr(input.shape)})`;
  if (isPlainObject(input) && Object.values(input).every(isTensor)) {
    return `(dict of ${Object.keys(input).length} ndarrays)`;
  }
  if (Array.isArray(input)) return `(list of ${input.length} items)`;
  return `(${inputTypeName(input)})`;
}

