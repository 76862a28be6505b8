/**
 * formats/tensorbundle: TensorFlow checkpoints (the `variables/` of a SavedModel): the SSTable
 * index (uncompressed or Snappy blocks), CRC-32C checked shards, numeric and string tensors.
 */
export { TensorBundle } from './tensor-bundle.js';
export { decodeRawValues, elementSize, type TfTensor, type TfValues } from './tensor-values.js';
export { readSsTable } from './sstable.js';
export { snappyDecompress } from './snappy.js';
export { crc32c, maskCrc } from './crc32c.js';
