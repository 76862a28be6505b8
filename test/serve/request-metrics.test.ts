import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { RequestMetrics } from '../../src/serve/request-metrics.js';

const require = createRequire(import.meta.url);
const { Counter, Histogram, Registry, AggregatorRegistry } = require('prom-client') as typeof import('prom-client');

const BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const NAMES = { counter: 'x_requests_total', counterHelp: 'requests', histogram: 'x_request_duration_seconds', histogramHelp: 'latency' };
// Latencies on, between and beyond the bounds, in an order that interleaves the label sets.
const SEEN: [string, string, number, number][] = [
  ['iris', '/invocations', 200, 0.0004], ['iris', '/invocations', 200, 0.0005], ['iris', '/ping', 200, 0.00001],
  ['iris', '/invocations', 400, 0.003], ['other', '/models/{name}/invocations', 200, 61], ['iris', '/invocations', 200, 0.7],
  ['iris', '/invocations', 0, 0.1], ['iris', '/ping', 200, 2.5], ['iris', '/invocations', 200, 0.01 + 1e-9],
];

function both() {
  const ours = new Registry();
  const metrics = new RequestMetrics(NAMES, BOUNDS);
  metrics.register(ours);
  const theirs = new Registry();
  const labelNames = ['model', 'route', 'status'];
  const counter = new Counter({ name: NAMES.counter, help: NAMES.counterHelp, labelNames, registers: [theirs] });
  const histogram = new Histogram({ name: NAMES.histogram, help: NAMES.histogramHelp, labelNames, buckets: BOUNDS, registers: [theirs] });
  for (const [model, route, status, seconds] of SEEN) {
    metrics.of(model, route).record(status, seconds);
    const labels = { model, route, status: String(status) };
    counter.inc(labels);
    histogram.observe(labels, seconds);
  }
  return { ours, theirs };
}

describe('request metrics without per-request label handling (issue #17)', () => {
  it('expose the text prom-client Counter and Histogram expose for the same requests', async () => {
    const { ours, theirs } = both();
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('x_request_duration_seconds_bucket{le="0.0005",model="iris",route="/invocations",status="200"} 2');
  });

  it('give `-w N` aggregation the same values (summed over workers)', async () => {
    const a = both();
    const b = both();
    const ours = await AggregatorRegistry.aggregate([await a.ours.getMetricsAsJSON(), await b.ours.getMetricsAsJSON()]).metrics();
    const theirs = await AggregatorRegistry.aggregate([await a.theirs.getMetricsAsJSON(), await b.theirs.getMetricsAsJSON()]).metrics();
    expect(ours).toBe(theirs);
    expect(ours).toContain('x_requests_total{model="iris",route="/invocations",status="200"} 8');
  });

  it('forget every label set on reset, as prom-client does', async () => {
    const { ours, theirs } = both();
    ours.resetMetrics();
    theirs.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
