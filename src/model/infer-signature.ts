import { MlflowError } from '../errors.js';
import { isFrame, type ColumnData, type Frame } from '../frame/frame.js';
import { isTensor, type Tensor } from '../frame/tensor.js';
import { PyFloat } from '../formats/python-json.js';
import {
  AnyType, ArrayType, ColSpec, MapType, ModelSignature, ObjectType, ParamSchema, ParamSpec, Property, Schema, TensorSpec,
  type ColType, type DataType,
} from './signature.js';

/**
 * A signature from sample data, as MLflow's infer_signature maps types (mlflow/types/utils.py
 * `_infer_schema`): a Frame gives one ColSpec per column (required unless it holds a null/NaN);
 * a Tensor gives a TensorSpec with its first dimension variable (-1); a record of Tensors gives
 * named TensorSpecs; a list of records gives one ColSpec per key (optional where some record lacks
 * it or holds null); a record of JSON values gives named ColSpecs; a list or a scalar gives one
 * unnamed ColSpec. JSON numbers that are integral are taken as Python ints (long); wrap a value in
 * PyFloat to mean a float.
 */
export function inferSignature(input: unknown, output?: unknown, params?: Record<string, unknown>): ModelSignature {
  return new ModelSignature(
    inferSchema(input, 'input'),
    output === undefined ? undefined : inferSchema(output, 'output'),
    params === undefined ? undefined : inferParamSchema(params),
  );
}

export function inferSchema(data: unknown, what = 'data'): Schema {
  if (isFrame(data)) return frameSchema(data);
  if (isTensor(data)) return new Schema([tensorSpec(data)]);
  if (Array.isArray(data)) {
    if (data.length === 0) return new Schema([new ColSpec('string')]);
    if (data.every(isPlainRecord)) return recordsSchema(data);
    const t = inferColType(data, what);
    return new Schema([new ColSpec(t instanceof ArrayType ? t.items : t)]);
  }
  if (isPlainRecord(data)) {
    const entries = Object.entries(data);
    if (entries.length > 0 && entries.every(([, v]) => isTensor(v))) {
      return new Schema(entries.map(([name, t]) => tensorSpec(t as Tensor, name)));
    }
    return new Schema(entries.map(([name, v]) => new ColSpec(inferColType(v, `${what}.${name}`), name, inferRequired(v))));
  }
  return new Schema([new ColSpec(inferColType(data, what))]);
}

const TENSOR_DTYPE: Record<string, string> = { string: 'str' };

function tensorSpec(t: Tensor, name?: string): TensorSpec {
  if (t.shape.length === 0) {
    // MLflow's _get_tensor_shape, setting dimension 0 of a 0-d array to -1.
    throw new MlflowError(
      'The specified variable_dimension 0 is out of bounds with respect to the number of dimensions 0 in the input dataset',
      'INTERNAL_ERROR',
    );
  }
  return new TensorSpec(TENSOR_DTYPE[t.dtype] ?? t.dtype, [-1, ...t.shape.slice(1)], name);
}

const NUMERIC_COLUMN_TYPE: Record<string, DataType | undefined> = {
  float64: 'double', float32: 'float',
  int64: 'long', int32: 'integer', int16: 'integer', int8: 'integer',
  uint32: 'long', uint16: 'integer', uint8: 'integer',
};

function frameSchema(frame: Frame): Schema {
  return new Schema(frame.columns.map((c) => new ColSpec(columnType(c.data, c.name), c.name, !columnHasMissing(c.data))));
}

function columnType(d: ColumnData, name: string): ColType {
  switch (d.kind) {
    case 'number': {
      const t = NUMERIC_COLUMN_TYPE[d.dtype];
      // _infer_numpy_dtype's words (uint64 has no MLflow type); MlflowException's default code.
      if (!t) throw new MlflowError(`Unsupported numpy data type '${d.dtype}', kind 'u' (column '${name}')`, 'INTERNAL_ERROR');
      return t;
    }
    case 'string':
      // An object column of None only: _infer_colspec_type gives Array(Any), whose items are Any.
      return d.values.every((v) => v === null) && d.values.length > 0 ? new AnyType() : 'string';
    case 'bool':
      return 'boolean';
    case 'binary':
      return 'binary';
    case 'datetime':
      return 'datetime';
    case 'object': {
      const t = inferColType(d.values, `column '${name}'`);
      return t instanceof ArrayType ? t.items : t;
    }
  }
}

