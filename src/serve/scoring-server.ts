import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { MlflowError } from '../errors.js';
import { loadInputExample } from '../model/input-example.js';
import type { Predictor } from '../pyfunc/index.js';
import { MLFLOW_COMPAT_VERSION } from '../version.js';
import { acceptsGzip, BodyEncodingError, compressAnswer, decodeRequestBody } from './body-encoding.js';
import { accessLog } from './access-log.js';
import { BodyBytes } from './body-bytes.js';
import { addCorsHeaders, PREFLIGHT_HEADERS, type CorsOrigins } from './cors.js';
import { errorResponse, JSON_TYPE } from './invocations.js';
import { createServeLogger } from './logger.js';
import { ServeMetrics } from './metrics.js';
import type { RouteSeries } from './request-metrics.js';
import { BodyRequest } from './small-body.js';
import { newRequestId } from './request-id.js';
import { MODEL_PAGE_SCRIPT, modelPageHtml } from './model-page.js';
import { openApiDocument, type DescribedModel } from './openapi.js';
import { ModelRepository } from './model-repository.js';
import type { Generation, ModelSlot } from './model-slot.js';
import { handleV2, v2Route, type V2Models } from './open-inference/index.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT_SECONDS } from './defaults.js';

export interface ScoringServerOptions {
  /** Seconds a request may take, body upload included, before it gets a 504 (MLflow's default: 60). */
  timeoutSeconds?: number;
  /** Largest request body accepted; a larger one gets a 413. */
  maxBodyBytes?: number;
  logger?: Logger;
  /** The model's name in metrics (the `model` label) and in the V2 routes; default 'model'. */
  modelName?: string;
  /** The registry version the model came from, which V2's /versions/{version} routes match. */
  modelVersion?: string;
  /** How /metrics gets its text; default this server's own registry (`-w N` aggregates workers). */
  metricsText?: (metrics: ServeMetrics) => () => Promise<string>;
  /** Origins allowed to call from a browser (CORS): '*' or exact origins; none by default. */
  corsOrigins?: CorsOrigins;
  /** Seconds the model took to load, for the mlflow_ts_model_load_seconds gauge. */
  loadSeconds?: number;
}

export interface ScoringServer {
  /** Starts listening (port 0 picks a free port) and resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting connections, lets in-flight requests finish, then closes the predictor. */
  close(): Promise<void>;
  address(): AddressInfo | null;
  readonly server: Server;
  readonly metrics: ServeMetrics;
}

export { DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT_SECONDS };

// Constant answers, built once: the hot path should not rebuild them per request.
const PING_BODY = '\n';
const NOT_FOUND = '{"detail":"Not Found"}';
const METHOD_NOT_ALLOWED = '{"detail":"Method Not Allowed"}';

/**
 * MLflow's scoring server (GET /ping, /health, /version; POST /invocations) on node:http, with
 * the Open Inference Protocol (/v2) and, for several models, /models/{name}/invocations beside it.
 * It knows Predictors and the wire formats, never which flavor sits behind a Predictor.
 */
