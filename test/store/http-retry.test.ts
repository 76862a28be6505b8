import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { HttpArtifactRepository, callEndpoint, type HostCreds } from '../../src/store/index.js';
import { downloadsRoot } from '../../src/store/download-dir.js';
import { backoffMs, retryPolicyFromEnv, type RetryPolicy } from '../../src/store/retry-policy.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

/** A local server whose answers each test scripts; it counts the requests it got. */
class ScriptedServer {
  handler: Handler = (_req, res) => res.end('{}');
  hits = 0;
  bodies: string[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.hits++;
      const body = Buffer.concat(chunks).toString('utf8');
      this.bodies.push(body);
      this.handler(req, res, body);
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Answers `statuses` in turn (with the given headers), then 200 with `{"ok": true}`. */
function failThenSucceed(statuses: [number, Record<string, string>?][]): Handler {
  let i = 0;
  return (_req, res) => {
    const next = statuses[i++];
    if (next === undefined) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"ok": true}');
      return;
    }
    res.writeHead(next[0], { 'Content-Type': 'text/plain', ...next[1] });
    res.end(`failure ${i}`);
  };
}

describe("HTTP requests retry as MLflow's client does", () => {
  const server = new ScriptedServer();
  let host: string;
  let waits: number[];
  let creds: (retry?: Partial<RetryPolicy>) => HostCreds;
  beforeAll(async () => {
    host = await server.start();
    creds = (retry) => ({
      host,
      retry: {
        backoffJitter: 0,
        sleep: async (ms) => {
          waits.push(ms);
        },
        ...retry,
      },
    });
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    waits = [];
    server.hits = 0;
    server.bodies = [];
  });

  it('reads MLflow 2.22 defaults and limits from MLFLOW_HTTP_* variables', () => {
    expect(retryPolicyFromEnv({})).toMatchObject({ maxRetries: 7, backoffFactor: 2, backoffJitter: 1, timeoutSeconds: 120, respectRetryAfter: true });
    expect(
      retryPolicyFromEnv({
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: '3',
        MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '5',
        MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0.5',
        MLFLOW_HTTP_REQUEST_TIMEOUT: '30',
        MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER: 'false',
      }),
    ).toMatchObject({ maxRetries: 3, backoffFactor: 5, backoffJitter: 0.5, timeoutSeconds: 30, respectRetryAfter: false });
    expect(() => retryPolicyFromEnv({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: '10' })).toThrow(
      'The configured max_retries value (10) is in excess of the maximum allowable retries (10)',
    );
    expect(() => retryPolicyFromEnv({ MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '120' })).toThrow(
      'The configured backoff_factor value (120) is in excess of the maximum allowable backoff_factor limit (120)',
    );
    expect(() => retryPolicyFromEnv({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: 'many' })).toThrow("Failed to convert 'many' to int for MLFLOW_HTTP_REQUEST_MAX_RETRIES");
    expect(() => retryPolicyFromEnv({ MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER: 'yes' })).toThrow(/MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER value must be one of/);
  });

  it("waits as urllib3 does: nothing, then factor * 2^(n-1) s plus jitter, at most 120 s", () => {
    const policy = { ...retryPolicyFromEnv({}), random: () => 0.5 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(policy, n))).toEqual([0, 4500, 8500, 16500, 32500, 64500, 120000]);
  });

  it('succeeds after transient failures, sending the same POST body each time', async () => {
    server.handler = failThenSucceed([[503], [500], [502], [408]]);
    const answer = await callEndpoint(creds(), 'mlflow/runs/create', { method: 'POST', json: { experiment_id: '1' } });
    expect(answer).toEqual({ ok: true });
    expect(server.hits).toBe(5);
    expect(new Set(server.bodies)).toEqual(new Set(['{"experiment_id":"1"}']));
    expect(waits).toEqual([0, 4000, 8000, 16000]);
  });

  it('honors Retry-After (seconds or a date) on 429, 503 and 413, capped at 120 s', async () => {
    const inHundredSeconds = new Date(Date.now() + 100_000).toUTCString();
    server.handler = failThenSucceed([[429, { 'Retry-After': '3' }], [503, { 'Retry-After': '86400' }], [413, { 'Retry-After': inHundredSeconds }], [429, { 'Retry-After': '0' }]]);
    await callEndpoint(creds(), 'mlflow/runs/get');
    expect(waits[0]).toBe(3000);
    expect(waits[1]).toBe(120000);
    // the date's whole seconds, less the moments since it was written; not the 8 s backoff nor the cap
    expect(waits[2]).toBeGreaterThan(90_000);
    expect(waits[2]).toBeLessThanOrEqual(100_000);
    expect(waits[3]).toBe(16000);

    waits = [];
    server.handler = failThenSucceed([[429, { 'Retry-After': '3' }]]);
    await callEndpoint(creds({ respectRetryAfter: false }), 'mlflow/runs/get');
    expect(waits).toEqual([0]);
  });

  it('does not retry answers that will not change: 4xx other than 408/429, 413 without Retry-After', async () => {
    for (const status of [400, 404, 413, 501]) {
      server.hits = 0;
      server.handler = failThenSucceed([[status]]);
      await expect(callEndpoint(creds(), 'mlflow/runs/get')).rejects.toBeInstanceOf(MlflowError);
      expect(server.hits).toBe(1);
    }
    expect(waits).toEqual([]);
  });

  it('gives up after maxRetries, naming the endpoint, the status and the attempts', async () => {
    server.handler = (_req, res) => {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end('{"error_code": "INTERNAL_ERROR", "message": "database is locked"}');
    };
    const err = await callEndpoint(creds(), 'mlflow/runs/get').catch((e: unknown) => e);
    expect(err).toMatchObject({
      errorCode: 'INTERNAL_ERROR',
      message: 'database is locked (API request to endpoint /api/2.0/mlflow/runs/get failed with error code 500 after 8 attempts (too many 500 error responses))',
    });
    expect(server.hits).toBe(8);
    expect(waits).toEqual([0, 4000, 8000, 16000, 32000, 64000, 120000]);
  });

  it('times out a server that does not answer, retrying the attempt', async () => {
    server.handler = () => undefined; // never answers
    const err = await callEndpoint(creds({ timeoutSeconds: 0.2, maxRetries: 1 }), 'mlflow/runs/get').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect(err).toMatchObject({ errorCode: 'DEADLINE_EXCEEDED' });
    expect((err as Error).message).toBe(
      `API request to ${host}/api/2.0/mlflow/runs/get failed with timeout exception: no data within 0.2 s (MLFLOW_HTTP_REQUEST_TIMEOUT) (2 attempts). ` +
        'To increase the timeout, set the environment variable MLFLOW_HTTP_REQUEST_TIMEOUT to a larger value.',
    );
    expect(server.hits).toBe(2);
  });

  it('fails a download whose body stalls, and leaves no half-written folder', async () => {
    const root = '/api/2.0/mlflow-artifacts/artifacts';
    server.handler = (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === root) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const listed = url.searchParams.get('path');
        res.end(JSON.stringify(listed === '1/run/artifacts/model' ? { files: [{ path: 'MLmodel', is_dir: false }, { path: 'model.pkl', is_dir: false }] } : {}));
      } else if (url.pathname.endsWith('/MLmodel')) {
        res.end('flavors: {}\n');
      } else {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': '1000' });
        res.write(Buffer.alloc(10)); // then stalls
      }
    };
    const repo = new HttpArtifactRepository(`${host}${root}/1/run/artifacts/model`, creds({ timeoutSeconds: 0.2, maxRetries: 0 }));
    const dst = path.join(mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-retry-')), 'out');
    const err = await repo.downloadArtifacts(undefined, dst).catch((e: unknown) => e);
    expect(err).toMatchObject({ errorCode: 'DEADLINE_EXCEEDED' });
    expect((err as Error).message).toMatch(/^Downloading artifact 'model.pkl' from .*model.pkl failed: no data within 0.2 s/);
    expect(existsSync(dst)).toBe(false);

    const before = readdirSync(downloadsRoot());
    await expect(repo.downloadArtifacts()).rejects.toMatchObject({ errorCode: 'DEADLINE_EXCEEDED' });
    expect(readdirSync(downloadsRoot())).toEqual(before);
  });

  it("refuses an artifact listing that is not MLflow's", async () => {
    const repo = new HttpArtifactRepository(`${host}/api/2.0/mlflow-artifacts/artifacts/1/run`, creds({ maxRetries: 0 }));
    server.handler = (_req, res) => res.end('<html>proxy login</html>');
    await expect(repo.listArtifacts()).rejects.toMatchObject({ errorCode: 'INTERNAL_ERROR', message: expect.stringMatching(/^The artifact server's listing of '1\/run' could not be read/) });
    server.handler = (_req, res) => res.end('{"files": [null]}');
    await expect(repo.listArtifacts()).rejects.toMatchObject({ message: "The artifact server listed an invalid entry null under '1/run'" });
    server.handler = (_req, res) => res.end('{"files": {"path": "x"}}');
    await expect(repo.listArtifacts()).rejects.toMatchObject({ message: "The artifact server's listing of '1/run' is not an object with a 'files' list" });
  });
});
