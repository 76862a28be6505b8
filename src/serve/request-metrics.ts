import type { Metric, Registry } from 'prom-client';

/** The requests of one model on one route that answered one status. */
interface Cell {
  readonly labels: { readonly model: string; readonly route: string; readonly status: string };
  count: number;
  sum: number;
  /** Requests per latency bucket (not cumulative); the last slot is above every bound. */
  readonly buckets: Float64Array;
}

/** One value as prom-client's Histogram hands it to the registry. */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Cell['labels'];
  value: number;
  metricName: string;
  exemplar?: null;
}

/** Requests being read or scored for one model. */
export interface InFlight {
  n: number;
}

/** One model's requests on one route: the cells by status, found without building a key. */
export class RouteSeries {
  private readonly cells = new Map<number, Cell>();

  constructor(
    private readonly owner: RequestMetrics,
    readonly model: string,
    readonly route: string,
    /** The model's in-flight count, when this route scores. */
    readonly inFlight: InFlight | undefined,
  ) {}

  clear(): void {
    this.cells.clear();
  }

  /** Counts one answered request: its status and its latency in seconds. */
  record(status: number, seconds: number): void {
    let cell = this.cells.get(status);
    if (cell === undefined) {
      cell = this.owner.newCell(this.model, this.route, status);
      this.cells.set(status, cell);
    }
    cell.count++;
    cell.sum += seconds;
    const bounds = this.owner.bounds;
    let b = 0;
    while (b < bounds.length && seconds > bounds[b]) b++;
    cell.buckets[b]++;
  }
}

/**
 * `<prefix>_total` (a counter) and `<prefix>_duration_seconds` (a histogram) of answered requests
 * by model, route and status, as two metrics of a prom-client registry. prom-client's own
 * Counter.inc and Histogram.observe check and hash the label set on every call; here a request
 * costs a Map lookup and a few additions, and each metric gives prom-client the values its own
 * Counter and Histogram would (same order, same labels), so the exposition text (and the sum
 * over `-w N` workers) is unchanged.
 */
export class RequestMetrics {
  private readonly series = new Map<string, RouteSeries>();
  /** Every cell in the order first seen: the order prom-client lists label sets in. */
  private readonly cells: Cell[] = [];

  constructor(
    private readonly names: { counter: string; counterHelp: string; histogram: string; histogramHelp: string },
    readonly bounds: readonly number[],
  ) {}

  /** Adds the two metrics to a registry (requests are counted before there is one: ServeMetrics makes it on first use). */
  register(registry: Registry): void {
    registry.registerMetric(this.counterMetric() as unknown as Metric);
    registry.registerMetric(this.histogramMetric() as unknown as Metric);
  }

  /** The series of `model` on `route`, made once and kept (routes and models are bounded sets). */
  of(model: string, route: string, inFlight?: () => InFlight): RouteSeries {
    const key = `${route} ${model}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = new RouteSeries(this, model, route, inFlight?.());
      this.series.set(key, s);
    }
    return s;
  }

  newCell(model: string, route: string, status: number): Cell {
    const cell: Cell = { labels: { model, route, status: String(status) }, count: 0, sum: 0, buckets: new Float64Array(this.bounds.length + 1) };
    this.cells.push(cell);
    return cell;
  }

  private counterMetric() {
    const { counter: name, counterHelp: help } = this.names;
    const get = async () => ({
      help,
      name,
      type: 'counter',
      values: this.cells.map((c) => ({ value: c.count, labels: { ...c.labels } })),
      aggregator: 'sum',
    });
    return { name, help, type: 'counter', aggregator: 'sum', get, reset: () => this.reset() };
  }

  private histogramMetric() {
    const { histogram: name, histogramHelp: help } = this.names;
    const bucketName = `${name}_bucket`;
    /** prom-client's Histogram.getForPromString: per label set, cumulative buckets, +Inf, sum, count. */
    const values = (): ExportedValue[] => {
      const out: ExportedValue[] = [];
      for (const c of this.cells) {
        const shared = c.labels;
        let acc = 0;
        this.bounds.forEach((le, i) => {
          acc += c.buckets[i];
          out.push({ labels: { le }, sharedLabels: shared, value: acc, metricName: bucketName, exemplar: null });
        });
        out.push({ labels: { le: '+Inf' }, sharedLabels: shared, value: c.count, metricName: bucketName, exemplar: null });
        out.push({ labels: {}, sharedLabels: shared, value: c.sum, metricName: `${name}_sum` });
        out.push({ labels: {}, sharedLabels: shared, value: c.count, metricName: `${name}_count` });
      }
      return out;
    };
    const base = { name, help, type: 'histogram' as const, aggregator: 'sum' as const };
    return {
      ...base,
      getForPromString: async () => ({ ...base, values: values() }),
      // prom-client's get(): the shared labels spread into each value's own (`le` first).
      get: async () => ({
        ...base,
        values: values().map(({ sharedLabels, ...v }) => ({ ...v, labels: { ...v.labels, ...sharedLabels } })),
      }),
      reset: () => this.reset(),
    };
  }

  /** As prom-client's reset: every label set is forgotten. */
  private reset(): void {
    this.cells.length = 0;
    for (const s of this.series.values()) s.clear();
  }
}