export function createScoringServer(served: Predictor | ModelRepository, options: ScoringServerOptions = {}): ScoringServer {
  const timeoutMs = Math.max(0.001, options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const logger = options.logger ?? createServeLogger();
  // Checked once: below info no per-request log line is even built.
  const logAccess = accessLog(logger);
  const repo = served instanceof ModelRepository
    ? served
    : ModelRepository.ofPredictor(served, options.modelName ?? 'model', options.modelVersion, logger);
  const main = repo.first;
  const metrics = new ServeMetrics(main.name, () => repo.list());
  /** The default model's /invocations series (the hot route), found once. */
  let mainInvocations: RouteSeries | undefined;
  /** Other paths' routes and series (V2's /infer among them), each found once: the models served do not change. */
  const pathSeries = new Map<string, { route: string; series: RouteSeries }>();
  for (const slot of repo.list()) {
    slot.onEvent = (event) => metrics.modelEvent(slot.name, event);
    if (slot.loadSeconds !== undefined) metrics.modelLoaded(slot.name, slot.loadSeconds);
  }
  const v2Models: V2Models = {
    find: (name) => {
      const slot = repo.find(name);
      return slot?.predictor ? slot : undefined;
    },
    list: () => repo.list().filter((s) => s.predictor !== undefined),
    repository: {
      index: () => repo.list().map((s) => ({ name: s.name, ...(s.version === undefined ? {} : { version: s.version }), state: s.state, reason: s.reason })),
      load: (name) => repoSlot(name).load(),
      unload: (name) => repoSlot(name).unload(),
    },
  };
  const corsOrigins = options.corsOrigins ?? [];
  const metricsText = options.metricsText?.(metrics) ?? (() => metrics.text());
  if (options.loadSeconds !== undefined) metrics.modelLoaded(main.name, options.loadSeconds);

  const examples = new WeakMap<Predictor, Promise<unknown>>();
  /** Each loaded model's signature and input example, for /openapi.json and the page. */
  async function described(): Promise<(DescribedModel & { slot: ModelSlot; predictor: Predictor })[]> {
    const loaded = repo.list().filter((s) => s.predictor !== undefined);
    return Promise.all(loaded.map(async (slot) => {
      const predictor = slot.predictor as Predictor;
      let example = examples.get(predictor);
      if (!example) {
        const dir = predictor.modelDir;
        example = dir === undefined ? Promise.resolve(undefined) : loadInputExample(dir, predictor.metadata).then((e) => e?.servingInput, () => undefined);
        examples.set(predictor, example);
      }
      return {
        slot,
        predictor,
        name: slot.name,
        version: slot.version,
        inputs: predictor.metadata.getInputSchema(),
        outputs: predictor.metadata.getOutputSchema(),
        servingInput: await example,
        isDefault: slot === main,
      };
    }));
  }

  function page(res: Exchange, path: string, headOnly: boolean): void {
    if (path === '/_page/app.js') {
      return finishHead(res, { status: 200, contentType: 'text/javascript; charset=utf-8', body: MODEL_PAGE_SCRIPT }, headOnly);
    }
    described().then(
      (models) => {
        if (path === '/openapi.json') return finishHead(res, { status: 200, contentType: JSON_TYPE, body: JSON.stringify(openApiDocument(models)) }, headOnly);
        const html = modelPageHtml(models.map((m) => ({
          name: m.name,
          version: m.version,
          flavor: m.predictor.flavor,
          flavors: Object.keys(m.predictor.metadata.flavors),
          inputs: m.inputs?.toDict(),
          outputs: m.outputs?.toDict(),
          servingInput: m.servingInput,
        })));
        finishHead(res, { status: 200, contentType: 'text/html; charset=utf-8', body: html, headers: { 'content-security-policy': PAGE_CSP } }, headOnly);
      },
      (err: unknown) => {
        logger.error({ err }, 'describing the models failed');
        finish(res, errorResponse('INTERNAL_ERROR', 'The server failed to describe its models'));
      },
    );
  }

  /** A HEAD request gets GET's headers (its Content-Length too) and no body. */
  function finishHead(res: Exchange, answer: Answer, headOnly: boolean): void {
    if (headOnly) write(res, answer, undefined, true);
    else finish(res, answer);
  }

  function repoSlot(name: string): ModelSlot {
    const slot = repo.find(name);
    if (!slot) throw new MlflowError(`Model ${name} not found`, 'RESOURCE_DOES_NOT_EXIST');
    return slot;
  }
  let closing = false;
  /** While closing: when the last connection or request came in. */
  let lastActivity = 0;
  let closed: Promise<void> | undefined;

  function finish(res: Exchange, answer: Answer): void {
    if (res.headersSent || res.destroyed) return;
    if (answer.status >= 500) logger.error({ status: answer.status, body: String(answer.body).slice(0, 1000) }, 'request failed');
    const size = typeof answer.body === 'string' ? Buffer.byteLength(answer.body) : answer.body.length;
    if (size >= 1024 && acceptsGzip(res.req.headers['accept-encoding'])) {
      compressAnswer(answer.body).then(
        (zipped) => write(res, answer, zipped),
        () => write(res, answer, undefined),
      );
      return;
    }
    write(res, answer, undefined);
  }

  function write(res: Exchange, answer: Answer, zipped: Buffer | undefined, headOnly = false): void {
    if (res.headersSent || res.destroyed) return;
    const body = zipped ?? answer.body;
    const head = res.head;
    res.bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    head.push('content-length', res.bytes);
    if (answer.contentType !== undefined) head.push('content-type', answer.contentType);
    if (zipped) head.push('content-encoding', 'gzip', 'vary', 'accept-encoding');
    if (answer.headers) for (const [k, v] of Object.entries(answer.headers)) head.push(k, v);
    if (closing) head.push('connection', 'close');
    res.writeHead(answer.status, head as string[]);
    res.end(headOnly ? undefined : body);
  }

  function sendConstant(res: Exchange, status: number, body: string, headOnly: boolean): void {
    res.bytes = Buffer.byteLength(body);
    res.head.push('content-type', JSON_TYPE, 'content-length', res.bytes);
    if (closing) res.head.push('connection', 'close');
    res.writeHead(status, res.head as string[]);
    res.end(headOnly ? undefined : body);
  }

  // Deadlines without a timer per request: requests enter this Map in arrival order, so a
  // sweep checks only its head, and a request costs one Map insert and one delete.
  const deadlines = new Map<Exchange, number>();
  const sweepMs = Math.min(1000, Math.max(10, timeoutMs / 10));
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [res, deadline] of deadlines) {
      if (deadline > now) break;
      release(res);
      logger.warn({ timeoutMs }, 'request timed out');
      finish(res, errorResponse('DEADLINE_EXCEEDED', `The request took longer than the ${timeoutMs / 1000} s timeout`, 504));
      res.req.destroy();
    }
  }, sweepMs);
  sweeper.unref();

  function release(res: Exchange): void {
    deadlines.delete(res);
  }

  /**
   * A request's end, answered or not (the client may have gone): metrics and the access log.
   * One listener for every request, reading what the request carries: no closure per request.
   */
  function onClose(this: Exchange): void {
    deadlines.delete(this);
    const status = this.headersSent ? this.statusCode : 0;
    const series = this.series;
    const elapsed = performance.now() - this.began;
    series.record(status, elapsed / 1000);
    if (series.inFlight) series.inFlight.n--;
    logAccess?.(this.requestId, this.method, this.logPath, status, Math.round(elapsed * 1000) / 1000, this.bytes);
  }

  /**
   * Reads a request body within the size limit and the deadline, inflates it as its
   * Content-Encoding says, and answers with what `handle` makes of it.
   */
  function withBody(req: IncomingMessage, res: Exchange, handle: (body: Buffer) => Promise<Answer>): void {
    deadlines.set(res, Date.now() + timeoutMs);

    const declared = Number(req.headers['content-length']);
    if (declared > maxBodyBytes) return rejectTooLarge(req, res);
    const gathered = new BodyBytes(declared);
    req.on('data', (chunk: Buffer) => {
      if (gathered.size + chunk.length > maxBodyBytes) {
        req.removeAllListeners('data');
        req.removeAllListeners('end');
        rejectTooLarge(req, res);
        return;
      }
      gathered.add(chunk);
    });
    req.on('end', () => {
      const raw = gathered.bytes();
      const encoding = req.headers['content-encoding'];
      const body = encoding === undefined ? raw : raw.then((bytes) => decodeRequestBody(bytes, encoding, maxBodyBytes));
      body.then(handle).then((answer) => finish(res, answer), (err: unknown) => failed(res, err));
    });
  }

  /** The answer to a request whose handling threw. */
  function failed(res: Exchange, err: unknown): void {
    if (err instanceof BodyEncodingError) {
      const code = err.status === 413 ? 'REQUEST_LIMIT_EXCEEDED' : 'BAD_REQUEST';
      return finish(res, { ...errorResponse(code, err.message, err.status) });
    }
    if (err instanceof MlflowError) return finish(res, errorResponse(err.errorCode, err.message));
    logger.error({ err }, 'request failed');
    finish(res, errorResponse('INTERNAL_ERROR', 'The scoring server failed to answer the request'));
  }

  function invocations(req: BodyRequest, res: Exchange, slot: ModelSlot): void {
    if (!req.isSmall(maxBodyBytes)) {
      withBody(req, res, (body) => slot.use((g) => g.invoke(body, req.headers['content-type'])));
      return;
    }
    // The small path: the body is gathered by listeners shared by every request, then scored
    // with one promise (predict's); the request's own state rides on the request and response.
    deadlines.set(res, Date.now() + timeoutMs);
    res.slot = slot;
    req.exchange = res;
    req.readSmall(scoreSmall);
  }

  function inferSmall(req: BodyRequest, body: Buffer): void {
    const res = req.exchange as Exchange;
    handleV2('POST', res.path, req.headers, body, v2Models, logger).then((answer) => finish(res, answer), (err: unknown) => failed(res, err));
  }

  function scoreSmall(req: BodyRequest, body: Buffer): void {
    const res = req.exchange as Exchange;
    const slot = res.slot as ModelSlot;
    let g: Generation;
    try {
      g = slot.acquire();
    } catch (err) {
      return failed(res, err);
    }
    g.invoke(body, req.headers['content-type']).then(
      (answer) => {
        slot.release(g);
        finish(res, answer);
      },
      (err: unknown) => {
        slot.release(g);
        failed(res, err);
      },
    );
  }

  /** The Open Inference Protocol routes; a GET has no body to wait for. */
  function v2(req: BodyRequest, res: Exchange, method: string, path: string): void {
    if (method === 'POST') {
      if (!req.isSmall(maxBodyBytes)) {
        withBody(req, res, (body) => handleV2(method, path, req.headers, body, v2Models, logger));
        return;
      }
      deadlines.set(res, Date.now() + timeoutMs);
      res.path = path;
      req.exchange = res;
      req.readSmall(inferSmall);
      return;
    }
    handleV2(method, path, req.headers, EMPTY, v2Models, logger).then(
      (answer) => finishHead(res, answer, method === 'HEAD'),
      (err: unknown) => {
        logger.error({ err }, 'request failed');
        finish(res, { status: 500, contentType: JSON_TYPE, body: '{"error":"The server failed to answer the request"}' });
      },
    );
  }

  function rejectTooLarge(req: IncomingMessage, res: Exchange): void {
    const answer = errorResponse(
      'REQUEST_LIMIT_EXCEEDED',
      `The request body is larger than the limit of ${maxBodyBytes} bytes`,
      413,
    );
    // The rest of the upload is not read: answer, then drop the connection.
    res.bytes = Buffer.byteLength(answer.body);
    res.head.push('content-type', answer.contentType, 'content-length', res.bytes, 'connection', 'close');
    res.writeHead(413, res.head as string[]);
    res.end(answer.body, () => req.destroy());
  }

  function onRequest(request: IncomingMessage, response: ServerResponse): void {
    const req = request as BodyRequest;
    const res = response as Exchange;
    if (closing) lastActivity = Date.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    observe(req, res, method, path);
    if (corsOrigins.length > 0 && addCorsHeaders(req, res.head, corsOrigins)) {
      res.head.push(...PREFLIGHT_HEADERS);
      res.writeHead(204, res.head as string[]);
      res.end();
      return;
    }
    if (path === '/invocations') {
      if (method === 'POST') return invocations(req, res, main);
      return sendConstant(res, 405, METHOD_NOT_ALLOWED, method === 'HEAD');
    }
    const named = MODEL_INVOCATIONS.exec(path);
    if (named) {
      const slot = repo.find(safeDecode(named[1]));
      if (!slot) {
        const answer = errorResponse('RESOURCE_DOES_NOT_EXIST', `Model '${safeDecode(named[1]).slice(0, 200)}' is not served here`);
        return finish(res, answer);
      }
      if (method === 'POST') return invocations(req, res, slot);
      return sendConstant(res, 405, METHOD_NOT_ALLOWED, method === 'HEAD');
    }
    if (path === '/v2' || path.startsWith('/v2/')) return v2(req, res, method, path);
    if ((path === '/' || path === '/openapi.json' || path === '/_page/app.js') && (method === 'GET' || method === 'HEAD')) {
      return page(res, path, method === 'HEAD');
    }
    if (path === '/metrics' && (method === 'GET' || method === 'HEAD')) {
      metricsText().then((text) => {
        res.bytes = Buffer.byteLength(text);
        res.head.push('content-type', metrics.contentType, 'content-length', res.bytes);
        res.writeHead(200, res.head as string[]);
        res.end(method === 'HEAD' ? undefined : text);
      }, () => sendConstant(res, 500, '{"detail":"metrics failed"}', false));
      return;
    }
    if (path === '/ping' || path === '/health' || path === '/version') {
      if (method !== 'GET' && method !== 'HEAD') return sendConstant(res, 405, METHOD_NOT_ALLOWED, false);
      return sendConstant(res, 200, path === '/version' ? MLFLOW_COMPAT_VERSION : PING_BODY, method === 'HEAD');
    }
    sendConstant(res, 404, NOT_FOUND, method === 'HEAD');
  }

  /**
   * Waits until nothing is in flight and no connection or request came for QUIET_MS, at most the
   * request timeout. Requests whose bytes arrived before the signal may still sit in the accept
   * queue or unread in a socket while a predict held the event loop; closing the listener or the
   * "idle" connections before they are read would reset them.
   */
  async function settle(): Promise<void> {
    const giveUp = Date.now() + timeoutMs;
    const busy = (): boolean => deadlines.size > 0 || Date.now() - lastActivity < QUIET_MS;
    for (;;) {
      while (Date.now() < giveUp && busy()) await new Promise((r) => setTimeout(r, QUIET_MS / 4));
      // A timer that fires just after a predict held the event loop runs before that turn's poll
      // phase has accepted and read what arrived meanwhile, so "quiet" is only believed after
      // one poll phase has run (setImmediate comes after it).
      await new Promise((r) => setImmediate(r));
      if (Date.now() >= giveUp || !busy()) return;
    }
  }

  /**
   * Metrics and the access log for one request; its X-Request-ID (the client's, else a new one)
   * is echoed in the answer and names it in the log.
   */
  /** The model a request is for, as a metrics label: only names served here (bounded cardinality). */
  function modelOfPath(path: string): string {
    const m = MODEL_IN_PATH.exec(path + '/');
    if (!m) return main.name;
    const name = safeDecode(m[1]);
    return repo.find(name) ? name : 'unknown';
  }

  function observe(req: BodyRequest, res: Exchange, method: string, path: string): void {
    res.began = performance.now();
    // Node has built req.headers already (its parser reads Expect).
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : newRequestId();
    res.requestId = requestId;
    // Every answer's headers start here (writeHead with one array: no per-header setHeader).
    res.head = ['x-request-id', requestId];
    let route: string;
    let series: RouteSeries;
    if (path === '/invocations') {
      route = path;
      series = mainInvocations ??= metrics.series(path, main.name);
    } else {
      let known = pathSeries.get(path);
      if (known === undefined) {
        const kind = KNOWN_ROUTES.has(path) ? path : MODEL_INVOCATIONS.test(path) ? '/models/{name}/invocations' : (v2Route(path) ?? 'other');
        const model = modelOfPath(path);
        known = { route: kind, series: metrics.series(kind, model) };
        // Only the routes of models served here: a client's made-up paths are not kept.
        if (kind !== 'other' && model !== 'unknown' && pathSeries.size < MAX_KNOWN_PATHS) pathSeries.set(path, known);
      }
      route = known.route;
      series = known.series;
    }
    if (series.inFlight) series.inFlight.n++;
    res.series = series;
    res.method = method;
    res.logPath = route === 'other' ? path.slice(0, 200) : path;
    res.on('close', onClose);
  }

  async function shutDown(): Promise<void> {
    closing = true;
    lastActivity = Date.now();
    logger.info({ inFlight: deadlines.size }, 'scoring server shutting down');
    await settle();
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    await settle();
    clearInterval(sweeper);
    server.closeAllConnections();
    await stopped;
    await repo.close();
    logger.info('scoring server stopped');
  }

  // The request and response classes carry each request's state (see Exchange, BodyRequest).
  const server = createServer({ IncomingMessage: BodyRequest, ServerResponse: Exchange }, onRequest) as unknown as Server;
  server.on('connection', () => {
    if (closing) lastActivity = Date.now();
  });
  // `Expect: 100-continue`: refuse an announced oversized body before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!(Number(req.headers['content-length']) > maxBodyBytes)) res.writeContinue();
    onRequest(req, res);
  });
  // A client error (malformed HTTP) closes that one connection and nothing else.
  server.on('clientError', (err, socket) => {
    logger.debug({ err: err.message }, 'malformed HTTP request');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  return {
    server,
    listen(port = 5000, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          logger.info({ host: address.address, port: address.port, models: repo.list().map((s) => ({ name: s.name, flavor: s.predictor?.flavor })) }, 'scoring server listening');
          // Whoever started the server may be waiting for this line: it does not wait for a flush.
          logger.flush();
          resolve(address);
        });
      });
    },
    close() {
      return (closed ??= shutDown());
    },
    metrics,
    address() {
      const a = server.address();
      return a !== null && typeof a === 'object' ? a : null;
    },
  };
}

