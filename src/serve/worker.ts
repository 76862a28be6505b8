import type { Table } from 'apache-arrow';
import type { Logger } from 'pino';
import { MlflowError } from '../errors.js';
import type { LoadOptions, Params } from '../flavors/flavor.js';
import { castToSchema, enforceParams, loadPredictor, type Predictor } from '../pyfunc/index.js';
import { VERSION } from '../version.js';
import { predictionsToFrame } from './predictions-frame.js';
import { encodeFrame, encodeJsonFrame, FRAME_KIND, FrameReader } from './worker-frames.js';

/** The version of the framing and the frame kinds; sent in the ready frame. */
export const WORKER_PROTOCOL = 1;

export interface WorkerOptions extends Pick<LoadOptions, 'runtime' | 'envManager'> {
  /** Passed to every predict, as spark_udf's `params`; checked against the signature once, at start. */
  params?: Params;
  logger?: Logger;
}

type WriteFrame = (parts: readonly Uint8Array[]) => Promise<void>;

/**
 * `mlflow-ts worker`: loads the model once, then answers each Arrow batch on stdin with its
 * predictions on stdout (framing in worker-frames.ts) until stdin ends or SIGTERM comes.
 * A model that fails to load gets one error frame and exit code 1. Resolves with the exit code;
 * logs go to stderr only, and anything else printing to stdout is sent to stderr, so nothing but
 * frames reaches the protocol's stream.
 */
export async function runWorker(modelUri: string, options: WorkerOptions = {}): Promise<number> {
  const logger = options.logger ?? (await createWorkerLogger());
  const write = takeStdout();
  let stopping = false;
  let busy = false;
  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    stopping = true;
    // Idle: end the wait for the next frame; busy: the current reply goes out first.
    if (!busy) process.stdin.destroy();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  let predictor: Predictor;
  let params: Params | undefined;
  try {
    predictor = await loadPredictor(modelUri, { runtime: options.runtime, envManager: options.envManager });
    params = enforceParams(options.params, predictor.metadata.getParamsSchema());
  } catch (err) {
    logger.error({ err }, 'the model could not be loaded');
    await write(encodeJsonFrame(FRAME_KIND.error, errorBody(err, 'INTERNAL_ERROR'))).catch(() => undefined);
    await flush(logger);
    return 1;
  }
  logger.info({ modelUri, flavor: predictor.flavor }, 'worker ready');
  try {
    if (stopping) return 0;
    await write(encodeJsonFrame(FRAME_KIND.ready, { protocol: WORKER_PROTOCOL, mlflow_ts: VERSION, flavor: predictor.flavor }));
    await serveFrames(predictor, process.stdin, write, {
      params,
      logger,
      onBusy: (b) => (busy = b),
      stopping: () => stopping,
    });
    return 0;
  } catch (err) {
    if (stopping) return 0;
    logger.error({ err }, 'the worker stopped on an error');
    return 1;
  } finally {
    await predictor.close();
    await flush(logger);
  }
}

