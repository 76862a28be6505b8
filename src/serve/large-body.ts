import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { MlflowError, type ErrorCode } from '../errors.js';
import type { PredictInput } from '../flavors/flavor.js';
import { markEnforced, RefusedInput } from '../pyfunc/index.js';
import type { V2Body } from './open-inference/read-v2-body.js';
import { V2Error } from './open-inference/v2-error.js';
import { readBody, type BodyModel, type ParsedBody, type ReadBody } from './read-body.js';
import { startThread } from './start-thread.js';
import { unpack, type Packed } from './thread-transfer.js';

/**
 * Bodies larger than this are read in a worker thread. Parsing a smaller one holds the event loop
 * for a few milliseconds at most, less than handing it to a thread and back costs.
 */
export const THREAD_ABOVE_BYTES = 1 << 20;

/** How a body is read: an /invocations body in its Content-Type's format, or a V2 inference request. */
export type BodyFormat = { route: 'invocations'; format: 'json' | 'csv' } | { route: 'v2'; binaryHeader: string | string[] | undefined };

export interface ToBodyThread {
  id: number;
  body: Uint8Array;
  read: BodyFormat;
  /** The model's input schema as MLflow writes it; the thread rebuilds it. */
  schema: string | undefined;
  paramNames: string[];
  /** Long lists of strings go back as bytes (BodyModel.stringsAsBytes). */
  stringsAsBytes: boolean;
  /** Where the thread posts the pieces of the values it sends (see thread-transfer.ts). */
  side: MessagePort;
}

/** What a body read to, apart from the model's input and params: small, cloned whole. */
export type BodyAbout = Omit<ParsedBody, 'input' | 'params'> | { v2: Omit<V2Body['request'], 'params'> };

export type FromBodyThread =
  | 'ready'
  | {
      id: number;
      ok: true;
      /** The model's input, enforced against the schema (as predict would), and params when the body has them. */
      values: Packed[];
      about: BodyAbout;
      /** Schema enforcement refused the input: predict throws this, as it would have. */
      refused?: { code: ErrorCode; message: string };
    }
  /** The client's error: an /invocations code, or a V2 status. */
  | { id: number; ok: false; code: ErrorCode; status?: number; message: string }
  /** Reading threw something the reader does not turn into an answer: a bug, answered as the main thread would. */
  | { id: number; failed: string };

type Reply = Exclude<FromBodyThread, 'ready'>;

/**
 * The answer when the thread stops while reading a body (killed, out of memory): the body went to
 * it and is gone, so the client is asked to send it again. No request data is in it.
 */
export const THREAD_STOPPED = 'The server could not read the request body: the thread reading it stopped. Send the request again.';

/** The model's schema and params names as the thread is sent them, computed once per model. */
const sent = new WeakMap<BodyModel, { schema: string | undefined; paramNames: string[]; stringsAsBytes: boolean }>();

/**
 * Reads a large /invocations body as readBody does, with the same answer, in a worker thread, so
 * that /ping, other requests, signals and the request deadline keep their turns meanwhile. The
 * thread also enforces the input against the schema, as predict would (see pyfunc's
 * enforced-input.ts). Should the thread not start, the body is read here. The body is handed
 * over: the caller must not use it after.
 */
export async function readLargeBody(body: Buffer, format: 'json' | 'csv', model: BodyModel): Promise<ReadBody> {
  const read = await inThread(body, { route: 'invocations', format }, model);
  if (read === undefined) return readBody(body, format, model);
  if (read === 'stopped') return { ok: false, code: 'TEMPORARILY_UNAVAILABLE', message: THREAD_STOPPED };
  if (!read.ok) return { ok: false, code: read.code, message: read.message };
  const parsed = { ...(read.about as Omit<ParsedBody, 'input'>), input: read.input as PredictInput };
  if (read.hasParams) parsed.params = read.params;
  return { ok: true, parsed };
}

/**
 * Reads a large V2 inference request as readV2Body does, in the thread (as readLargeBody).
 * Refusals are thrown as V2Errors; `readHere` reads it on this thread should the thread not start.
 */
