import { createRequire } from 'node:module';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

// prom-client is CommonJS: required when a server is made, so importing mlflow-ts does not load it.
const require = createRequire(import.meta.url);
type PromClient = typeof import('prom-client');

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
      labelNames: ['model'],
      registers,
    });
    this.loadSeconds = new Gauge({
      name: 'mlflow_ts_model_load_seconds',
      help: 'Time the model took to load',
      labelNames: ['model'],
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** A request came in on `route`; the function returned ends it with the answer's status. */
  start(route: string): (status: number) => void {
    const began = process.hrtime.bigint();
    const scoring = route === '/invocations';
    if (scoring) this.inFlight.inc({ model: this.model });
    return (status) => {
      const labels = { model: this.model, route, status: String(status) };
      this.requests.inc(labels);
      this.duration.observe(labels, Number(process.hrtime.bigint() - began) / 1e9);
      if (scoring) this.inFlight.dec({ model: this.model });
    };
  }

  modelLoaded(seconds: number): void {
    this.loadSeconds.set({ model: this.model }, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
