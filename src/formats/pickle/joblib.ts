import { MlflowError } from '../../errors.js';
import { isDType } from '../numpy/dtype.js';
import { ndarrayFromBytes, shapeSize } from '../numpy/ndarray.js';
import { isNdArray, isPyInstance } from './builtins.js';
import { recordArrayDType } from './provenance.js';
import { type PickleOptions, Unpickler } from './reader.js';

const WRAPPER = 'joblib.numpy_pickle.NumpyArrayWrapper';
/** joblib < 0.10 kept arrays in side files (or zlib chunks) next to the pickle. */
const OLD_WRAPPERS = new Set(['joblib.numpy_pickle.NDArrayWrapper', 'joblib.numpy_pickle.ZNDArrayWrapper']);

/**
 * joblib's format: a pickle in which each numpy array is a NumpyArrayWrapper whose BUILD is
 * followed, in the same stream, by the array's raw bytes (after an alignment padding) or, for
 * object arrays, by a nested pickle of the array.
 */
class JoblibUnpickler extends Unpickler {
  protected override allowExtra(module: string, name: string): boolean {
    const key = `${module}.${name}`;
    if (key === WRAPPER) return true;
    if (OLD_WRAPPERS.has(key)) {
      throw new MlflowError(
        `${this.where()}: this joblib file was written by joblib < 0.10 and keeps its arrays in separate files (${name}); re-save it with a recent joblib`,
        'NOT_IMPLEMENTED',
      );
    }
    return super.allowExtra(module, name);
  }

  protected override build(target: unknown, state: unknown): unknown {
    const built = super.build(target, state);
    if (!isPyInstance(built) || `${built.module}.${built.name}` !== WRAPPER) return built;
    const { dtype, shape, order, numpy_array_alignment_bytes: alignment } = built.state;
    if (!isDType(dtype)) this.fail('NumpyArrayWrapper has no numpy dtype');
    if (dtype.char === 'O') {
      const nested = new Unpickler(this.bytes, this.pos, this.options);
      const arr = nested.load();
      this.pos = nested.pos;
      if (!isNdArray(arr)) this.fail('NumpyArrayWrapper of dtype object is not followed by an array');
      return arr;
    }
    if (typeof alignment === 'number') this.take(this.take(1)[0]);
    const { size } = shapeSize(shape, this.where());
    const bytes = this.take(this.length(size * dtype.itemsize));
    return recordArrayDType(ndarrayFromBytes(dtype, shape, bytes, order === 'F', this.where()), dtype);
  }
}

/** Reads an uncompressed joblib stream (see loadPickleFile for files and compression). */
export function readJoblib(bytes: Uint8Array, options: PickleOptions): unknown {
  return new JoblibUnpickler(bytes, 0, options).load();
}
