export type { NdArray, PyGlobal, PyInstance } from './types.js';
export { readPickle, DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, type PickleOptions } from './reader.js';
export { readJoblib } from './joblib.js';
export { writePickle } from './writer.js';
export { loadPickleFile } from './load-file.js';
export { detectCompression, type Compression } from './decompress.js';
export { isNdArray, isPyGlobal, isPyInstance } from './builtins.js';
