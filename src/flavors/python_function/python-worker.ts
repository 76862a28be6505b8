import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { httpStatusOf, MlflowError, type ErrorCode } from '../../errors.js';
import { encodeMessage, MessageReader, type WireMessage } from './wire.js';

/** The worker program shipped in the package's python/ folder (same depth from src/ and dist/). */
export const WORKER_SCRIPT = fileURLToPath(new URL('../../../python/mlflow_ts_worker.py', import.meta.url));

export interface WorkerSpec {
  /** The Python interpreter to run the worker with. */
  python: string;
  /** Absolute path of the model directory. */
  modelDir: string;
  /** The MLmodel file's flavors section (the worker reads python_function and sklearn). */
  flavors: Record<string, unknown>;
  mlflowVersion?: string;
  modelConfig?: Record<string, unknown>;
  loadTimeoutMs: number;
  /** Where the worker's stderr lines go; default process.stderr with a prefix naming the pid. */
  onStderr?: (line: string, pid: number | undefined) => void;
}

interface Pending {
  resolve(m: WireMessage): void;
  reject(e: unknown): void;
  timer?: NodeJS.Timeout;
}

const STDERR_TAIL = 20;

function defaultStderr(line: string, pid: number | undefined): void {
  process.stderr.write(`[mlflow-ts python worker ${pid ?? '?'}] ${line}\n`);
}

/** The MlflowError a failed reply carries; a code we do not know (from a Python library) becomes INTERNAL_ERROR. */
export function replyError(header: Record<string, unknown>): MlflowError {
  const err = (header.error ?? {}) as { error_code?: string; message?: string };
  const code = err.error_code && httpStatusOf(err.error_code as ErrorCode) !== undefined ? (err.error_code as ErrorCode) : 'INTERNAL_ERROR';
  return new MlflowError(err.message ?? 'The Python worker failed without a message', code);
}

/**
 * One Python child process holding one loaded model. It answers one request at a time; the pool
 * decides who asks. A crash or a timeout rejects the pending request with
 * TEMPORARILY_UNAVAILABLE and leaves the worker dead (its exit listeners fire).
 */
export class PythonWorker {
  private readonly child: ChildProcess;
  private readonly reader = new MessageReader();
  private readonly stderrTail: string[] = [];
  private pending: Pending | undefined;
  private killed = false;
  private readonly exitListeners: (() => void)[] = [];
  private stderrRest = '';
  private loaded = false;
  /** Why it exited, once it has. */
  private exitError: MlflowError | undefined;

  private get exited(): boolean {
    return this.exitError !== undefined;
  }

