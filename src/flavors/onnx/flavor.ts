import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { MlflowError } from '../../errors.js';
import { zipRows, type ZipMapOutput } from '../../formats/onnx/zipmap.js';
import { Frame, type Column, type ColumnData, type NumericArray } from '../../frame/frame.js';
import { isTensor, makeTensor, type Tensor } from '../../frame/tensor.js';
import { flavorFilePath } from '../../model/index.js';
import type { FlavorModel, LoadContext } from '../flavor.js';
import { createSession, loadOrt, sessionOptions } from './session.js';

export const FLAVOR_NAME = 'onnx';

type Feeds = Record<string, OrtTensor>;
type Ort = Awaited<ReturnType<typeof loadOrt>>;

/**
 * Loads the `onnx` flavor with onnxruntime (CPU), predicting as mlflow.onnx's _OnnxModelWrapper:
 * a DataFrame feeds the model's inputs by column name (several inputs) or as one 2-D array (one
 * input) and gets a DataFrame back, one column per output flattened; an array feeds the single
 * input, a dict of arrays feeds inputs by name, and both get a dict of arrays back. float64 data
 * for a float input is cast to float32, as MLflow casts it.
 */
export async function loadOnnxFlavor(ctx: LoadContext): Promise<FlavorModel> {
  const file = flavorFilePath(ctx.modelDir, ctx.conf, FLAVOR_NAME, 'data');
  const ort = await loadOrt();
  const { session, zipmaps } = await createSession(file, sessionOptions(ctx.conf.onnx_session_options));
  const inputs = session.inputNames.map((name, i) => ({ name, type: metaType(session.inputMetadata[i]) }));
  const zipByInput = new Map(zipmaps.map((z) => [z.input, z]));
  // outputs in the model's order, each ZipMap output standing for the tensor it zips
  const outputNames = session.outputNames.map((n) => zipByInput.get(n)?.output ?? n);
  return {
    predict: async (data) => {
      const asFrame = data instanceof Frame;
      const feeds = feedsFor(ort, data, inputs);
      let results: Record<string, OrtTensor>;
      try {
        results = await session.run(feeds);
      } catch (e) {
        throw new MlflowError(`onnxruntime could not run the model: ${(e as Error).message}`, 'BAD_REQUEST');
      }
      const outs = session.outputNames.map((n, i) => toOutput(results[n], zipByInput.get(n), outputNames[i]));
      if (!asFrame) return Object.fromEntries(outs.map((o) => [o.name, o.tensor]));
      return outputFrame(outs);
    },
    close: () => session.release(),
  };
}

function metaType(m: InferenceSession.ValueMetadata | undefined): string | null {
  return m && m.isTensor ? m.type : null;
}

function feedsFor(ort: Ort, data: unknown, inputs: readonly { name: string; type: string | null }[]): Feeds {
  const names = inputs.map((i) => i.name);
  let tensors: Record<string, Tensor>;
  if (data instanceof Frame) {
    if (inputs.length > 1) {
      tensors = Object.fromEntries(names.map((n) => {
        const c = data.column(n);
        if (!c) throw new MlflowError(`The input DataFrame has no column '${n}' for the ONNX model's input '${n}'`, 'BAD_REQUEST');
        return [n, columnTensor(c, data.numRows)];
      }));
    } else {
      tensors = { [names[0]]: frameValues(data) };
    }
  } else if (isTensor(data)) {
    if (inputs.length !== 1) {
      throw new MlflowError(
        `Unable to map numpy array input to the expected model input. Numpy arrays can only be used as input for MLflow ONNX models that have a single input. This model requires ${inputs.length} inputs. Please pass in data as either a dictionary or a DataFrame with the following tensors: [${names.map((n) => `'${n}'`).join(', ')}].`,
        'BAD_REQUEST',
      );
    }
    tensors = { [names[0]]: data };
  } else if (data !== null && typeof data === 'object' && !Array.isArray(data) && Object.values(data).every(isTensor)) {
    tensors = data as Record<string, Tensor>;
  } else {
    throw new MlflowError('Input should be a dictionary or a numpy array or a pandas.DataFrame', 'BAD_REQUEST');
  }
  const feeds: Feeds = {};
  for (const [name, t] of Object.entries(tensors)) {
    const type = inputs.find((i) => i.name === name)?.type ?? null;
    feeds[name] = toOrt(ort, t, type === 'float32' && t.dtype === 'float64');
  }
  return feeds;
}