/** The log is written asynchronously: let its last lines out before the process exits. */
function flush(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

export interface ServeFramesOptions {
  params?: Params;
  logger?: Logger;
  /** Told when a request starts and ends, so a signal can wait for the reply. */
  onBusy?: (busy: boolean) => void;
  /** Checked after each reply: true ends the loop. */
  stopping?: () => boolean;
}

/**
 * The worker's loop apart from the process: reads frames from `input` and writes one reply frame
 * per request through `write`. Resolves at the end of `input`; rejects if it ends inside a frame.
 */
export async function serveFrames(
  predictor: Predictor,
  input: AsyncIterable<Buffer | string>,
  write: WriteFrame,
  options: ServeFramesOptions = {},
): Promise<void> {
  const reader = new FrameReader(input);
  const schema = predictor.metadata.getInputSchema();
  for (;;) {
    const frame = await reader.next();
    if (frame === undefined) return;
    options.onBusy?.(true);
    await write(await answer(predictor, schema, frame.kind, frame.payload, options));
    options.onBusy?.(false);
    if (options.stopping?.()) return;
  }
}

async function answer(
  predictor: Predictor,
  schema: ReturnType<Predictor['metadata']['getInputSchema']>,
  kind: number,
  payload: Buffer,
  options: ServeFramesOptions,
): Promise<readonly Uint8Array[]> {
  if (kind !== FRAME_KIND.arrow) {
    const message = `Unknown frame kind 0x${kind.toString(16).padStart(2, '0')}; a request is an 'A' (0x41) frame holding an Arrow IPC stream`;
    return encodeJsonFrame(FRAME_KIND.error, { error_code: 'MALFORMED_REQUEST', message });
  }
  const { tableFromIPC, tableToIPC, frameFromArrow, frameToArrow } = await loadArrow();
  let input: unknown;
  try {
    input = castToSchema(frameFromArrow(readArrow(tableFromIPC, payload)), schema);
  } catch (err) {
    return encodeJsonFrame(FRAME_KIND.error, errorBody(err, 'BAD_REQUEST'));
  }
  let output: unknown;
  try {
    output = await predictor.predict(input, options.params);
  } catch (err) {
    if (!(err instanceof MlflowError)) options.logger?.warn({ err }, 'the model failed on a batch');
    const body = errorBody(err, 'BAD_REQUEST');
    return encodeJsonFrame(FRAME_KIND.error, { ...body, message: `Failed to predict data. \nError: ${body.message}` });
  }
  try {
    return encodeFrame(FRAME_KIND.arrow, tableToIPC(frameToArrow(predictionsToFrame(output)), 'stream'));
  } catch (err) {
    return encodeJsonFrame(FRAME_KIND.error, errorBody(err, 'INTERNAL_ERROR'));
  }
}

type Arrow = typeof import('apache-arrow') & typeof import('../frame/arrow.js');
let arrowModules: Promise<Arrow> | undefined;

/** apache-arrow, loaded by the first batch (importing mlflow-ts must not load it: start-up time). */
function loadArrow(): Promise<Arrow> {
  arrowModules ??= Promise.all([import('apache-arrow'), import('../frame/arrow.js')]).then(([a, f]) => ({ ...a, ...f }));
  return arrowModules;
}

function readArrow(tableFromIPC: Arrow['tableFromIPC'], payload: Buffer): Table {
  try {
    return tableFromIPC(payload);
  } catch (err) {
    throw new MlflowError(`The request is not an Arrow IPC stream: ${err instanceof Error ? err.message : String(err)}`, 'BAD_REQUEST');
  }
}

function errorBody(err: unknown, fallback: MlflowError['errorCode']): { error_code: string; message: string } {
  if (err instanceof MlflowError) return err.toJSON();
  return { error_code: fallback, message: err instanceof Error ? err.message : String(err) };
}

/** JSON lines on stderr, as the server's log; level from MLFLOW_TS_LOG_LEVEL (default warn: a worker runs per executor). */
async function createWorkerLogger(level = process.env.MLFLOW_TS_LOG_LEVEL ?? 'warn'): Promise<Logger> {
  const { pino } = await import('pino');
  return pino({ name: 'mlflow-ts-worker', level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: false }));
}

/**
 * Claims stdout for frames: process.stdout.write is pointed at stderr (console.log in a model,
 * a library's banner), and the returned function writes to the real stdout, waiting for drain.
 */
function takeStdout(): WriteFrame {
  const out = process.stdout;
  const writeOut = out.write.bind(out) as (chunk: Uint8Array, cb: (err?: Error | null) => void) => boolean;
  out.write = process.stderr.write.bind(process.stderr) as typeof out.write;
  // A client that went away: the next write fails and the worker ends, without an uncaught EPIPE.
  out.on('error', () => undefined);
  return (parts) =>
    new Promise((resolve, reject) => {
      for (let i = 0; i < parts.length; i++) {
        const last = i === parts.length - 1;
        writeOut(parts[i], last ? (err) => (err ? reject(err) : resolve()) : () => undefined);
      }
    });
}
