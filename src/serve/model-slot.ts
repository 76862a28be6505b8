import type { Logger } from 'pino';
import { MlflowError } from '../errors.js';
import type { Predictor } from '../pyfunc/index.js';
import { batchingPredictor } from './batching.js';
import { createInvocationHandler, type ScoringResponse } from './invocations.js';
import type { ServedModelConfig } from './serve-config.js';

/** One loaded version of a model, as requests use it. */
export interface Generation {
  readonly predictor: Predictor;
  /** The registry version it was loaded from (models:/ URIs), else undefined. */
  readonly version?: string;
  /** MLflow's POST /invocations for this version. */
  readonly invoke: (body: Buffer, contentType: string | undefined) => Promise<ScoringResponse>;
}

/** The states of the V2 model-repository extension. */
export type SlotState = 'LOADING' | 'READY' | 'UNAVAILABLE' | 'UNLOADING';

/** What happened to a slot, for metrics. */
export type SlotEvent =
  | { readonly kind: 'loaded'; readonly seconds: number }
  | { readonly kind: 'swapped' }
  | { readonly kind: 'batch'; readonly requests: number; readonly rows: number };

/** How a slot loads a model and learns which registry version a URI names now. */
export interface SlotLoader {
  load(uri: string, config: ServedModelConfig): Promise<Predictor>;
  /** The version a registry URI names now (models:/name@alias -> '7'); undefined for other URIs. */
  resolveVersion(uri: string): Promise<string | undefined>;
}

interface Live extends Generation {
  inFlight: number;
  retired: boolean;
}

/**
 * A named model that can be loaded, swapped for a new version and unloaded while it serves.
 * A swap never drops a request: the new version takes the requests that arrive after it is
 * loaded, the old one finishes those it has, then is closed.
 */
export class ModelSlot {
  state: SlotState = 'UNAVAILABLE';
  reason = 'not loaded';
  private live: Live | undefined;
  private loading: Promise<void> | undefined;
  private swaps = 0;
  /** Seconds the served version took to load. */
  loadSeconds: number | undefined;
  /** Hears loads, swaps and batches (the server's metrics). */
  onEvent: ((event: SlotEvent) => void) | undefined;

  constructor(
    readonly config: ServedModelConfig,
    private readonly loader: SlotLoader,
    private readonly logger: Logger,
  ) {}

  get name(): string {
    return this.config.name;
  }

  get version(): string | undefined {
    return this.live?.version;
  }

  get predictor(): Predictor | undefined {
    return this.live?.predictor;
  }

  /** How many times a new version replaced a served one. */
  get swapCount(): number {
    return this.swaps;
  }

  /** Serves an already loaded predictor (a server made from one Predictor). */
  serve(predictor: Predictor, version: string | undefined): void {
    this.live = { predictor, version, invoke: createInvocationHandler(predictor, this.logger), inFlight: 0, retired: false };
    this.state = 'READY';
    this.reason = '';
  }

  /** Runs `fn` on the version being served, which is not closed before `fn` settles. */
  async use<T>(fn: (g: Generation) => Promise<T>): Promise<T> {
    const g = this.acquire();
    try {
      return await fn(g);
    } finally {
      this.release(g);
    }
  }

  /**
   * The version being served, kept open until release(g): use() without a promise of its own,
   * for the server's small-request path.
   */
  acquire(): Generation {
    const g = this.live;
    if (!g) throw new MlflowError(`Model '${this.name}' is not loaded (${this.reason})`, 'RESOURCE_DOES_NOT_EXIST');
    g.inFlight++;
    return g;
  }

  release(generation: Generation): void {
    const g = generation as Live;
    if (--g.inFlight === 0 && g.retired) void this.closeGeneration(g);
  }

  /** Loads the model (again, when asked to: the model-repository extension's load). */
  load(): Promise<void> {
    this.loading ??= this.loadNow().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /**
   * Re-resolves a registry URI and, when it names a new version, loads that and swaps it in.
   * A failed reload leaves the served version in place and logs why.
   */
  async refresh(): Promise<boolean> {
    if (this.loading || this.state === 'UNLOADING' || !this.live) return false;
    let version: string | undefined;
    try {
      version = await this.loader.resolveVersion(this.config.uri);
    } catch (err) {
      this.logger.warn({ model: this.name, err: (err as Error).message }, 'model reload check failed; keeping the served version');
      return false;
    }
    if (version === undefined || version === this.live.version) return false;
    try {
      await this.load();
      return true;
    } catch (err) {
      this.logger.error({ model: this.name, version, err: (err as Error).message }, 'loading the new version failed; keeping the served version');
      return false;
    }
  }

  /** Stops serving: new requests get 404-like refusals, those in flight finish, then it closes. */
  async unload(): Promise<void> {
    const g = this.live;
    this.live = undefined;
    this.state = 'UNLOADING';
    if (g) await this.retire(g);
    this.state = 'UNAVAILABLE';
    this.reason = 'unloaded';
  }

  private async loadNow(): Promise<void> {
    const wasServing = this.live !== undefined;
    if (!wasServing) this.state = 'LOADING';
    const began = performance.now();
    try {
      const version = await this.loader.resolveVersion(this.config.uri);
      const uri = version === undefined ? this.config.uri : pinnedUri(this.config.uri, version);
      const loaded = await this.loader.load(uri, this.config);
      const batching = this.config.batching;
      const predictor = batching
        ? batchingPredictor(loaded, batching, (requests, rows) => this.onEvent?.({ kind: 'batch', requests, rows }))
        : loaded;
      const next: Live = { predictor, version, invoke: createInvocationHandler(predictor, this.logger), inFlight: 0, retired: false };
      const previous = this.live;
      this.live = next;
      this.state = 'READY';
      this.reason = '';
      const seconds = (performance.now() - began) / 1000;
      this.logger.info({ model: this.name, uri, version, seconds }, previous ? 'model swapped' : 'model loaded');
      this.loadSeconds = seconds;
      this.onEvent?.({ kind: 'loaded', seconds });
      if (previous) {
        this.swaps++;
        this.onEvent?.({ kind: 'swapped' });
        await this.retire(previous);
      }
    } catch (err) {
      if (!wasServing) {
        this.state = 'UNAVAILABLE';
        this.reason = (err as Error).message;
      }
      throw err;
    }
  }

  private retire(g: Live): Promise<void> {
    g.retired = true;
    return g.inFlight === 0 ? this.closeGeneration(g) : Promise.resolve();
  }

  private async closeGeneration(g: Live): Promise<void> {
    try {
      await g.predictor.close();
    } catch (err) {
      this.logger.warn({ model: this.name, err: (err as Error).message }, 'closing a retired model version failed');
    }
  }

  /** Closes the served version once its requests are done (server shutdown). */
  async close(): Promise<void> {
    const g = this.live;
    this.live = undefined;
    if (!g) return;
    g.retired = true;
    while (g.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
    await this.closeGeneration(g);
  }
}

/** models:/name@alias with its resolved version: models:/name/7, so what loads is what was resolved. */
function pinnedUri(uri: string, version: string): string {
  const m = /^models:\/([^/@]+)/.exec(uri);
  return m ? `models:/${m[1]}/${version}` : uri;
}