export async function readLargeV2Body(body: Buffer, binaryHeader: string | string[] | undefined, model: BodyModel, readHere: () => V2Body): Promise<V2Body> {
  const read = await inThread(body, { route: 'v2', binaryHeader }, model);
  if (read === undefined) return readHere();
  if (read === 'stopped') throw new V2Error(THREAD_STOPPED, 503);
  if (!read.ok) throw new V2Error(read.message, read.status);
  const about = read.about as { v2: Omit<V2Body['request'], 'params'> };
  return { request: { ...about.v2, params: read.params as V2Body['request']['params'] }, input: read.input as V2Body['input'] };
}

type ThreadRead =
  | { ok: true; input: unknown; params: unknown; hasParams: boolean; about: BodyAbout }
  | { ok: false; code: ErrorCode; status?: number; message: string };

/** The body read in the thread; undefined when the thread did not start, 'stopped' when it died reading. */
async function inThread(body: Buffer, read: BodyFormat, model: BodyModel): Promise<ThreadRead | 'stopped' | undefined> {
  const thread = bodyThread();
  return thread.busy(async () => {
    if (!(await thread.ready)) return undefined;
    let about = sent.get(model);
    if (!about) {
      about = { schema: model.inputSchema?.toJson(), paramNames: [...model.paramNames], stringsAsBytes: model.stringsAsBytes === true };
      sent.set(model, about);
    }
    // The body moves to the thread (the request has no further use for it) unless it shares its
    // memory with other bytes; then the thread gets a copy.
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
    const bytes = own ? body : new Uint8Array(body);
    const { port1, port2 } = new MessageChannel();
    try {
      const reply = await thread.read({ body: bytes, read, ...about, side: port2 }, [bytes.buffer as ArrayBuffer, port2]);
      if (reply === 'stopped') return 'stopped';
      if ('failed' in reply) throw new Error(reply.failed);
      if (!reply.ok) return reply;
      const [input, params] = await unpack(reply.values, port1);
      const schema = model.inputSchema;
      let given: unknown = input;
      if (reply.refused) given = new RefusedInput(new MlflowError(reply.refused.message, reply.refused.code));
      else if (schema && typeof input === 'object' && input !== null) markEnforced(input, schema);
      return { ok: true, input: given, params, hasParams: reply.values.length > 1, about: reply.about };
    } finally {
      port1.close();
    }
  });
}

/** The one body-reading thread of this process, started when a large body first comes. */
let shared: BodyThread | undefined;

function bodyThread(): BodyThread {
  if (!shared || shared.stopped) shared = new BodyThread();
  return shared;
}

/** The thread's worker and how many bodies it is reading, for tests that stop it mid-read. */
export function bodyThreadForTests(): { worker: Worker; reading: number } | undefined {
  return shared && !shared.stopped ? { worker: shared.worker, reading: shared.reading } : undefined;
}

class BodyThread {
  readonly worker: Worker;
  private readonly pending = new Map<number, (r: Reply | 'stopped') => void>();
  private nextId = 0;
  private users = 0;
  /** Whether the thread started; false makes bodies read on the main thread. */
  readonly ready: Promise<boolean>;
  stopped = false;

  constructor() {
    this.worker = startThread(import.meta.url, 'large-body-thread', undefined);
    this.ready = new Promise((resolve) => {
      this.worker.on('message', (m: FromBodyThread) => {
        if (m === 'ready') return resolve(true);
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.(m);
      });
      const stop = (): void => {
        this.stopped = true;
        resolve(false);
        for (const p of this.pending.values()) p('stopped');
        this.pending.clear();
      };
      this.worker.on('error', stop);
      this.worker.on('exit', stop);
    });
    this.worker.unref();
  }

  get reading(): number {
    return this.pending.size;
  }

  /**
   * Runs `work` with the thread holding the process open; an idle thread does not keep a server
   * that is shutting down alive.
   */
  async busy<T>(work: () => Promise<T>): Promise<T> {
    if (this.users++ === 0) this.worker.ref();
    try {
      return await work();
    } finally {
      if (--this.users === 0) this.worker.unref();
    }
  }

  read(m: Omit<ToBodyThread, 'id'>, transfer: (ArrayBuffer | MessagePort)[]): Promise<Reply | 'stopped'> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      if (this.stopped) return resolve('stopped');
      this.pending.set(id, resolve);
      this.worker.postMessage({ id, ...m } satisfies ToBodyThread, transfer);
    });
  }
}
