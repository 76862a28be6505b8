import type { ColType, InputSpec, Schema } from '../model/signature.js';
import { VERSION } from '../version.js';
import { describeSpec } from './open-inference/datatypes.js';

/** What the document says of one served model. */
export interface DescribedModel {
  readonly name: string;
  readonly version?: string;
  readonly inputs?: Schema;
  readonly outputs?: Schema;
  /** The model's serving_input_example.json, parsed: the example request body. */
  readonly servingInput?: unknown;
  /** Whether MLflow's bare /invocations scores this model (the server's first). */
  readonly isDefault: boolean;
}

type Json = Record<string, unknown>;

/**
 * The server's OpenAPI 3 document, built from each model's signature: MLflow's scoring protocol
 * (JSON in its four shapes, and CSV) on /invocations and /models/{name}/invocations, the Open
 * Inference Protocol's /v2 routes, and the health and metrics routes; the input example is the
 * example of each request body.
 */
export function openApiDocument(models: readonly DescribedModel[]): Json {
  const paths: Json = {
    '/ping': health('Health check: 200 when the model is loaded (MLflow)'),
    '/health': health('Same as /ping (MLflow)'),
    '/version': { get: { summary: "The MLflow version whose protocol this server speaks", responses: { 200: { description: 'The version', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    '/v2': { get: { summary: 'Open Inference Protocol server metadata', responses: { 200: jsonResponse({ $ref: '#/components/schemas/V2ServerMetadata' }) } } },
    '/v2/health/live': health('Open Inference Protocol liveness'),
    '/v2/health/ready': health('Open Inference Protocol readiness'),
  };
  const schemas: Json = { ...COMMON_SCHEMAS };
  for (const m of models) {
    const key = schemaKey(m.name);
    schemas[`${key}_Request`] = mlflowRequestSchema(m.inputs);
    const scoring = invocations(m, key);
    if (m.isDefault) paths['/invocations'] = scoring;
    paths[`/models/${encodeURIComponent(m.name)}/invocations`] = scoring;
    const v2 = `/v2/models/${encodeURIComponent(m.name)}`;
    paths[v2] = { get: { summary: `Metadata of model ${m.name}: its inputs and outputs`, responses: { 200: jsonResponse({ $ref: '#/components/schemas/V2ModelMetadata' }), 404: v2Error() } } };
    paths[`${v2}/ready`] = health(`Readiness of model ${m.name}`);
    paths[`${v2}/infer`] = {
      post: {
        summary: `Score model ${m.name} (Open Inference Protocol)`,
        requestBody: { required: true, content: { 'application/json': withExample({ schema: { $ref: '#/components/schemas/V2InferenceRequest' } }, v2Example(m)) } },
        responses: { 200: jsonResponse({ $ref: '#/components/schemas/V2InferenceResponse' }), 400: v2Error(), 404: v2Error() },
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'mlflow-ts scoring server', version: VERSION, description: "MLflow's scoring protocol and the Open Inference Protocol (V2) for the models served here." },
    paths,
    components: { schemas },
  };
}

function health(summary: string): Json {
  return { get: { summary, responses: { 200: { description: 'Yes' } } } };
}

function jsonResponse(schema: Json): Json {
  return { description: 'OK', content: { 'application/json': { schema } } };
}

function v2Error(): Json {
  return { description: 'The protocol error body', content: { 'application/json': { schema: { $ref: '#/components/schemas/V2Error' } } } };
}

function withExample(media: Json, example: unknown): Json {
  return example === undefined ? media : { ...media, example };
}

function invocations(m: DescribedModel, key: string): Json {
  return {
    post: {
      summary: `Score model ${m.name} (MLflow's scoring protocol)`,
      requestBody: {
        required: true,
        content: {
          'application/json': withExample({ schema: { $ref: `#/components/schemas/${key}_Request` } }, m.servingInput),
          'text/csv': { schema: { type: 'string', description: 'A CSV table with a header row (pandas read_csv)' } },
        },
      },
      responses: {
        200: jsonResponse({ $ref: '#/components/schemas/Predictions' }),
        400: { description: 'A request the model cannot score', content: { 'application/json': { schema: { $ref: '#/components/schemas/MlflowError' } } } },
        415: { description: 'An unsupported Content-Type' },
      },
    },
  };
}

/** A component name from a model name (OpenAPI keys allow letters, digits, '.', '-', '_'). */
function schemaKey(name: string): string {
  return `Model_${name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/** The four JSON request shapes MLflow reads, typed by the signature. */
function mlflowRequestSchema(inputs: Schema | undefined): Json {
  const params = { params: { type: 'object', description: 'Inference params (the signature\'s params schema)' } };
  if (!inputs || inputs.isTensorSpec()) {
    const tensor = inputs && inputs.inputs.length === 1 && inputs.inputs[0].name === undefined ? tensorSchema(inputs.inputs[0]) : {};
    const named = inputs?.hasInputNames() ? { type: 'object', properties: Object.fromEntries(inputs.inputs.map((s) => [s.name, tensorSchema(s)])) } : undefined;
    const value = named ? { oneOf: [named, { type: 'array', items: { type: 'object' } }] } : tensor;
    return {
      oneOf: [
        { type: 'object', required: ['inputs'], properties: { inputs: value, ...params } },
        { type: 'object', required: ['instances'], properties: { instances: value, ...params } },
      ],
    };
  }
  const names = inputs.inputs.map((s) => s.name).filter((n): n is string => n !== undefined);
  const record = {
    type: 'object',
    properties: Object.fromEntries(inputs.inputs.filter((s) => s.name !== undefined).map((s) => [s.name, colSchema(s)])),
    required: inputs.inputs.filter((s) => s.name !== undefined && s.required).map((s) => s.name),
  };
  return {
    oneOf: [
      {
        type: 'object',
        required: ['dataframe_split'],
        properties: {
          dataframe_split: {
            type: 'object',
            required: ['data'],
            properties: { columns: { type: 'array', items: { type: 'string', enum: names } }, index: { type: 'array' }, data: { type: 'array', items: { type: 'array' } } },
          },
          ...params,
        },
      },
      { type: 'object', required: ['dataframe_records'], properties: { dataframe_records: { type: 'array', items: record }, ...params } },
      { type: 'object', required: ['instances'], properties: { instances: { type: 'array', items: record }, ...params } },
      { type: 'object', required: ['inputs'], properties: { inputs: { oneOf: [{ type: 'array', items: record }, record] }, ...params } },
    ],
  };
}

function colSchema(spec: InputSpec): Json {
  return spec.kind === 'tensorspec' ? tensorSchema(spec) : colTypeSchema(spec.type);
}

function colTypeSchema(type: ColType): Json {
  if (typeof type === 'string') {
    switch (type) {
      case 'boolean': return { type: 'boolean' };
      case 'integer': case 'long': return { type: 'integer' };
      case 'float': case 'double': return { type: 'number' };
      case 'string': return { type: 'string' };
      case 'binary': return { type: 'string', format: 'byte' };
      case 'datetime': return { type: 'string', format: 'date-time' };
      case 'sparkml_vector': return { type: 'array', items: { type: 'number' } };
    }
  }
  switch (type.kind) {
    case 'array': return { type: 'array', items: colTypeSchema(type.items) };
    case 'map': return { type: 'object', additionalProperties: colTypeSchema(type.values) };
    case 'any': return {};
    case 'object':
      return {
        type: 'object',
        properties: Object.fromEntries(type.properties.map((p) => [p.name, colTypeSchema(p.type)])),
        required: type.properties.filter((p) => p.required).map((p) => p.name),
      };
  }
}

/** Nested arrays as deep as the tensor's shape, of its element type. */
function tensorSchema(spec: InputSpec): Json {
  if (spec.kind !== 'tensorspec') return colSchema(spec);
  const { datatype } = describeSpec(spec);
  let leaf: Json = datatype === 'BOOL' ? { type: 'boolean' } : datatype === 'BYTES' ? { type: 'string' } : datatype.startsWith('FP') ? { type: 'number' } : { type: 'integer' };
  for (let d = spec.shape.length - 1; d >= 0; d--) {
    leaf = { type: 'array', items: leaf, ...(spec.shape[d] >= 0 ? { minItems: spec.shape[d], maxItems: spec.shape[d] } : {}) };
  }
  return leaf;
}

/** The input example as a V2 request: its table's columns as [n, 1] tensors, or its tensor(s). */
export function v2Example(m: DescribedModel): Json | undefined {
  const body = m.servingInput as Json | undefined;
  if (!body || typeof body !== 'object') return undefined;
  const split = body.dataframe_split as { columns?: string[]; data?: unknown[][] } | undefined;
  const specs = new Map((m.inputs?.inputs ?? []).map((s) => [s.name, s]));
  if (split?.columns && Array.isArray(split.data)) {
    const rows = split.data;
    return {
      inputs: split.columns.map((name, j) => {
        const spec = specs.get(name);
        const values = rows.map((r) => r[j]);
        return { name, datatype: spec ? describeSpec(spec).datatype : guessDatatype(values), shape: [rows.length, 1], data: values };
      }),
    };
  }
  const inputs = body.inputs ?? body.instances;
  if (Array.isArray(inputs)) {
    const spec = m.inputs?.inputs[0];
    return { inputs: [{ name: spec?.name ?? 'input-0', datatype: spec ? describeSpec(spec).datatype : guessDatatype(inputs.flat(Infinity)), shape: shapeOf(inputs), data: inputs }] };
  }
  if (inputs && typeof inputs === 'object') {
    return {
      inputs: Object.entries(inputs).map(([name, value]) => {
        const spec = specs.get(name);
        const flat = Array.isArray(value) ? value.flat(Infinity) : [value];
        return { name, datatype: spec ? describeSpec(spec).datatype : guessDatatype(flat), shape: Array.isArray(value) ? shapeOf(value) : [1], data: flat };
      }),
    };
  }
  return undefined;
}

function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  let x = value;
  while (Array.isArray(x)) {
    shape.push(x.length);
    x = x[0];
  }
  return shape;
}

function guessDatatype(values: readonly unknown[]): string {
  if (values.every((v) => typeof v === 'boolean')) return 'BOOL';
  if (values.every((v) => typeof v === 'number' && Number.isInteger(v))) return 'INT64';
  if (values.every((v) => typeof v === 'number' || v === null)) return 'FP64';
  return 'BYTES';
}

const TENSOR = {
  type: 'object',
  required: ['name', 'shape', 'datatype'],
  properties: {
    name: { type: 'string' },
    shape: { type: 'array', items: { type: 'integer' } },
    datatype: { type: 'string', enum: ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'] },
    parameters: { type: 'object' },
    data: { type: 'array', description: 'Row-major, flat or nested' },
  },
};

const METADATA_TENSOR = {
  type: 'object',
  properties: { name: { type: 'string' }, datatype: { type: 'string' }, shape: { type: 'array', items: { type: 'integer' } }, parameters: { type: 'object' } },
};

const COMMON_SCHEMAS: Json = {
  Predictions: { type: 'object', properties: { predictions: {} }, description: 'MLflow\'s answer: {"predictions": ...}' },
  MlflowError: { type: 'object', properties: { error_code: { type: 'string' }, message: { type: 'string' } } },
  V2Error: { type: 'object', properties: { error: { type: 'string' } } },
  V2ServerMetadata: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' }, extensions: { type: 'array', items: { type: 'string' } } } },
  V2ModelMetadata: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      versions: { type: 'array', items: { type: 'string' } },
      platform: { type: 'string' },
      inputs: { type: 'array', items: METADATA_TENSOR },
      outputs: { type: 'array', items: METADATA_TENSOR },
      parameters: { type: 'object' },
    },
  },
  V2InferenceRequest: {
    type: 'object',
    required: ['inputs'],
    properties: {
      id: { type: 'string' },
      parameters: { type: 'object' },
      inputs: { type: 'array', items: TENSOR },
      outputs: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, parameters: { type: 'object' } } } },
    },
  },
  V2InferenceResponse: {
    type: 'object',
    properties: {
      model_name: { type: 'string' },
      model_version: { type: 'string' },
      id: { type: 'string' },
      parameters: { type: 'object' },
      outputs: { type: 'array', items: TENSOR },
    },
  },
};
