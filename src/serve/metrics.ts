import { createRequire } from 'node:module';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Predictor } from '../pyfunc/index.js';
import type { SlotEvent } from './model-slot.js';
import { RequestMetrics, type InFlight, type RouteSeries } from './request-metrics.js';

// prom-client is CommonJS and costs more to load (~60-120 ms CPU, with its default metrics) than
// the rest of a server's start: required on first use (see ServeMetrics), not when a server is made.
const require = createRequire(import.meta.url);
type PromClient = typeof import('prom-client');

/**
 * ms after a server is made at which its prom-client registry is made if nothing needed it yet:
 * after start-up traffic (readiness probes), early enough that the default metrics (event-loop
 * lag, GC) have watched the process for a while before the first scrape.
 */
const PROM_WARM_UP_MS = 1000;

/** The prom-client side of ServeMetrics, made on first use. */
interface Prom {
  readonly registry: Registry;
  readonly loadSeconds: Gauge<'model'>;
  readonly swaps: Counter<'model'>;
  readonly batchRequests: Histogram<'model'>;
  readonly batchRows: Histogram<'model'>;
}

/** Routes that score: their requests count as in flight. */
const SCORING_ROUTES = new Set(['/invocations', '/models/{name}/invocations', '/v2/models/{name}/infer', '/v2/models/{name}/versions/{version}/infer']);

/** Latency buckets in seconds: sub-millisecond native scoring up to the 60 s request timeout. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The scoring server's Prometheus metrics (GET /metrics): requests by route and status, their
 * latency, requests in flight, the model's load time, and Node's process metrics. Each server
 * has a registry of its own, so several servers in one process (tests) do not collide.
 */
export class ServeMetrics {
  private readonly requests = new RequestMetrics({
    counter: 'mlflow_ts_requests_total',
    counterHelp: 'HTTP requests answered, by route and status',
    histogram: 'mlflow_ts_request_duration_seconds',
    histogramHelp: 'Time from a request arriving to its answer being written, by route and status',
  }, LATENCY_BUCKETS);
  /** Scoring requests in flight, per model: plain counts, read when /metrics is scraped. */
  private readonly inFlight = new Map<string, InFlight>();
  /** Model load times given before the registry was made, set on its gauge when it is. */
  private readonly loadedEarly = new Map<string, number>();
  private made?: Prom;

  /**
   * `models`: the predictors served now, by model name, read at each scrape for the Python
   * bridge's worker restarts.
   */
  constructor(
    private readonly model: string,
    private readonly models: () => Iterable<{ name: string; predictor: Predictor | undefined }> = () => [],
  ) {
    this.warmUpLater();
  }

  /**
   * Makes the registry PROM_WARM_UP_MS from now, or later still while a scoring request is in
   * flight: loading prom-client holds the event loop 60-400 ms, which a large request's /ping
   * must not wait for (issue #18 item 3).
   */
  private warmUpLater(): void {
    setTimeout(() => {
      if (this.made) return;
      for (const f of this.inFlight.values()) if (f.n > 0) return this.warmUpLater();
      this.made = this.makeProm();
    }, PROM_WARM_UP_MS).unref();
  }

  /** The prom-client registry (made, with every metric, on first use). */
  get registry(): Registry {
    return this.prom.registry;
  }

  private get prom(): Prom {
    this.made ??= this.makeProm();
    return this.made;
  }

  /** The registry and its metrics, registered in the order the exposition text lists them. */
  private makeProm(): Prom {
    const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = require('prom-client') as PromClient;
    const registry = new Registry();
    const registers = [registry];
    this.requests.register(registry);
    const { inFlight, models } = this;
    new Gauge({
      name: 'mlflow_ts_requests_in_flight',
      help: 'Scoring requests being read or scored',
      aggregator: 'sum',
      labelNames: ['model'],
      registers,
      collect() {
        for (const [model, f] of inFlight) this.set({ model }, f.n);
      },
    });
    const loadSeconds = new Gauge({
      name: 'mlflow_ts_model_load_seconds',
      help: 'Time the model took to load',
      labelNames: ['model'],
      // Summed over `-w N` workers it would mean nothing: each worker loads the model.
      aggregator: 'max',
      registers,
    });
    const swaps = new Counter({
      name: 'mlflow_ts_model_swaps_total',
      help: 'Times a new model version replaced the served one (hot reload or repository load)',
      labelNames: ['model'],
      registers,
    });
    // A restart count lives in each loaded predictor (its worker pool); the counter adds what
    // each one gained since the last scrape, so a swapped-in version's pool adds to the same total.
    const restartsSeen = new WeakMap<Predictor, number>();
    new Counter({
      name: 'mlflow_ts_python_worker_restarts_total',
      help: 'Python-bridge workers that died (crash, kill, timeout) and were replaced',
      labelNames: ['model'],
      registers,
      collect() {
        for (const { name, predictor } of models()) {
          const now = predictor?.workerRestarts?.();
          if (predictor === undefined || now === undefined) continue;
          this.inc({ model: name }, now - (restartsSeen.get(predictor) ?? 0));
          restartsSeen.set(predictor, now);
        }
      },
    });
    const batchRequests = new Histogram({
      name: 'mlflow_ts_batch_requests',
      help: 'Requests scored together in one adaptive batch',
      labelNames: ['model'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    const batchRows = new Histogram({
      name: 'mlflow_ts_batch_rows',
      help: 'Rows scored in one adaptive batch',
      labelNames: ['model'],
      buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384],
      registers,
    });
    collectDefaultMetrics({ register: registry });
    for (const [model, seconds] of this.loadedEarly) loadSeconds.set({ model }, seconds);
    this.loadedEarly.clear();
    return { registry, loadSeconds, swaps, batchRequests, batchRows };
  }

  /**
   * The series a request for `model` on `route` is counted in (kept per route and model, so a
   * request costs no label handling); begin() and end() bracket the request.
   */
  series(route: string, model = this.model): RouteSeries {
    return this.requests.of(model, route, SCORING_ROUTES.has(route) ? () => this.inFlightOf(model) : undefined);
  }

  private inFlightOf(model: string): InFlight {
    let f = this.inFlight.get(model);
    if (f === undefined) {
      f = { n: 0 };
      this.inFlight.set(model, f);
    }
    return f;
  }

  modelLoaded(model: string, seconds: number): void {
    if (this.made) this.made.loadSeconds.set({ model }, seconds);
    else this.loadedEarly.set(model, seconds);
  }

  /** A load, swap or batch of one model (its slot's events). */
  modelEvent(model: string, event: SlotEvent): void {
    if (event.kind === 'loaded') this.modelLoaded(model, event.seconds);
    else if (event.kind === 'swapped') this.prom.swaps.inc({ model });
    else {
      this.prom.batchRequests.observe({ model }, event.requests);
      this.prom.batchRows.observe({ model }, event.rows);
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