/** DataFrame.values: one 2-D array in the columns' common dtype (float64 for mixed numbers, object otherwise). */
function frameValues(f: Frame): Tensor {
  const rows = f.numRows;
  const cols = f.columns.length;
  const kinds = new Set(f.columns.map((c) => (c.data.kind === 'number' ? c.data.dtype : c.data.kind)));
  if (kinds.size === 1) {
    const only = f.columns[0]?.data;
    if (only && only.kind === 'number') {
      const data = new (only.values.constructor as Float64ArrayConstructor)(rows * cols);
      f.columns.forEach((c, j) => {
        const v = (c.data as { values: ArrayLike<number> }).values;
        for (let i = 0; i < rows; i++) data[i * cols + j] = v[i];
      });
      return makeTensor({ dtype: only.dtype, shape: [rows, cols], data } as Omit<Tensor, 'kind'>);
    }
  }
  if ([...kinds].every((k) => k !== 'string' && k !== 'bool' && k !== 'object' && k !== 'binary' && k !== 'datetime')) {
    const data = new Float64Array(rows * cols);
    f.columns.forEach((c, j) => {
      const v = (c.data as { values: ArrayLike<number> }).values;
      for (let i = 0; i < rows; i++) data[i * cols + j] = v[i];
    });
    return makeTensor({ dtype: 'float64', shape: [rows, cols], data });
  }
  if (kinds.size === 1 && kinds.has('string')) {
    const data: unknown[] = new Array(rows * cols);
    f.columns.forEach((c, j) => c.data.values.forEach((v, i) => { data[i * cols + j] = v; }));
    return makeTensor({ dtype: 'string', shape: [rows, cols], data });
  }
  throw new MlflowError(`The ONNX model's single input cannot take columns of mixed kinds (${[...kinds].join(', ')})`, 'BAD_REQUEST');
}

/** df[name].values: the column as a 1-D array. */
function columnTensor(c: Column, rows: number): Tensor {
  const d = c.data;
  if (d.kind === 'number') return makeTensor({ dtype: d.dtype, shape: [rows], data: d.values } as Omit<Tensor, 'kind'>);
  if (d.kind === 'bool') return makeTensor({ dtype: 'bool', shape: [rows], data: Uint8Array.from(d.values, (v) => (v ? 1 : 0)) });
  if (d.kind === 'string') return makeTensor({ dtype: 'string', shape: [rows], data: d.values });
  throw new MlflowError(`Column '${c.name}' holds ${d.kind} values, which an ONNX input cannot take`, 'BAD_REQUEST');
}

function toOrt(ort: Ort, t: Tensor, castToFloat32: boolean): OrtTensor {
  const dims = [...t.shape];
  if (castToFloat32) return new ort.Tensor('float32', Float32Array.from(t.data as Float64Array), dims);
  switch (t.dtype) {
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from(t.data as Float64Array, (v) => BigInt(v)), dims);
    case 'uint64': return new ort.Tensor('uint64', BigUint64Array.from(t.data as Float64Array, (v) => BigInt(v)), dims);
    case 'string': return new ort.Tensor('string', (t.data as unknown[]).map(String), dims);
    case 'object': throw new MlflowError('An ONNX input cannot take an object array', 'BAD_REQUEST');
    default: return new ort.Tensor(t.dtype, t.data as Float32Array, dims);
  }
}

interface Output { name: string; tensor: Tensor; maps: Record<string, number>[] | null }

function toOutput(o: OrtTensor, zip: ZipMapOutput | undefined, name: string): Output {
  const shape = [...o.dims];
  if (zip) {
    const rows = shape[0] ?? 0;
    const maps = zipRows(zip.labels, o.data as Float32Array, rows);
    return { name, tensor: makeTensor({ dtype: 'object', shape: [rows], data: maps }), maps };
  }
  const d = o.data;
  let tensor: Tensor;
  switch (o.type) {
    case 'int64': case 'uint64': {
      const v = Float64Array.from(d as BigInt64Array, (x) => {
        if (x > 9007199254740992n || x < -9007199254740992n) throw new MlflowError(`ONNX output '${name}' holds an integer beyond 2^53`, 'INTERNAL_ERROR');
        return Number(x);
      });
      tensor = makeTensor({ dtype: o.type, shape, data: v });
      break;
    }
    case 'string': tensor = makeTensor({ dtype: 'string', shape, data: d as string[] }); break;
    case 'bool': tensor = makeTensor({ dtype: 'bool', shape, data: d as Uint8Array }); break;
    case 'float32': case 'float64': case 'int32': case 'int16': case 'int8': case 'uint32': case 'uint16': case 'uint8':
      tensor = makeTensor({ dtype: o.type, shape, data: d } as Omit<Tensor, 'kind'>);
      break;
    default: throw new MlflowError(`ONNX output '${name}' of type ${o.type} is not supported natively`, 'NOT_IMPLEMENTED');
  }
  return { name, tensor, maps: null };
}

/** pd.DataFrame.from_dict({name: np.asarray(p).reshape(-1)}): every output flattened to one column. */
function outputFrame(outs: readonly Output[]): Frame {
  const lengths = new Set(outs.map((o) => o.tensor.data.length));
  if (lengths.size > 1) {
    throw new MlflowError(
      `All arrays must be of the same length: the ONNX outputs ${outs.map((o) => `'${o.name}' (${o.tensor.data.length} values)`).join(', ')} cannot form one DataFrame; send a dict of tensors (inputs) to get each output whole`,
      'BAD_REQUEST',
    );
  }
  return new Frame(outs.map((o): Column => {
    const t = o.tensor;
    let data: ColumnData;
    if (t.dtype === 'string') data = { kind: 'string', values: t.data as string[] };
    else if (t.dtype === 'object') data = { kind: 'object', values: t.data };
    else if (t.dtype === 'bool') data = { kind: 'bool', values: Array.from(t.data, (v) => v !== 0) };
    else data = { kind: 'number', dtype: t.dtype, values: t.data as NumericArray };
    return { name: o.name, data };
  }));
}
