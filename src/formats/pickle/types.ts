/** An instance of an allow-listed Python class, rebuilt without running any code. */
export interface PyInstance {
  readonly kind: 'instance';
  readonly module: string;
  readonly name: string;
  /** __dict__ / __setstate__ state; non-dict state goes under '__state__' */
  state: Record<string, unknown>;
  /** args from NEWOBJ/REDUCE */
  args: unknown[];
}

/** A numpy array, always exposed in C order. */
export interface NdArray {
  readonly kind: 'ndarray';
  dtype: string /* numpy dtype.str e.g. '<f8','<i8','|b1','|O','<U5' */;
  shape: number[];
  /** float64 -> Float64Array, float32 -> Float32Array, int64/uint64 -> Float64Array (exact to 2^53; larger values refused), int32 -> Int32Array, int16/int8/uint* -> matching typed array, bool -> Uint8Array, object -> unknown[], unicode/bytes -> string[] / Uint8Array[]; structured -> undefined (see fields) */
  data:
    | Float64Array
    | Float32Array
    | Int32Array
    | Int16Array
    | Int8Array
    | Uint32Array
    | Uint16Array
    | Uint8Array
    | unknown[];
  /** structured dtypes (e.g. sklearn tree nodes): one NdArray per field, same shape */
  fields?: Record<string, NdArray>;
}

/** A reference to an allow-listed global function (e.g. numpy.log1p in a FunctionTransformer). */
export interface PyGlobal {
  readonly kind: 'global';
  readonly module: string;
  readonly name: string;
}
