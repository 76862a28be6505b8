import type { Logger } from 'pino';
import { MlflowError, ModelRaisedError } from '../../errors.js';
import type { Predictor } from '../../pyfunc/index.js';
import { VERSION } from '../../version.js';
import { UNEXPECTED_MODEL_ERROR, YIELD_ABOVE_BYTES } from '../invocations.js';
import { modelMetadata } from './metadata.js';
import { THREAD_ABOVE_BYTES, readLargeV2Body } from '../large-body.js';
import { blockRows, predictOutputInBlocks } from '../predict-in-blocks.js';
import { bodyModel, type BodyModel } from '../read-body.js';
import { BINARY_HEADER, readV2Body, type V2Body } from './read-v2-body.js';
import { inferAnswer, JSON_TYPE, type V2Answer } from './answer.js';
import { V2Error } from './v2-error.js';

export { V2Error } from './v2-error.js';
export type { V2Answer } from './answer.js';

/** A model as the V2 routes see it. */
export interface V2Model {
  readonly name: string;
  /** The registry version it was loaded from, if any (`models:/name/3`). */
  readonly version?: string;
  readonly predictor?: Predictor;
  /** The version being served, kept open until it is released (no promise of its own: the 1-row hot path). */
  acquire(): Served;
  release(served: Served): void;
}

/** One served version of a model. */
export interface Served {
  readonly predictor: Predictor;
  readonly version?: string;
}

/** The model-repository extension: what is configured, and loading or unloading it by name. */
export interface V2Repository {
  index(): readonly { name: string; version?: string; state: string; reason: string }[];
  load(name: string): Promise<void>;
  unload(name: string): Promise<void>;
}

/** Where the V2 routes look models up (loaded ones only). */
export interface V2Models {
  find(name: string): V2Model | undefined;
  list(): readonly V2Model[];
  repository?: V2Repository;
}

/** The route a V2 path names, for metrics labels; undefined when it is not a V2 route. */
export function v2Route(path: string): string | undefined {
  if (path === '/v2' || path === '/v2/health/live' || path === '/v2/health/ready') return path;
  const m = MODEL_PATH.exec(path);
  if (!m) return undefined;
  return `/v2/models/{name}${m[2] === undefined ? '' : '/versions/{version}'}${m[3] ?? ''}`;
}

const MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/;
const EMPTY_OK: V2Answer = { status: 200, body: '' };
export { BINARY_HEADER } from './read-v2-body.js';

/**
 * The Open Inference Protocol (KServe V2) REST routes over the models served. Tensors map to
 * MLflow inputs as MLServer's MLflow runtime maps them; errors are `{"error": "..."}`. Never
 * rejects. Not an async function: a small inference request's answer is one promise (predict's) away.
 */
export function handleV2(
  method: string,
  path: string,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  models: V2Models,
  logger?: Logger,
): Promise<V2Answer> {
  try {
    const answer = route(method, path, headers, body, models, logger);
    return answer instanceof Promise ? answer : Promise.resolve(answer);
  } catch (err) {
    return Promise.resolve(errorAnswer(err, logger));
  }
}

/** The answer, or a promise of it that never rejects (each such route answers its own errors). */
function route(method: string, path: string, headers: V2Headers, body: Buffer, models: V2Models, logger: Logger | undefined): V2Answer | Promise<V2Answer> {
  if (path === '/v2') {
    requireMethod(method, 'GET');
    const extensions = models.repository ? ['binary_tensor_data', 'model_repository'] : ['binary_tensor_data'];
    return json(200, { name: 'mlflow-ts', version: VERSION, extensions });
  }
  if (path === '/v2/health/live') return requireMethod(method, 'GET'), EMPTY_OK;
  if (path === '/v2/health/ready') return requireMethod(method, 'GET'), EMPTY_OK;
  if (path.startsWith('/v2/repository/')) return repositoryRoute(method, path, models.repository).catch((err: unknown) => errorAnswer(err, logger));
  const { name, version, action } = modelPath(path);
  const model = findModel(models, name, version);
  switch (action) {
    case undefined:
      requireMethod(method, 'GET');
      return json(200, modelMetadata(model.name, model.version, (model.predictor as Predictor).metadata));
    case '/ready':
      requireMethod(method, 'GET');
      return EMPTY_OK;
    default:
      requireMethod(method, 'POST');
      return infer(model, headers, body, logger);
  }
}

/** A V2Error as its own answer; anything else is the server's failure (500, logged). */
function errorAnswer(err: unknown, logger: Logger | undefined): V2Answer {
  if (err instanceof V2Error) return json(err.status, { error: err.message });
  logger?.error({ err }, 'V2 request failed');
  return json(500, { error: 'The server failed to answer the request' });
}

/** A model route's parts, decoded. */
interface ModelPath {
  readonly path: string;
  readonly name: string;
  readonly version: string | undefined;
  readonly action: string | undefined;
}

/** The last model path read: a client sends the same one on every request. */
let lastModelPath: ModelPath = { path: '', name: '', version: undefined, action: undefined };

function modelPath(path: string): ModelPath {
  if (path === lastModelPath.path) return lastModelPath;
  const m = MODEL_PATH.exec(path);
  if (!m) throw new V2Error(`No route ${path}`, 404);
  lastModelPath = { path, name: decode(m[1]), version: m[2] === undefined ? undefined : decode(m[2]), action: m[3] };
  return lastModelPath;
}