function columnHasMissing(d: ColumnData): boolean {
  if (d.kind === 'number') return d.values.some((v) => Number.isNaN(v));
  return (d.values as unknown[]).some(isNullish);
}

function recordsSchema(records: Record<string, unknown>[]): Schema {
  const columns = new Map<string, unknown[]>();
  for (const r of records) {
    for (const [k, v] of Object.entries(r)) {
      if (!columns.has(k)) columns.set(k, []);
      columns.get(k)!.push(v);
    }
  }
  return new Schema(
    [...columns].map(([name, values]) => {
      const t = inferColType(values, `column '${name}'`);
      // `item.get(col) is not None`: a NaN value still counts as present.
      const required = records.every((r) => r[name] !== null && r[name] !== undefined);
      return new ColSpec(t instanceof ArrayType ? t.items : t, name, required);
    }),
  );
}

/** MLflow's _infer_required: a list (or Series) is required when none of its items is None/NaN. */
function inferRequired(v: unknown): boolean {
  return Array.isArray(v) ? !v.some(isNullish) : !isNullish(v);
}

/**
 * The signature save_model records when given an input example and no signature (MLflow's
 * _infer_signature_from_input_example): the input schema from the example, the output schema
 * from what `predict` makes of it (see inferExampleOutputSchema). As in MLflow, a failure is a
 * warning, not an error: the model is saved without a signature (or without its outputs when only
 * the output schema could not be inferred).
 */
export async function inferSignatureFromExample(
  example: unknown,
  predict: (example: unknown) => unknown,
): Promise<ModelSignature | undefined> {
  let inputs: Schema;
  let prediction: unknown;
  try {
    inputs = inferSchema(example, 'input');
    prediction = await predict(example);
  } catch (e) {
    process.emitWarning(
      `Failed to infer the model signature from the input example. Reason: ${(e as Error).message}. ` +
        'To disable automatic signature inference, pass `signature: false`.',
    );
    return undefined;
  }
  try {
    return new ModelSignature(inputs, inferExampleOutputSchema(inputs, prediction));
  } catch (e) {
    process.emitWarning(`Failed to infer model output schema from the prediction result. Detailed exception: ${(e as Error).message}`);
    return new ModelSignature(inputs);
  }
}

/**
 * The output schema save_model records for an input example it scored (MLflow's
 * _infer_signature_from_input_example): as infer_signature, except that a 1-D array predicted
 * for column-based input is taken as a pandas Series, one unnamed ColSpec (e.g. a classifier's
 * labels give `[{"type": "long", "required": true}]`, not a tensor spec).
 */
export function inferExampleOutputSchema(inputSchema: Schema, prediction: unknown): Schema {
  if (!inputSchema.isTensorSpec() && isTensor(prediction) && prediction.shape.length === 1) {
    return new Schema([new ColSpec(seriesType(prediction), undefined, !tensorHasMissing(prediction))]);
  }
  return inferSchema(prediction, 'output');
}

/** _infer_pandas_column of pd.Series(array): numeric dtypes map directly, objects by their values. */
function seriesType(t: Tensor): ColType {
  if (t.dtype === 'bool') return 'boolean';
  if (t.dtype === 'string' || t.dtype === 'object') {
    const type = inferColType(t.data, 'output');
    return type instanceof ArrayType ? type.items : type;
  }
  const type = NUMERIC_COLUMN_TYPE[t.dtype];
  if (!type) throw new MlflowError(`Unsupported numpy data type '${t.dtype}', kind 'u'`, 'INTERNAL_ERROR');
  return type;
}

function tensorHasMissing(t: Tensor): boolean {
  return (Array.from(t.data as ArrayLike<unknown>) as unknown[]).some(isNullish);
}

