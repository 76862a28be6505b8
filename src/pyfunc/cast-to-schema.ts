import { MlflowError } from '../errors.js';
import { Frame, isFrame, type Column, type ColumnData, type NumericArray, type NumericDType } from '../frame/frame.js';
import type { ReadRequestOptions } from '../frame/read-options.js';
import { floatRepr } from '../frame/python-text.js';
import { isTensor, type Tensor } from '../frame/tensor.js';
import { ColSpec, TensorSpec, type DataType, type Schema } from '../model/signature.js';
import { castToTensor, castValues, tensorDtypeOf } from './cast-values.js';
import { isPlainObject } from './to-frame.js';

/** The numeric DataTypes the scoring server casts request columns to (DataType.to_numpy()). */
const NUMERIC_TARGET: Partial<Record<DataType, NumericDType>> = {
  double: 'float64', float: 'float32', long: 'int64', integer: 'int32',
};

/**
 * The cast MLflow's scoring server applies while parsing a request, before predict: it reads
 * the body with the model's input schema, so a JSON integer or a numeric string in a double
 * column becomes a float, and `inputs` for a float64 tensor signature become float64. A value
 * that cannot be cast is the client's fault: MlflowError('BAD_REQUEST'), as MLflow answers.
 * A server calls this on the parsed request; a library caller of predict() gets MLflow's
 * stricter pyfunc rules (enforceSchema) only.
 */
export function castToSchema(input: unknown, schema: Schema | undefined, options: CastOptions = {}): unknown {
  if (!schema) return input;
  if (schema.isTensorSpec()) {
    return castForTensorSchema(input, schema.inputs as TensorSpec[], schema.hasInputNames(), options.fromRecords ?? false);
  }
  return castForColumnSchema(input, schema.inputs as ColSpec[], schema.hasInputNames());
}

export interface CastOptions {
  /**
   * The input came as `instances` or `inputs` holding a list of records: MLflow's parser leaves
   * such input to pyfunc's enforcement (INVALID_PARAMETER_VALUE) even where it would refuse a
   * JSON object outright (an unnamed tensor signature, BAD_REQUEST).
   */
  fromRecords?: boolean;
}

/**
 * How the server reads a request with this schema, as MLflow reads it with the schema's dtypes:
 * an integer beyond 2^53 in a double/float column or tensor is rounded into it rather than
 * refused, and a CSV string column stays text ("007", not 7).
 */
export function schemaReading(schema: Schema | undefined): ReadRequestOptions {
  const floats = new Set<string | undefined>();
  const texts = new Set<string>();
  for (const spec of schema?.inputs ?? []) {
    if (spec instanceof TensorSpec) {
      if (/^float(16|32|64)$/.test(spec.dtype)) floats.add(spec.name);
    } else if (spec.type === 'double' || spec.type === 'float') floats.add(spec.name);
    else if (spec.type === 'string' && spec.name !== undefined) texts.add(spec.name);
  }
  const reading: ReadRequestOptions = { readsAsFloat: (name) => floats.has(name), readsAsText: (name) => texts.has(name) };
  // A named column signature reads only its columns: other record keys need no table column.
  if (schema && !schema.isTensorSpec() && schema.hasInputNames()) {
    const names = new Set(schema.inputs.map((s) => s.name as string));
    reading.keepsColumn = (name) => names.has(name);
  }
  return reading;
}

