import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { ErrorCode } from '../errors.js';
import type { PredictInput } from '../flavors/flavor.js';
import { readBody, type BodyModel, type ParsedBody, type ReadBody } from './read-body.js';
import { startThread } from './start-thread.js';
import { unpack, type Packed } from './thread-transfer.js';

/**
 * Bodies larger than this are read in a worker thread. Parsing a smaller one holds the event loop
 * for a few milliseconds at most, less than handing it to a thread and back costs.
 */
export const THREAD_ABOVE_BYTES = 1 << 20;

export interface ToBodyThread {
  id: number;
  body: Uint8Array;
  format: 'json' | 'csv';
  /** The model's input schema as MLflow writes it; the thread rebuilds it. */
  schema: string | undefined;
  paramNames: string[];
  /** Where the thread posts the pieces of the values it sends (see thread-transfer.ts). */
  side: MessagePort;
}

export type FromBodyThread =
  | 'ready'
  | { id: number; ok: true; input: Packed; params?: Packed; unwrapped: boolean; fromRecords?: boolean }
  | { id: number; ok: false; code: ErrorCode; message: string }
  /** Reading threw something readBody does not turn into an answer: a bug, answered as the main thread would. */
  | { id: number; failed: string };

type Reply = Exclude<FromBodyThread, 'ready'>;

/** The model's schema and params names as the thread is sent them, computed once per model. */
const sent = new WeakMap<BodyModel, { schema: string | undefined; paramNames: string[] }>();

/**
 * Reads a large request body as readBody does, with the same answer, in a worker thread, so that
 * /ping, other requests, signals and the request deadline keep their turns meanwhile. Should the
 * thread not start, the body is read here. The body is handed over: the caller must not use it after.
 */
export async function readLargeBody(body: Buffer, format: 'json' | 'csv', model: BodyModel): Promise<ReadBody> {
  const thread = bodyThread();
  return thread.busy(async () => {
    if (!(await thread.ready)) return readBody(body, format, model);
    let about = sent.get(model);
    if (!about) {
      about = { schema: model.inputSchema?.toJson(), paramNames: [...model.paramNames] };
      sent.set(model, about);
    }
    // The body moves to the thread (the request has no further use for it) unless it shares its
    // memory with other bytes; then the thread gets a copy.
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
    const bytes = own ? body : new Uint8Array(body);
    const { port1, port2 } = new MessageChannel();
    try {
      const reply = await thread.read({ body: bytes, format, ...about, side: port2 }, [bytes.buffer as ArrayBuffer, port2]);
      if ('failed' in reply) throw new Error(reply.failed);
      if (!reply.ok) return { ok: false, code: reply.code, message: reply.message };
      const [input, params] = await unpack(reply.params ? [reply.input, reply.params] : [reply.input], port1);
      const parsed: ParsedBody = { input: input as PredictInput, unwrapped: reply.unwrapped };
      if (reply.params) parsed.params = params;
      if ('fromRecords' in reply) parsed.fromRecords = reply.fromRecords;
      return { ok: true, parsed };
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

class BodyThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
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
        p?.resolve(m);
      });
      const stop = (err: Error): void => {
        this.stopped = true;
        resolve(false);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      };
      this.worker.on('error', stop);
      this.worker.on('exit', (code) => stop(new Error(`the thread reading request bodies exited (code ${code})`)));
    });
    this.worker.unref();
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

  read(m: Omit<ToBodyThread, 'id'>, transfer: (ArrayBuffer | MessagePort)[]): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...m } satisfies ToBodyThread, transfer);
    });
  }
}
