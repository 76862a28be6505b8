export {
  createScoringServer,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TIMEOUT_SECONDS,
  type ScoringServer,
  type ScoringServerOptions,
} from './scoring-server.js';
export { createInvocationHandler, type ScoringResponse } from './invocations.js';
export { readContentType, type ContentTypeVerdict } from './content-type.js';
export { serveModel, type ServeModelOptions } from './serve-model.js';
export { ModelRepository, registryLoader } from './model-repository.js';
export { ModelSlot, type SlotLoader, type SlotState } from './model-slot.js';
export { parseServeConfig, readServeConfig, type BatchingConfig, type ServeConfig, type ServedModelConfig } from './serve-config.js';
export { batchingPredictor } from './batching.js';
export { createServeLogger } from './logger.js';
export {
  batchPredict,
  DEFAULT_BATCH_ROWS,
  type BatchInputFormat,
  type BatchOutputFormat,
  type BatchPredictOptions,
} from './batch-predict.js';
export { predictionsToFrame } from './predictions-frame.js';
export { stderrProgress, type ProgressReporter } from './progress.js';
export { runWorker, serveFrames, WORKER_PROTOCOL, type ServeFramesOptions, type WorkerOptions } from './worker.js';
export { encodeFrame, encodeJsonFrame, FRAME_HEADER_BYTES, FRAME_KIND, FrameReader } from './worker-frames.js';