/** MLflow's _infer_datatype: dict -> Object, list -> Array, scalar -> DataType, null/empty -> Any. */
export function inferColType(data: unknown, where: string): ColType {
  const t = inferDatatype(data, where);
  if (t === undefined) {
    throw new MlflowError(`${where}: must include at least one non-empty item`, 'INVALID_PARAMETER_VALUE');
  }
  return t;
}

function inferDatatype(data: unknown, where: string): ColType | undefined {
  if (isNullish(data)) return new AnyType();
  if (Array.isArray(data)) return data.length === 0 ? new AnyType() : inferArray(data, where);
  if (isPlainRecord(data)) {
    const entries = Object.entries(data);
    if (entries.length === 0) return new AnyType();
    return new ObjectType(
      entries.map(([k, v]) => {
        const t = inferColType(v, `${where}.${k}`);
        return new Property(k, t, !(t instanceof AnyType));
      }),
    );
  }
  return scalarType(data, where);
}

const MULTIPLE_TYPES =
  'Expected all values in the list to be of the same type. To specify a model signature with a list containing elements of multiple types, define the signature manually using the Array(AnyType()) type from mlflow.models.schema.';

function inferArray(items: unknown[], where: string): ArrayType | undefined {
  let result: ArrayType | undefined;
  for (const item of items) {
    const t = inferDatatype(item, where);
    if (t === undefined) continue;
    if (result === undefined) {
      result = new ArrayType(t);
    } else if (typeof result.items === 'string') {
      if (!(t instanceof AnyType) && !sameType(t, result.items)) {
        throw new MlflowError(`${where}: ${MULTIPLE_TYPES}`, 'INVALID_PARAMETER_VALUE');
      }
    } else {
      try {
        result = new ArrayType(mergeTypes(result.items, t));
      } catch (e) {
        throw new MlflowError(`${where}: ${MULTIPLE_TYPES}`, 'INVALID_PARAMETER_VALUE', { cause: e });
      }
    }
  }
  return result;
}

function scalarType(v: unknown, where: string): DataType {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'bigint') return 'long';
  if (v instanceof PyFloat) return 'double';
  if (typeof v === 'number') return Number.isInteger(v) ? 'long' : 'double';
  if (typeof v === 'string') return 'string';
  if (v instanceof Uint8Array) return 'binary';
  if (v instanceof Date) return 'datetime';
  throw new MlflowError(`${where}: Data ${typeof v} is not one of the supported DataType`, 'INVALID_PARAMETER_VALUE');
}

/** MLflow's BaseType._merge: objects union their properties (those missing on one side become optional). */
export function mergeTypes(a: ColType, b: ColType): ColType {
  if (a instanceof AnyType) {
    if (b instanceof AnyType || typeof b === 'string') return b;
    return mergeTypes(b, a);
  }
  if (typeof a === 'string') {
    if (b instanceof AnyType || a === b) return a;
    throw new MlflowError(`Types are incompatible: ${a} and ${describe(b)}`, 'INVALID_PARAMETER_VALUE');
  }
  if (a instanceof ArrayType) {
    if (b instanceof AnyType || sameType(a, b)) return a;
    if (!(b instanceof ArrayType)) throw new MlflowError(`Can't merge array with ${describe(b)}`, 'INVALID_PARAMETER_VALUE');
    return new ArrayType(mergeTypes(a.items, b.items));
  }
  if (a instanceof MapType) {
    if (b instanceof AnyType || sameType(a, b)) return a;
    if (!(b instanceof MapType)) throw new MlflowError(`Can't merge map with ${describe(b)}`, 'INVALID_PARAMETER_VALUE');
    return new MapType(mergeTypes(a.values, b.values));
  }
  // a is an ObjectType
  if (b instanceof AnyType) return new ObjectType(a.properties.map((p) => new Property(p.name, p.type, false)));
  if (!(b instanceof ObjectType)) throw new MlflowError(`Can't merge object with ${describe(b)}`, 'INVALID_PARAMETER_VALUE');
  const left = new Map(a.properties.map((p) => [p.name, p]));
  const right = new Map(b.properties.map((p) => [p.name, p]));
  const merged: Property[] = [];
  for (const [k, p] of left) {
    const q = right.get(k);
    if (!q) merged.push(new Property(k, p.type, false));
    else {
      const t = q.type instanceof AnyType && !(p.type instanceof AnyType) ? p.type : mergeTypes(p.type, q.type);
      merged.push(new Property(k, t, p.required && q.required && !(q.type instanceof AnyType)));
    }
  }
  for (const [k, q] of right) if (!left.has(k)) merged.push(new Property(k, q.type, false));
  return new ObjectType(merged);
}

