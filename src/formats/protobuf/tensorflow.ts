import protobuf from 'protobufjs';
import { MlflowError } from '../../errors.js';
import { TENSORFLOW_PROTO } from './tensorflow.proto.js';

/** TensorFlow's DataType enum values (tensorflow/core/framework/types.proto). */
export const DT = {
  INVALID: 0, FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT16: 5, INT8: 6, STRING: 7, COMPLEX64: 8,
  INT64: 9, BOOL: 10, BFLOAT16: 14, UINT16: 17, COMPLEX128: 18, HALF: 19, RESOURCE: 20, VARIANT: 21,
  UINT32: 22, UINT64: 23,
} as const;

/** A DataType's name without the DT_ prefix, for messages ("FLOAT", "INT64_REF"). */
export function dataTypeName(dtype: number): string {
  const e = root().lookupEnum('tensorflow.DataType');
  return (e.valuesById[dtype] ?? `DataType(${dtype})`).replace(/^DT_/, '');
}

export interface TensorShapeProto { dim: { size: number; name: string }[]; unknownRank: boolean }

export interface TensorProto {
  dtype: number;
  tensorShape: TensorShapeProto | null;
  tensorContent: Uint8Array;
  halfVal: number[]; floatVal: number[]; doubleVal: number[]; intVal: number[]; stringVal: Uint8Array[];
  int64Val: number[]; boolVal: boolean[]; uint32Val: number[]; uint64Val: number[];
}

export interface NameAttrList { name: string; attr: Record<string, AttrValue> }

export interface AttrValue {
  s?: Uint8Array; i?: number; f?: number; b?: boolean; type?: number; shape?: TensorShapeProto;
  tensor?: TensorProto; func?: NameAttrList; placeholder?: string;
  list?: {
    s: Uint8Array[]; i: number[]; f: number[]; b: boolean[]; type: number[]; shape: TensorShapeProto[];
    tensor: TensorProto[]; func: NameAttrList[];
  };
}

export interface NodeDef { name: string; op: string; input: string[]; device: string; attr: Record<string, AttrValue> }

export interface ArgDef { name: string; type: number; typeAttr: string; numberAttr: string; typeListAttr: string }

export interface FunctionDef {
  signature: { name: string; inputArg: ArgDef[]; outputArg: ArgDef[] };
  nodeDef: NodeDef[];
  ret: Record<string, string>;
}

export interface GraphDef { node: NodeDef[]; library: { function: FunctionDef[] } | null; versions: { producer: number } | null }

export interface TensorInfo { name?: string; cooSparse?: Uint8Array; compositeTensor?: Uint8Array; dtype: number; tensorShape: TensorShapeProto | null }

export interface SignatureDef { inputs: Record<string, TensorInfo>; outputs: Record<string, TensorInfo>; methodName: string }

export interface MetaGraphDef {
  metaInfoDef: { metaGraphVersion: string; tags: string[]; tensorflowVersion: string } | null;
  graphDef: GraphDef | null;
  saverDef: { filenameTensorName: string; saveTensorName: string; restoreOpName: string } | null;
  signatureDef: Record<string, SignatureDef>;
  /** TF2 object-based saving: the node ids of the objects (variables) each function captures. */
  objectGraphDef: {
    concreteFunctions: Record<string, { boundInputs: number[] }>;
    /** tf.keras 2.0-2.4 kept each Keras object's metadata (JSON) here; node 0 is the root. */
    nodes: { userObject: { identifier: string; metadata: string } | null }[];
  } | null;
}

/** A checkpoint's `_CHECKPOINTABLE_OBJECT_GRAPH`: its node ids are the SavedObjectGraph's. */
export interface TrackableObjectGraph {
  nodes: { attributes: { name: string; fullName: string; checkpointKey: string }[] }[];
}

/** keras_metadata.pb (tf.keras >= 2.5): each saved Keras object's metadata JSON, the root's path being `root`. */
export interface KerasSavedMetadata {
  nodes: { nodeId: number; nodePath: string; identifier: string; metadata: string }[];
}

export interface SavedModelProto { savedModelSchemaVersion: number; metaGraphs: MetaGraphDef[] }

export interface BundleHeaderProto { numShards: number; endianness: number; version: { producer: number } | null }

export interface BundleEntryProto {
  dtype: number; shape: TensorShapeProto | null; shardId: number; offset: number; size: number; crc32c: number;
  slices: Uint8Array[];
}

let cached: protobuf.Root | undefined;

function root(): protobuf.Root {
  cached ??= protobuf.parse(TENSORFLOW_PROTO).root;
  return cached;
}

/**
 * Decodes `bytes` as the TensorFlow message `type` into plain objects: every field present
 * (defaults filled in), int64 as numbers (exact to 2^53), enums as numbers, bytes as Uint8Array.
 * `what` names the file or field for the error message.
 */
export function decodeTensorflowMessage<T>(type: string, bytes: Uint8Array, what: string): T {
  const t = root().lookupType(`tensorflow.${type}`);
  try {
    const msg = t.decode(bytes);
    return t.toObject(msg, { longs: Number, enums: Number, defaults: true, arrays: true, objects: true, oneofs: false }) as T;
  } catch (err) {
    // Includes a RangeError from absurdly deep nesting in a crafted file.
    throw new MlflowError(`${what} is not a valid TensorFlow ${type} protobuf: ${(err as Error).message}`, 'INVALID_PARAMETER_VALUE');
  }
}
