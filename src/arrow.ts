/**
 * `mlflow-ts/arrow`: Frame <-> Apache Arrow, zero-copy where the types allow. A subpath of its
 * own so that importing `mlflow-ts` does not load apache-arrow (start-up time); batch IO
 * (readFrameBatches, createFrameWriter) loads it by itself for the arrow format.
 */
export { frameToArrow, frameFromArrow } from './frame/arrow.js';
