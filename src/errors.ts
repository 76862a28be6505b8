/**
 * The one error class of mlflow-ts. It carries MLflow's `error_code` so the scoring server and
 * the REST client can speak MLflow's protocol, and a message that names the file, field or column.
 */
export type ErrorCode =
  | 'INTERNAL_ERROR'
  | 'BAD_REQUEST'
  | 'INVALID_PARAMETER_VALUE'
  | 'INVALID_STATE'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'MALFORMED_REQUEST'
  | 'NOT_IMPLEMENTED'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'ENDPOINT_NOT_FOUND';

/** HTTP status for each code, as MLflow's server maps them (mlflow/protos/databricks.proto). */
const HTTP_STATUS: Record<ErrorCode, number> = {
  INTERNAL_ERROR: 500,
  BAD_REQUEST: 400,
  INVALID_PARAMETER_VALUE: 400,
  INVALID_STATE: 400,
  MALFORMED_REQUEST: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_ALREADY_EXISTS: 400,
  NOT_IMPLEMENTED: 501,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  REQUEST_LIMIT_EXCEEDED: 429,
  ENDPOINT_NOT_FOUND: 404,
};

export class MlflowError extends Error {
  readonly errorCode: ErrorCode;

  constructor(message: string, errorCode: ErrorCode = 'INTERNAL_ERROR', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MlflowError';
    this.errorCode = errorCode;
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.errorCode];
  }

  /** The JSON body MLflow sends with an error. */
  toJSON(): { error_code: ErrorCode; message: string } {
    return { error_code: this.errorCode, message: this.message };
  }
}

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/**
 * How a native flavor says "this model is valid, but I cannot score it": a class, attribute
 * value, layer, op or stage it does not implement. Throw this (never a plain MlflowError) for
 * exactly that case, with a message naming what is refused (e.g. `model.pkl: class
 * sklearn.cross_decomposition.PLSRegression is not supported natively`); leave out advice about
 * `--runtime`, which loadPredictor adds. With `--runtime auto`, loadPredictor then loads the model
 * with the Python bridge and prints the message as one warning line; with `--runtime native` the
 * error reaches the user. A corrupt or truncated file is NOT this error: throw a plain MlflowError
 * (INVALID_PARAMETER_VALUE, naming the file and byte offset) so the bridge is never asked to load it.
 */
export class NotSupportedNativelyError extends MlflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'NOT_IMPLEMENTED', options);
    this.name = 'NotSupportedNativelyError';
  }
}

/**
 * A refusal the Python bridge may take: NotSupportedNativelyError, or any MlflowError with
 * NOT_IMPLEMENTED, the code every native flavor (spark, h2o, xgboost, lightgbm...) uses to name
 * a stage, algorithm or setting it does not implement. Only loadPredictor's load step asks.
 */
export function isNotSupportedNatively(e: unknown): e is MlflowError {
  return e instanceof NotSupportedNativelyError || (e instanceof MlflowError && e.errorCode === 'NOT_IMPLEMENTED');
}

/**
 * An error the model itself raised while scoring (sklearn's ValueError on NaN or on an empty
 * input, say), as opposed to one of MLflow's checks. MLflow's scoring server answers such an
 * error BAD_REQUEST with a generic message; the model's own message, which may quote the data,
 * is for the server's log. Library callers see the model's message.
 */
export class ModelRaisedError extends MlflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'BAD_REQUEST', options);
    this.name = 'ModelRaisedError';
  }
}
