import { MlflowError } from '../errors.js';
import { PyFloat, pyJsonDumps } from '../formats/python-json.js';
import { isoformat } from './time.js';

/**
 * MLflow's model signature (mlflow/types/schema.py and mlflow/models/signature.py): the types,
 * their validation rules, and the JSON text MLflow embeds in the MLmodel file.
 */

export const DATA_TYPES = [
  'boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime', 'sparkml_vector',
] as const;
export type DataType = (typeof DATA_TYPES)[number];

export class ArrayType {
  readonly kind = 'array';
  constructor(readonly items: ColType) {}
}

export class Property {
  constructor(readonly name: string, readonly type: ColType, readonly required = true) {}
}

export class ObjectType {
  readonly kind = 'object';
  /** Sorted by name, as MLflow keeps them. */
  readonly properties: readonly Property[];
  constructor(properties: readonly Property[]) {
    if (properties.length === 0) {
      throw new MlflowError('Creating Object with empty properties is not allowed.', 'INVALID_PARAMETER_VALUE');
    }
    const seen = new Set<string>();
    for (const p of properties) {
      if (seen.has(p.name)) {
        throw new MlflowError(`Found duplicated property names: {'${p.name}'}`, 'INVALID_PARAMETER_VALUE');
      }
      seen.add(p.name);
    }
    this.properties = [...properties].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

export class MapType {
  readonly kind = 'map';
  constructor(readonly values: ColType) {}
}

export class AnyType {
  readonly kind = 'any';
}

export type ColType = DataType | ArrayType | ObjectType | MapType | AnyType;

export class ColSpec {
  readonly kind = 'colspec';
  constructor(readonly type: ColType, readonly name?: string, readonly required = true) {}
}

/** numpy dtype names MLflow accepts in a tensor spec, with the aliases np.dtype maps to them. */
const NUMPY_DTYPES: Record<string, string> = {
  float64: 'float64', float32: 'float32', float16: 'float16', float: 'float64', double: 'float64',
  '<f8': 'float64', '<f4': 'float32', '<f2': 'float16', f8: 'float64', f4: 'float32',
  int64: 'int64', int32: 'int32', int16: 'int16', int8: 'int8', int: 'int64',
  '<i8': 'int64', '<i4': 'int32', '<i2': 'int16', '|i1': 'int8', i8: 'int64', i4: 'int32',
  uint64: 'uint64', uint32: 'uint32', uint16: 'uint16', uint8: 'uint8',
  '<u8': 'uint64', '<u4': 'uint32', '<u2': 'uint16', '|u1': 'uint8',
  bool: 'bool', bool_: 'bool', '|b1': 'bool', '?': 'bool',
  object: 'object', O: 'object', '|O': 'object',
  str: 'str', U: 'str', '<U': 'str', str_: 'str', unicode: 'str',
  bytes: 'bytes', S: 'bytes', '|S': 'bytes', bytes_: 'bytes',
  complex64: 'complex64', complex128: 'complex128',
  'datetime64[ns]': 'datetime64[ns]', datetime64: 'datetime64', 'timedelta64[ns]': 'timedelta64[ns]',
};

/** The numpy name np.dtype(name).name gives, or an error as MLflow raises it. */
export function normalizeNumpyDtype(name: string, where = 'tensor-spec.dtype'): string {
  if (Object.hasOwn(NUMPY_DTYPES, name)) return NUMPY_DTYPES[name];
  if (/^[<|>]?[US]\d+$/.test(name) || /^(str|bytes)\d+$/.test(name)) {
    const base = name.replace(/^[<|>]/, '').startsWith('U') || name.startsWith('str') ? 'str' : 'bytes';
    throw new MlflowError(
      `MLflow does not support size information in flexible numpy data types. Use np.dtype("${base}") instead (${where}: '${name}')`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  throw new MlflowError(`Unsupported numpy dtype '${name}' in ${where}`, 'INVALID_PARAMETER_VALUE');
}

export class TensorSpec {
  readonly kind = 'tensorspec';
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Tensors are always required (MLflow's TensorSpec.required). */
  readonly required = true;
  constructor(dtype: string, shape: readonly number[], readonly name?: string) {
    this.dtype = normalizeNumpyDtype(dtype);
    for (const d of shape) {
      if (!Number.isInteger(d) || d < -1) {
        throw new MlflowError(`Invalid tensor shape [${shape.join(', ')}]: each dimension is an integer >= -1`, 'INVALID_PARAMETER_VALUE');
      }
    }
    this.shape = [...shape];
  }
}

export type InputSpec = ColSpec | TensorSpec;

export class Schema {
  readonly inputs: readonly InputSpec[];

  constructor(inputs: readonly InputSpec[]) {
    if (inputs.length === 0) {
      throw new MlflowError('Creating Schema with empty inputs is not allowed.', 'INVALID_PARAMETER_VALUE');
    }
    const named = inputs.filter((x) => x.name !== undefined).length;
    if (named !== 0 && named !== inputs.length) {
      throw new MlflowError(
        `Creating Schema with a combination of named and unnamed inputs is not allowed. Got input names [${inputs
          .map((x) => (x.name === undefined ? 'None' : `'${x.name}'`))
          .join(', ')}]`,
        'INVALID_PARAMETER_VALUE',
      );
    }
    const tensors = inputs.filter((x) => x instanceof TensorSpec).length;
    if (tensors !== 0 && tensors !== inputs.length) {
      throw new MlflowError(
        'Creating Schema with a combination of ColSpec and TensorSpec is not supported. Please choose one of ColSpec or TensorSpec',
        'INVALID_PARAMETER_VALUE',
      );
    }
    if (tensors > 1 && named === 0) {
      throw new MlflowError(
        'Creating Schema with multiple unnamed TensorSpecs is not supported. Please provide names for each TensorSpec.',
        'INVALID_PARAMETER_VALUE',
      );
    }
    if (named === 0 && inputs.some((x) => !x.required)) {
      throw new MlflowError(
        'Creating Schema with unnamed optional inputs is not supported. Please name all inputs or make all inputs required.',
        'INVALID_PARAMETER_VALUE',
      );
    }
    this.inputs = [...inputs];
    this.requiredNames = this.requiredInputNames();
  }

  /**
   * requiredInputNames(), made once (the schema does not change): pyfunc's enforcement reads it
   * on every predict call.
   */
  readonly requiredNames: readonly (string | number)[];

  get length(): number {
    return this.inputs.length;
  }

  isTensorSpec(): boolean {
    return this.inputs[0] instanceof TensorSpec;
  }

  hasInputNames(): boolean {
    return this.inputs[0].name !== undefined;
  }

  /** Names, or indices for an unnamed schema, as MLflow's input_names(). */
  inputNames(): (string | number)[] {
    return this.inputs.map((x, i) => x.name ?? i);
  }

  requiredInputNames(): (string | number)[] {
    return this.inputs.flatMap((x, i) => (x.required ? [x.name ?? i] : []));
  }

  optionalInputNames(): (string | number)[] {
    return this.inputs.flatMap((x, i) => (x.required ? [] : [x.name ?? i]));
  }

  /** Type of each input: the ColType for column specs, the numpy dtype for tensor specs. */
  inputTypes(): (ColType | string)[] {
    return this.inputs.map((x) => (x instanceof TensorSpec ? x.dtype : x.type));
  }

  toDict(): Record<string, unknown>[] {
    return this.inputs.map(inputSpecToDict);
  }

  /** The JSON string MLflow writes (Python json.dumps spacing). */
  toJson(): string {
    return pyJsonDumps(this.toDict());
  }

  static fromJson(text: string, where = 'schema'): Schema {
    const parsed = parseJsonText(text, where);
    if (!Array.isArray(parsed)) {
      throw new MlflowError(`${where}: expected a JSON list of column or tensor specs`, 'INVALID_PARAMETER_VALUE');
    }
    return Schema.fromDict(parsed, where);
  }

  static fromDict(list: unknown[], where = 'schema'): Schema {
    return withContext(where, () => new Schema(list.map((x, i) => inputSpecFromDict(x, `${where}[${i}]`))));
  }
}

export type ParamType = Exclude<DataType, 'binary' | 'sparkml_vector'> | ObjectType;

export class ParamSpec {
  readonly name: string;
  readonly type: ParamType;
  readonly default: unknown;
  /** null for a scalar, [-1] for a 1-D list. */
  readonly shape: readonly number[] | null;

  constructor(name: string, type: DataType | ObjectType, defaultValue: unknown, shape: readonly number[] | null = null) {
    this.name = String(name);
    if (type === 'binary') {
      throw new MlflowError(
        `Binary type is not supported for parameters, ParamSpec '${this.name}'has dtype 'binary'`,
        'INVALID_PARAMETER_VALUE',
      );
    }
    if (type === 'sparkml_vector') {
      throw new MlflowError(`Unsupported type 'sparkml_vector' for ParamSpec '${this.name}'`, 'INVALID_PARAMETER_VALUE');
    }
    this.type = type;
    this.shape = shape === null ? null : [...shape];
    this.default = validateParamValue(this, defaultValue);
  }
}

/**
 * Checks a param value against its spec as MLflow's ParamSpec.validate_type_and_shape does and
 * returns it (datetime strings are kept as given).
 */
export function validateParamValue(spec: ParamSpec, value: unknown): unknown {
  const label = `'${spec.name}': ${typeLabel(spec.type)} (default: ${String(spec.default)})${
    spec.shape ? ` (shape: (${spec.shape.join(', ')},))` : ''
  }`;
  if (spec.shape === null) {
    checkScalarParam(value, spec.type, label);
    return value;
  }
  if (spec.shape.length === 1 && spec.shape[0] === -1) {
    if (!Array.isArray(value) || value.some((v) => Array.isArray(v))) {
      throw new MlflowError(
        `Value must be a 1D array with shape (-1,) for param ${label}, received ${Array.isArray(value) ? 'list' : typeof value}`,
        'INVALID_PARAMETER_VALUE',
      );
    }
    for (const v of value) checkScalarParam(v, spec.type, label);
    return value;
  }
  throw new MlflowError(
    `Shape must be None for scalar or dictionary value, or (-1,) for 1D array value for ParamSpec ${label}), received (${spec.shape.join(', ')})`,
    'INVALID_PARAMETER_VALUE',
  );
}

function checkScalarParam(value: unknown, type: ParamType, label: string): void {
  if (value instanceof PyFloat) value = value.value;
  if (value === null || value === undefined) return;
  const fail = (why: string): never => {
    throw new MlflowError(`Failed to validate type and shape for ${label}, error: ${why}`, 'INVALID_PARAMETER_VALUE');
  };
  if (type instanceof ObjectType) {
    if (typeof value !== 'object' || Array.isArray(value)) fail(`Expected a dict for object type, got ${typeName(value)}`);
    return;
  }
  if (typeof value === 'object' && !(value instanceof Date)) fail(`Value should be a scalar for param, got ${typeName(value)}`);
  const ok =
    type === 'boolean' ? typeof value === 'boolean'
    : type === 'integer' || type === 'long' ? typeof value === 'number' && Number.isInteger(value)
    : type === 'float' || type === 'double' ? typeof value === 'number'
    : type === 'string' ? typeof value === 'string'
    : type === 'datetime' ? value instanceof Date || (typeof value === 'string' && !Number.isNaN(Date.parse(value)))
    : false;
  if (!ok) fail(`Failed to convert value ${typeName(value)} to type ${type}`);
}

export class ParamSchema {
  readonly params: readonly ParamSpec[];
  constructor(params: readonly ParamSpec[]) {
    const seen = new Set<string>();
    const dups: string[] = [];
    for (const p of params) {
      if (seen.has(p.name)) dups.push(p.name);
      seen.add(p.name);
    }
    if (dups.length > 0) {
      throw new MlflowError(`Duplicated parameters found in schema: [${dups.map((d) => `'${d}'`).join(', ')}]`, 'INVALID_PARAMETER_VALUE');
    }
    this.params = [...params];
  }

  get length(): number {
    return this.params.length;
  }

  toDict(): Record<string, unknown>[] {
    return this.params.map((p) => {
      const isFloat = p.type === 'float' || p.type === 'double';
      const asPy = (v: unknown): unknown =>
        v instanceof Date ? isoformat(v) : isFloat && typeof v === 'number' ? new PyFloat(v) : v;
      const def = Array.isArray(p.default) ? p.default.map(asPy) : asPy(p.default);
      return { name: p.name, default: def, shape: p.shape, ...typeToDict(p.type) };
    });
  }

  toJson(): string {
    return pyJsonDumps(this.toDict());
  }

  static fromJson(text: string, where = 'params'): ParamSchema {
    const parsed = parseJsonText(text, where);
    if (!Array.isArray(parsed)) {
      throw new MlflowError(`${where}: expected a JSON list of param specs`, 'INVALID_PARAMETER_VALUE');
    }
    return withContext(where, () => new ParamSchema(parsed.map((x, i) => paramSpecFromDict(x, `${where}[${i}]`))));
  }
}

/** The signature dict as it sits in the MLmodel file: JSON strings, or null. */
export interface SignatureDict {
  inputs: string | null;
  outputs: string | null;
  params: string | null;
}

export class ModelSignature {
  constructor(readonly inputs?: Schema, readonly outputs?: Schema, readonly params?: ParamSchema) {
    if (!inputs && !outputs && params) {
      throw new MlflowError('A signature with params must also have inputs or outputs', 'INVALID_PARAMETER_VALUE');
    }
  }

  toDict(): SignatureDict {
    return {
      inputs: this.inputs ? this.inputs.toJson() : null,
      outputs: this.outputs ? this.outputs.toJson() : null,
      params: this.params && this.params.length > 0 ? this.params.toJson() : null,
    };
  }

  /** Reads the `signature` block of an MLmodel file; `where` names it in errors. */
  static fromDict(dict: unknown, where = 'signature'): ModelSignature {
    if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) {
      throw new MlflowError(`${where}: expected a mapping with inputs, outputs and params`, 'INVALID_PARAMETER_VALUE');
    }
    const d = dict as Record<string, unknown>;
    const read = (key: string): string | undefined => {
      const v = d[key];
      if (v === null || v === undefined) return undefined;
      if (typeof v !== 'string') {
        throw new MlflowError(`${where}.${key}: expected a JSON string, got ${typeName(v)}`, 'INVALID_PARAMETER_VALUE');
      }
      return v;
    };
    const inputs = read('inputs');
    const outputs = read('outputs');
    const params = read('params');
    return new ModelSignature(
      inputs === undefined ? undefined : Schema.fromJson(inputs, `${where}.inputs`),
      outputs === undefined ? undefined : Schema.fromJson(outputs, `${where}.outputs`),
      params === undefined ? undefined : ParamSchema.fromJson(params, `${where}.params`),
    );
  }
}

// ---- dict conversion ------------------------------------------------------------------------

export function typeToDict(t: ColType): Record<string, unknown> {
  if (typeof t === 'string') return { type: t };
  if (t instanceof ArrayType) return { type: 'array', items: typeToDict(t.items) };
  if (t instanceof MapType) return { type: 'map', values: typeToDict(t.values) };
  if (t instanceof ObjectType) {
    const properties: Record<string, unknown> = {};
    for (const p of t.properties) properties[p.name] = { ...typeToDict(p.type), required: p.required };
    return { type: 'object', properties };
  }
  return { type: 'any' };
}

function inputSpecToDict(x: InputSpec): Record<string, unknown> {
  if (x instanceof TensorSpec) {
    const spec = { dtype: x.dtype, shape: x.shape };
    return x.name === undefined ? { type: 'tensor', 'tensor-spec': spec } : { name: x.name, type: 'tensor', 'tensor-spec': spec };
  }
  const d = typeToDict(x.type);
  if (x.name !== undefined) d.name = x.name;
  d.required = x.required;
  return d;
}

function asRecord(x: unknown, where: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) {
    throw new MlflowError(`${where}: expected a JSON object, got ${typeName(x)}`, 'INVALID_PARAMETER_VALUE');
  }
  return x as Record<string, unknown>;
}

function requireKeys(d: Record<string, unknown>, keys: string[], what: string, where: string): void {
  const missing = keys.filter((k) => !(k in d));
  if (missing.length > 0) {
    throw new MlflowError(
      `${where}: Missing keys in ${what} JSON. Expected to find ${keys.length > 1 ? 'keys' : 'key'} ${keys
        .map((k) => `\`${k}\``)
        .join(' and ')}`,
      'INVALID_PARAMETER_VALUE',
    );
  }
}

/** Nesting deeper than this is refused rather than risking the stack on a hostile file. */
const MAX_TYPE_DEPTH = 64;

export function typeFromDict(x: unknown, where: string, depth = 0): ColType {
  if (depth > MAX_TYPE_DEPTH) {
    throw new MlflowError(`${where}: types nested deeper than ${MAX_TYPE_DEPTH} levels`, 'INVALID_PARAMETER_VALUE');
  }
  const d = asRecord(x, where);
  requireKeys(d, ['type'], 'type', where);
  const t = d.type;
  switch (t) {
    case 'array':
      requireKeys(d, ['items', 'type'], 'Array', where);
      return new ArrayType(typeFromDict(d.items, `${where}.items`, depth + 1));
    case 'map':
      requireKeys(d, ['values', 'type'], 'Map', where);
      return new MapType(typeFromDict(d.values, `${where}.values`, depth + 1));
    case 'object': {
      requireKeys(d, ['properties', 'type'], 'Object', where);
      const props = asRecord(d.properties, `${where}.properties`);
      return withContext(where, () =>
        new ObjectType(
          Object.entries(props).map(([name, pd]) => {
            const pw = `${where}.properties.${name}`;
            const pdict = asRecord(pd, pw);
            return new Property(name, typeFromDict(pdict, pw, depth + 1), readRequired(pdict.required, pw));
          }),
        ),
      );
    }
    case 'any':
      return new AnyType();
    default:
      if (typeof t === 'string' && (DATA_TYPES as readonly string[]).includes(t)) return t as DataType;
      throw new MlflowError(
        `${where}: Unsupported type '${String(t)}', expected one of [${DATA_TYPES.filter((n) => n !== 'sparkml_vector')
          .map((n) => `'${n}'`)
          .join(', ')}] or array, object, map, any`,
        'INVALID_PARAMETER_VALUE',
      );
  }
}

function readRequired(v: unknown, where: string): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v !== 'boolean') {
    throw new MlflowError(`${where}.required: expected true or false, got ${typeName(v)}`, 'INVALID_PARAMETER_VALUE');
  }
  return v;
}

function readName(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    throw new MlflowError(`${where}.name: expected a string, got ${typeName(v)}`, 'INVALID_PARAMETER_VALUE');
  }
  return v;
}

function inputSpecFromDict(x: unknown, where: string): InputSpec {
  const d = asRecord(x, where);
  requireKeys(d, ['type'], 'ColSpec', where);
  if (d.type === 'tensor') {
    requireKeys(d, ['tensor-spec', 'type'], 'TensorSpec', where);
    const spec = asRecord(d['tensor-spec'], `${where}.tensor-spec`);
    requireKeys(spec, ['dtype', 'shape'], 'TensorSpec', `${where}.tensor-spec`);
    if (typeof spec.dtype !== 'string') {
      throw new MlflowError(`${where}.tensor-spec.dtype: expected a string`, 'INVALID_PARAMETER_VALUE');
    }
    if (!Array.isArray(spec.shape) || spec.shape.some((n) => typeof n !== 'number')) {
      throw new MlflowError(`${where}.tensor-spec.shape: expected a list of integers`, 'INVALID_PARAMETER_VALUE');
    }
    return withContext(where, () => new TensorSpec(spec.dtype as string, spec.shape as number[], readName(d.name, where)));
  }
  return new ColSpec(typeFromDict(d, where), readName(d.name, where), readRequired(d.required, where));
}

function paramSpecFromDict(x: unknown, where: string): ParamSpec {
  const d = asRecord(x, where);
  const typeKey = 'type' in d ? 'type' : 'dtype';
  if (!('name' in d) || !(typeKey in d) || !('default' in d)) {
    throw new MlflowError(
      `${where}: Missing keys in ParamSpec JSON. Expected to find keys \`name\`, \`type\`(or \`dtype\`) and \`default\`. Received keys: [${Object.keys(d)
        .map((k) => `'${k}'`)
        .join(', ')}]`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  const t = d[typeKey];
  let type: DataType | ObjectType;
  if (t === 'object') {
    const o = typeFromDict({ ...d, type: 'object' }, where);
    type = o as ObjectType;
  } else if (typeof t === 'string' && (DATA_TYPES as readonly string[]).includes(t)) {
    type = t as DataType;
  } else {
    throw new MlflowError(
      `${where}: Unsupported type '${String(t)}', expected instance of DataType or one of ['boolean', 'integer', 'long', 'float', 'double', 'string', 'datetime']`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  const shape = d.shape;
  if (shape !== undefined && shape !== null && (!Array.isArray(shape) || shape.some((n) => typeof n !== 'number'))) {
    throw new MlflowError(`${where}.shape: expected null or a list of integers`, 'INVALID_PARAMETER_VALUE');
  }
  return withContext(where, () => new ParamSpec(String(d.name), type, d.default, (shape as number[] | null | undefined) ?? null));
}

// ---- helpers --------------------------------------------------------------------------------

function parseJsonText(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MlflowError(`${where}: invalid JSON (${(e as Error).message})`, 'INVALID_PARAMETER_VALUE', { cause: e });
  }
}

/** Prefixes errors raised by constructors with the field they came from. */
function withContext<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof MlflowError && !e.message.startsWith(where)) {
      throw new MlflowError(`${where}: ${e.message}`, e.errorCode, { cause: e });
    }
    throw e;
  }
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v;
}

function typeLabel(t: ParamType): string {
  return typeof t === 'string' ? t : 'object';
}