/** Structural equality of two column types. */
export function sameType(a: ColType, b: ColType): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (a instanceof AnyType) return b instanceof AnyType;
  if (a instanceof ArrayType) return b instanceof ArrayType && sameType(a.items, b.items);
  if (a instanceof MapType) return b instanceof MapType && sameType(a.values, b.values);
  if (!(b instanceof ObjectType) || a.properties.length !== b.properties.length) return false;
  return a.properties.every((p, i) => {
    const q = b.properties[i];
    return p.name === q.name && p.required === q.required && sameType(p.type, q.type);
  });
}

/** A ParamSchema from default values, as MLflow's _infer_param_schema. */
export function inferParamSchema(params: Record<string, unknown>): ParamSchema {
  const specs: ParamSpec[] = [];
  const invalid: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    try {
      const [type, shape] = paramTypeAndShape(value, name);
      specs.push(new ParamSpec(name, type, value, shape));
    } catch (e) {
      invalid.push(`'${name}': ${(e as Error).message}`);
    }
  }
  if (invalid.length > 0) {
    throw new MlflowError(`Failed to infer schema for parameters: ${invalid.join('; ')}`, 'INVALID_PARAMETER_VALUE');
  }
  return new ParamSchema(specs);
}

function paramTypeAndShape(value: unknown, name: string): [DataType | ObjectType, number[] | null] {
  if (Array.isArray(value)) {
    if (value.some((v) => Array.isArray(v))) {
      throw new MlflowError('Expected parameters to be 1D array or scalar, got 2D array', 'INVALID_PARAMETER_VALUE');
    }
    if (value.length > 0 && value.every((v) => v instanceof Date)) return ['datetime', [-1]];
    return [numpyListType(value, name), [-1]];
  }
  if (value instanceof Date) return ['datetime', null];
  if (isPlainRecord(value)) {
    const t = inferColType(value, name);
    if (!(t instanceof ObjectType)) throw new MlflowError(`Expected a non-empty dict for param '${name}'`, 'INVALID_PARAMETER_VALUE');
    return [t, null];
  }
  if (value === null || value === undefined || (typeof value === 'object' && !(value instanceof PyFloat))) {
    throw new MlflowError(`Expected parameters to be 1D array or scalar, got ${value === null ? 'NoneType' : typeof value}`, 'INVALID_PARAMETER_VALUE');
  }
  return [scalarType(value, name), null];
}

/** The DataType of np.array(list).dtype for a 1-D list of scalars. */
function numpyListType(values: unknown[], name: string): DataType {
  if (values.length === 0) return 'double';
  if (values.every((v) => typeof v === 'boolean')) return 'boolean';
  if (values.every((v) => typeof v === 'number' || v instanceof PyFloat)) {
    return values.every((v) => typeof v === 'number' && Number.isInteger(v)) ? 'long' : 'double';
  }
  if (values.every((v) => typeof v === 'string')) return 'string';
  throw new MlflowError(`Param '${name}' mixes value types; numpy would not give it one dtype`, 'INVALID_PARAMETER_VALUE');
}

function isPlainRecord(x: unknown): x is Record<string, unknown> {
  return (
    typeof x === 'object' && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x) && !(x instanceof Date) &&
    !(x instanceof PyFloat) && !isTensor(x) && !isFrame(x)
  );
}

function isNullish(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) || (v instanceof PyFloat && Number.isNaN(v.value));
}

function describe(t: ColType): string {
  return typeof t === 'string' ? t : t.kind;
}