  private constructor(private readonly spec: WorkerSpec) {
    this.child = spawn(spec.python, [WORKER_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (text: string) => this.onStderr(text));
    // A write to a dead worker fails with EPIPE; the exit handler reports it.
    this.child.stdin!.on('error', () => {});
    this.child.on('error', (e) => this.onExit(this.describeSpawnError(e)));
    this.child.on('exit', (code, signal) => this.onExit(this.describeExit(code, signal)));
    // An idle worker must not keep Node running: a predictor nobody closed ends with the process
    // (the worker then reads EOF and exits). A request in flight holds its timer, which is ref'd.
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
  }

  /** Starts a worker and loads the model in it; load errors reject here, naming the cause. */
  static async start(spec: WorkerSpec): Promise<PythonWorker> {
    const w = new PythonWorker(spec);
    const load = {
      op: 'load',
      model_dir: spec.modelDir,
      flavors: spec.flavors,
      mlflow_version: spec.mlflowVersion ?? null,
      model_config: spec.modelConfig ?? null,
    };
    let reply: WireMessage;
    try {
      reply = await w.request(await encodeMessage(load), spec.loadTimeoutMs, 'loading the model');
    } catch (e) {
      w.kill();
      if (e instanceof MlflowError && e.errorCode === 'TEMPORARILY_UNAVAILABLE') {
        throw new MlflowError(`Loading the model in ${spec.modelDir} with ${spec.python} failed: ${e.message}`, 'INTERNAL_ERROR');
      }
      throw e;
    }
    if (reply.header.ok !== true) {
      w.kill();
      const err = replyError(reply.header);
      throw new MlflowError(`Loading the python_function model in ${spec.modelDir} failed: ${err.message}`, err.errorCode);
    }
    w.loaded = true;
    return w;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** False once the worker exited or was told to die: it must get no more requests. */
  get alive(): boolean {
    return !this.exited && !this.killed;
  }

  onceExit(listener: () => void): void {
    if (this.exited) listener();
    else this.exitListeners.push(listener);
  }

  /** Sends one message (encodeMessage's buffers) and waits for the reply, at most timeoutMs (then the worker is killed). */
  request(message: readonly Uint8Array[], timeoutMs: number, what = 'predicting', signal?: AbortSignal): Promise<WireMessage> {
    if (!this.alive) {
      // it may have died before the first request was sent (an interpreter that does not start): say why
      return Promise.reject(this.exitError ?? new MlflowError(`The Python worker (pid ${this.pid}) has exited`, 'TEMPORARILY_UNAVAILABLE'));
    }
    if (this.pending) throw new MlflowError('A Python worker takes one request at a time', 'INVALID_STATE');
    return new Promise<WireMessage>((resolve, reject) => {
      const p: Pending = { resolve, reject };
      p.timer = setTimeout(() => {
        this.fail(new MlflowError(
          `The Python worker (pid ${this.pid}) did not answer within ${Math.ceil(timeoutMs / 100) / 10} s while ${what}; it was stopped and is being replaced`,
          'TEMPORARILY_UNAVAILABLE',
        ));
        this.kill();
      }, timeoutMs);
      this.pending = p;
      // An aborted call cannot be taken back from Python mid-predict: the worker is killed.
      if (signal) {
        const onAbort = (): void => {
          this.fail(signal.reason);
          this.kill();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        const settle = (): void => signal.removeEventListener('abort', onAbort);
        p.resolve = (m) => {
          settle();
          resolve(m);
        };
        p.reject = (e) => {
          settle();
          reject(e);
        };
      }
      const stdin = this.child.stdin!;
      stdin.cork();
      for (const part of message) stdin.write(part);
      stdin.uncork();
    });
  }

  /** Ends the worker: closing its input lets it exit on its own; SIGKILL after graceMs. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.onceExit(resolve));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.kill(), graceMs);
    await done;
    clearTimeout(timer);
  }

  kill(): void {
    this.killed = true;
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private onData(chunk: Buffer): void {
    let messages: WireMessage[];
    try {
      messages = this.reader.push(chunk);
    } catch (e) {
      this.fail(new MlflowError(`The Python worker (pid ${this.pid}) sent a malformed message: ${(e as Error).message}`, 'TEMPORARILY_UNAVAILABLE'));
      this.kill();
      return;
    }
    for (const m of messages) {
      const p = this.pending;
      if (!p) continue;
      this.pending = undefined;
      clearTimeout(p.timer);
      p.resolve(m);
    }
  }

  private onStderr(text: string): void {
    const lines = (this.stderrRest + text).split('\n');
    this.stderrRest = lines.pop() ?? '';
    const sink = this.spec.onStderr ?? defaultStderr;
    for (const line of lines) {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
      sink(line, this.pid);
    }
  }

  private fail(e: MlflowError): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.reject(e);
  }

  private onExit(reason: string): void {
    if (this.exited) return;
    if (this.stderrRest) this.onStderr('\n');
    // Once the model is loaded, the stderr tail stays in the server's log (every line went to the
    // sink as it came): it may hold an earlier request's data, which must never reach whichever
    // client is waiting now. A worker that dies while loading has seen no request data, and its
    // tail is what says why it died.
    const tail = !this.loaded && this.stderrTail.length ? `; its last stderr lines: ${this.stderrTail.slice(-5).join(' | ')}` : '';
    this.exitError = new MlflowError(`${reason}${tail}`, 'TEMPORARILY_UNAVAILABLE');
    this.fail(this.exitError);
    for (const l of this.exitListeners.splice(0)) l();
  }

  private describeExit(code: number | null, signal: NodeJS.Signals | null): string {
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    return `The Python worker (pid ${this.pid}) ${how} before answering; it is being replaced, retry the request`;
  }

  private describeSpawnError(e: Error): string {
    return `The Python interpreter '${this.spec.python}' could not be started (${e.message}); ` +
      'set MLFLOW_TS_PYTHON to a Python 3 with numpy and pandas';
  }
}
