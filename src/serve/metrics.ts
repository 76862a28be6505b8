import { createRequire } from 'node:module';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SlotEvent } from './model-slot.js';

// prom-client is CommonJS: required when a server is made, so importing mlflow-ts does not load it.
const require = createRequire(import.meta.url);
type PromClient = typeof import('prom-client');

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
  readonly registry: Registry;
  private readonly requests: Counter<'model' | 'route' | 'status'>;
  private readonly duration: Histogram<'model' | 'route' | 'status'>;
  private readonly inFlight: Gauge<'model'>;
  private readonly loadSeconds: Gauge<'model'>;
  private readonly swaps: Counter<'model'>;
  private readonly batchRequests: Histogram<'model'>;
  private readonly batchRows: Histogram<'model'>;

  constructor(private readonly model: string) {
    const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = require('prom-client') as PromClient;
    this.registry = new Registry();
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'mlflow_ts_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['model', 'route', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'mlflow_ts_request_duration_seconds',
      help: 'Time from a request arriving to its answer being written, by route and status',
      labelNames: ['model', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.inFlight = new Gauge({
      name: 'mlflow_ts_requests_in_flight',
      help: 'Scoring requests being read or scored',
      aggregator: 'sum',
      labelNames: ['model'],
      registers,
    });
    this.loadSeconds = new Gauge({
      name: 'mlflow_ts_model_load_seconds',
      help: 'Time the model took to load',
      labelNames: ['model'],
      // Summed over `-w N` workers it would mean nothing: each worker loads the model.
      aggregator: 'max',
      registers,
    });
    this.swaps = new Counter({
      name: 'mlflow_ts_model_swaps_total',
      help: 'Times a new model version replaced the served one (hot reload or repository load)',
      labelNames: ['model'],
      registers,
    });
    this.batchRequests = new Histogram({
      name: 'mlflow_ts_batch_requests',
      help: 'Requests scored together in one adaptive batch',
      labelNames: ['model'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.batchRows = new Histogram({
      name: 'mlflow_ts_batch_rows',
      help: 'Rows scored in one adaptive batch',
      labelNames: ['model'],
      buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384],
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** A request for `model` came in on `route`; the function returned ends it with the answer's status. */
  start(route: string, model = this.model): (status: number) => void {
    const began = process.hrtime.bigint();
    const scoring = SCORING_ROUTES.has(route);
    if (scoring) this.inFlight.inc({ model });
    return (status) => {
      const labels = { model, route, status: String(status) };
      this.requests.inc(labels);
      this.duration.observe(labels, Number(process.hrtime.bigint() - began) / 1e9);
      if (scoring) this.inFlight.dec({ model });
    };
  }

  modelLoaded(model: string, seconds: number): void {
    this.loadSeconds.set({ model }, seconds);
  }

  /** A load, swap or batch of one model (its slot's events). */
  modelEvent(model: string, event: SlotEvent): void {
    if (event.kind === 'loaded') this.loadSeconds.set({ model }, event.seconds);
    else if (event.kind === 'swapped') this.swaps.inc({ model });
    else {
      this.batchRequests.observe({ model }, event.requests);
      this.batchRows.observe({ model }, event.rows);
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