/**
 * The server's response object, carrying what its request's end needs (metrics series, access
 * log fields, bytes answered) and the answer's first headers, so that no closure is made per
 * request and every answer is written with one writeHead.
 */
class Exchange extends ServerResponse<BodyRequest> {
  began = 0;
  requestId = '';
  method = '';
  /** The request's path (a small V2 body's handler needs it). */
  path = '';
  logPath = '';
  bytes = 0;
  head: (string | number)[] = [];
  series!: RouteSeries;
  slot: ModelSlot | undefined;
}

/** An answer of any route, ready to write. */
interface Answer {
  readonly status: number;
  readonly contentType?: string;
  readonly body: string | Buffer;
  readonly headers?: Record<string, string>;
}

const EMPTY = Buffer.alloc(0);
/** The page runs only its own script, and talks only to this server. */
const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'";
const MODEL_INVOCATIONS = /^\/models\/([^/]+)\/invocations$/;
const MODEL_IN_PATH = /^(?:\/v2)?\/models\/([^/]+)\//;
const KNOWN_ROUTES = new Set(['/invocations', '/ping', '/health', '/version', '/metrics', '/', '/openapi.json', '/_page/app.js']);
/** Paths whose route and series are kept (a path names a served model, but its version segment is the client's). */
const MAX_KNOWN_PATHS = 256;
/** A client's request id is echoed only when it is short printable ASCII (no header injection). */
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;
/** How long the server must see nothing new before a shutdown closes connections. */
const QUIET_MS = 200;

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