function castForColumnSchema(input: unknown, specs: ColSpec[], named: boolean): unknown {
  if (isFrame(input)) {
    let changed = false;
    const columns = input.columns.map((column, i): Column => {
      const spec = named ? specs.find((s) => s.name === column.name) : specs[i];
      const target = spec && typeof spec.type === 'string' ? NUMERIC_TARGET[spec.type] : undefined;
      if (spec?.type !== 'string' && (!target || (column.data.kind === 'number' && column.data.dtype === target))) return column;
      changed = true;
      if (spec?.type === 'string') return { name: column.name, data: asObjects(column.data) };
      return { name: column.name, data: castColumn(column, target!) };
    });
    // a table already of the schema's types (a numeric request) is not rebuilt
    return changed ? new Frame(columns, input.numRows) : input;
  }
  if (named && isPlainObject(input) && Object.values(input).every(isTensor)) {
    return Object.fromEntries(
      Object.entries(input).map(([name, t]) => {
        const spec = specs.find((s) => s.name === name);
        const target = spec && typeof spec.type === 'string' ? DATATYPE_TENSOR[spec.type] : undefined;
        return [name, target ? castTensor(t as Tensor, target) : t];
      }),
    );
  }
  if (isTensor(input)) {
    // One array for a column signature is read with the first column's type (MLflow's
    // convert_data_type with schema.inputs[0]): string cells where it is numeric are refused.
    const first = specs[0];
    const target = typeof first.type === 'string' ? DATATYPE_TENSOR[first.type] : undefined;
    return target ? castTensor(input, target) : input;
  }
  return input;
}

/** The tensor dtype a DataType reads a JSON list as (np.array(values, dtype=t.to_numpy())). */
const DATATYPE_TENSOR: Partial<Record<DataType, Tensor['dtype']>> = { ...NUMERIC_TARGET, string: 'string' };

/**
 * pandas' astype(object), as the server casts a column the schema types as string: a column of
 * numbers or bools becomes one of Python objects (1 stays the int 1, NaN stays NaN), which
 * enforcement then accepts for a string column, as MLflow's does.
 */
function asObjects(data: ColumnData): ColumnData {
  if (data.kind === 'number') return { kind: 'object', values: Array.from(data.values) };
  if (data.kind === 'bool') return { kind: 'object', values: data.values };
  return data;
}

function castForTensorSchema(input: unknown, specs: TensorSpec[], named: boolean, fromRecords: boolean): unknown {
  if (!named) {
    if (isPlainObject(input)) {
      if (fromRecords) return input;
      throw new MlflowError(
        "Invalid input. Failed to parse input data. This model contains an un-named  model signature which expects a single n-dimensional array or a single value as input, however, an input of type <class 'dict'> was found.",
        'BAD_REQUEST',
      );
    }
    const dtype = tensorDtypeOf(specs[0].dtype);
    return isTensor(input) && dtype ? castTensor(input, dtype) : input;
  }
  // As MLflow's parse_tf_serving_input: one array for a signature with a single named input is that input.
  if (isTensor(input) && specs.length === 1 && specs[0].name !== undefined) input = { [specs[0].name]: input };
  if (isPlainObject(input) && Object.values(input).every(isTensor)) {
    return Object.fromEntries(
      Object.entries(input).map(([name, t]) => {
        const spec = specs.find((s) => s.name === name);
        const dtype = spec ? tensorDtypeOf(spec.dtype) : undefined;
        return [name, dtype ? castTensor(t as Tensor, dtype) : t];
      }),
    );
  }
  return input;
}

function castColumn(column: Column, target: NumericDType): ColumnData {
  try {
    return { kind: 'number', dtype: target, values: castValues(column.data.values as ArrayLike<unknown>, target, 'BAD_REQUEST') as NumericArray };
  } catch (err) {
    throw new MlflowError(
      `Invalid input. Data is not compatible with model signature. Failed to convert column ${column.name} to type '${target}'. Error: '${(err as Error).message}'`,
      'BAD_REQUEST',
      { cause: err },
    );
  }
}

function castTensor(t: Tensor, dtype: Tensor['dtype']): Tensor {
  if (t.dtype === dtype) return t;
  let values = t.dtype === 'bool' ? Array.from(t.data, (x) => x !== 0) : (t.data as ArrayLike<unknown>);
  // numpy writes a float as str() does: 1.0, nan.
  if (dtype === 'string' && (t.dtype === 'float64' || t.dtype === 'float32')) values = Array.from(t.data as ArrayLike<number>, floatRepr);
  try {
    return castToTensor(values, dtype, [...t.shape], 'BAD_REQUEST');
  } catch (err) {
    throw new MlflowError(`Invalid input. ${(err as Error).message}`, 'BAD_REQUEST', { cause: err });
  }
}