function findModel(models: V2Models, name: string, version: string | undefined): V2Model {
  const model = models.find(name);
  if (!model || (version !== undefined && model.version !== version)) {
    throw new V2Error(version === undefined ? `Model ${name} not found` : `Model ${name} with version ${version} not found`, 404);
  }
  return model;
}

/**
 * An inference request on the version served now, which stays open until its predict settles.
 * A small body is read, scored and answered with no await in between: one promise (predict's)
 * and its one reaction, which also releases the version and answers any error.
 */
function infer(model: V2Model, headers: V2Headers, body: Buffer, logger: Logger | undefined): Promise<V2Answer> {
  const served = model.acquire();
  const { predictor, version } = served;
  if (body.length > YIELD_ABOVE_BYTES) {
    return inferLarge(model.name, predictor, version, headers, body, logger).then(
      (answer) => (model.release(served), answer),
      (err: unknown) => (model.release(served), errorAnswer(err, logger)),
    );
  }
  let read: V2Body;
  try {
    read = readV2Body(headers[BINARY_HEADER], body, predictor.metadata.getInputSchema());
  } catch (err) {
    model.release(served);
    return Promise.resolve(errorAnswer(err, logger));
  }
  const { request, input } = read;
  let predicted: Promise<unknown>;
  try {
    predicted = predictor.predict(input, request.params);
  } catch (err) {
    model.release(served);
    return Promise.resolve(errorAnswer(predictFailed(err, logger), logger));
  }
  return predicted.then(
    (prediction) => {
      model.release(served);
      try {
        const answer = inferAnswer(model.name, version, request, prediction);
        return answer instanceof Promise ? answer.catch((err: unknown) => errorAnswer(err, logger)) : answer;
      } catch (err) {
        return errorAnswer(err, logger);
      }
    },
    (err: unknown) => {
      model.release(served);
      return errorAnswer(predictFailed(err, logger), logger);
    },
  );
}

/**
 * A large inference request: read in the large-body thread above THREAD_ABOVE_BYTES (as
 * /invocations does), scored in blocks of rows by a row-wise native model, the event loop turning
 * between the stages.
 */
async function inferLarge(name: string, predictor: Predictor, version: string | undefined, headers: V2Headers, body: Buffer, logger: Logger | undefined): Promise<V2Answer> {
  const binaryHeader = headers[BINARY_HEADER];
  const readHere = (): V2Body => readV2Body(binaryHeader, body, predictor.metadata.getInputSchema());
  const { request, input } = body.length > THREAD_ABOVE_BYTES ? await readLargeV2Body(body, binaryHeader, modelOf(predictor), readHere) : readHere();
  let prediction: unknown;
  try {
    // A large input to a row-wise native model is scored in blocks, the event loop turning between them.
    const blocks = blockRows(predictor, input) !== undefined;
    if (blocks) prediction = await predictOutputInBlocks(predictor, input, request.params);
    if (!blocks || prediction === undefined) prediction = await predictor.predict(input, request.params);
  } catch (err) {
    throw predictFailed(err, logger);
  }
  return inferAnswer(name, version, request, prediction);
}

/** The error a failed predict answers: MLflow's own checks keep their message; a model's failure is logged, not echoed. */
function predictFailed(err: unknown, logger: Logger | undefined): V2Error {
  if (err instanceof MlflowError && !(err instanceof ModelRaisedError)) return new V2Error(err.message, err.errorCode === 'DEADLINE_EXCEEDED' ? 504 : 400);
  logger?.warn({ err }, 'the model failed on a request');
  return new V2Error(UNEXPECTED_MODEL_ERROR);
}

type V2Headers = Record<string, string | string[] | undefined>;

/** What reading a body needs of each predictor, made once. */
const bodyModels = new WeakMap<Predictor, BodyModel>();

function modelOf(predictor: Predictor): BodyModel {
  let model = bodyModels.get(predictor);
  if (!model) {
    model = bodyModel(predictor.metadata.getInputSchema(), predictor.metadata.getParamsSchema(), predictor.kind);
    bodyModels.set(predictor, model);
  }
  return model;
}

const REPOSITORY_MODEL = /^\/v2\/repository\/models\/([^/]+)\/(load|unload)$/;

/** POST /v2/repository/index and /v2/repository/models/{name}/load|unload. */
async function repositoryRoute(method: string, path: string, repository: V2Repository | undefined): Promise<V2Answer> {
  if (!repository) throw new V2Error(`No route ${path}`, 404);
  requireMethod(method, 'POST');
  if (path === '/v2/repository/index') return json(200, repository.index());
  const m = REPOSITORY_MODEL.exec(path);
  if (!m) throw new V2Error(`No route ${path}`, 404);
  const name = decode(m[1]);
  if (!repository.index().some((e) => e.name === name)) throw new V2Error(`Model ${name} not found`, 404);
  try {
    await (m[2] === 'load' ? repository.load(name) : repository.unload(name));
  } catch (err) {
    throw new V2Error(`Model ${name} failed to ${m[2]}: ${err instanceof Error ? err.message : String(err)}`, 400);
  }
  return json(200, {});
}

function requireMethod(method: string, allowed: string): void {
  if (method !== allowed && !(allowed === 'GET' && method === 'HEAD')) throw new V2Error(`Method ${method} is not allowed here; use ${allowed}`, 405);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new V2Error(`Malformed percent-encoding in '${segment}'`, 400);
  }
}

function json(status: number, value: unknown): V2Answer {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(value) };
}
