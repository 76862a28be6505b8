// A scoring server (or the bare node:http reference) in a child process, as bench/server-child.ts
// runs it, and the autocannon load put on it. The load generator thus never shares an event loop
// with the server it measures, and the server's RSS and CPU time are its own.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';

export const CONNECTIONS = 16;

export interface ServerProcess { child: ChildProcess; port: number }

/** What a child server is: bare node:http, or `mlflow-ts serve` on a model with a runtime. */
export type ServerSpec =
  | { kind: 'bare' }
  | { kind: 'serve'; modelDir: string; runtime?: 'native' | 'python'; workers?: number; batching?: { maxBatchSize: number; maxWaitMs: number } };

export async function startServer(spec: ServerSpec): Promise<ServerProcess> {
  const args = spec.kind === 'bare'
    ? ['bare']
    : ['serve', spec.modelDir, spec.runtime ?? 'auto', String(spec.workers ?? 1), ...(spec.batching ? [`${spec.batching.maxBatchSize}:${spec.batching.maxWaitMs}`] : [])];
  const child = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const [msg] = (await once(child, 'message')) as [{ port: number }];
  return { child, port: msg.port };
}

export async function stopServer(server: ServerProcess): Promise<void> {
  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  await exited;
}

/** The child's RSS (bytes) and CPU time so far (µs). */
export async function serverStats(server: ServerProcess): Promise<{ rss: number; cpu: number }> {
  server.child.send({ cmd: 'stats' });
  const [msg] = (await once(server.child, 'message')) as [{ rss: number; cpu: number }];
  return msg;
}

/** POSTs `body` to `path` (default /invocations) from `connections` connections (default CONNECTIONS) for `seconds`. */
export function loadServer(server: ServerProcess, body: string, seconds: number, connections = CONNECTIONS, path = '/invocations'): Promise<Result> {
  return autocannon({
    url: `http://127.0.0.1:${server.port}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
  });
}
