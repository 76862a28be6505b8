import cluster, { type Worker } from 'node:cluster';
import { createRequire } from 'node:module';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

// prom-client is CommonJS, required only when a primary aggregates (see metrics.ts).
const require = createRequire(import.meta.url);

/** Messages between `models serve -w N`'s primary and its workers about /metrics. */
const REQUEST = 'mlflow-ts:metrics-request';
const COLLECT = 'mlflow-ts:metrics-collect';
const PART = 'mlflow-ts:metrics-part';
const REPLY = 'mlflow-ts:metrics-reply';
/** A worker that does not hand its metrics over within this is left out of that scrape. */
const COLLECT_TIMEOUT_MS = 2000;

type Message = { type?: string; id?: number; json?: MetricObjectWithValues<MetricValue<string>>[]; text?: string };

/**
 * In the primary of `models serve -w N`: when a worker is scraped, it asks here; every worker's
 * metrics are collected over IPC and summed (gauges as each metric says), so one scrape of
 * /metrics, whichever worker answers it, covers all of them.
 */
export function aggregateWorkerMetrics(): void {
  let next = 0;
  cluster.on('message', (asker: Worker, msg: Message) => {
    if (msg?.type !== REQUEST) return;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
    const id = ++next;
    const parts: MetricObjectWithValues<MetricValue<string>>[][] = [];
    let pending = workers.length;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      cluster.off('message', onPart);
      const { AggregatorRegistry } = require('prom-client') as typeof import('prom-client');
      AggregatorRegistry.aggregate(parts).metrics().then(
        (text) => asker.isConnected() && asker.send({ type: REPLY, id: msg.id, text }),
        () => asker.isConnected() && asker.send({ type: REPLY, id: msg.id }),
      );
    };
    const onPart = (_w: Worker, m: Message): void => {
      if (m?.type !== PART || m.id !== id) return;
      if (m.json) parts.push(m.json);
      if (--pending === 0) finish();
    };
    cluster.on('message', onPart);
    const timer = setTimeout(finish, COLLECT_TIMEOUT_MS);
    for (const w of workers) w.send({ type: COLLECT, id });
    if (workers.length === 0) finish();
  });
}

/**
 * In a worker: hands this worker's registry over when the primary collects, and returns how to
 * get every worker's metrics (falling back to this worker's own if the primary does not answer).
 * `registry` is asked for when first needed (ServeMetrics makes its registry on first use).
 */
export function joinWorkerMetrics(registry: () => Registry): () => Promise<string> {
  let next = 0;
  const waiting = new Map<number, (text: string | undefined) => void>();
  process.on('message', (msg: Message) => {
    if (msg?.type === COLLECT) {
      registry().getMetricsAsJSON().then((json) => process.send?.({ type: PART, id: msg.id, json }), () => process.send?.({ type: PART, id: msg.id }));
    } else if (msg?.type === REPLY && msg.id !== undefined) {
      waiting.get(msg.id)?.(msg.text);
      waiting.delete(msg.id);
    }
  });
  return async () => {
    const id = ++next;
    const text = await new Promise<string | undefined>((resolve) => {
      waiting.set(id, resolve);
      process.send?.({ type: REQUEST, id });
      setTimeout(() => {
        if (waiting.delete(id)) resolve(undefined);
      }, COLLECT_TIMEOUT_MS * 2).unref();
    });
    return text ?? (await registry().metrics());
  };
}
