import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostCredsFromEnv, httpRequest, registerRequestAuthProvider } from '../../src/store/index.js';
import { makeCertificates } from './test-certificates.js';

// MLflow's tracking-client variables (get_default_host_creds / http_request in MLflow 2.22.1),
// against local HTTPS servers whose certificates openssl makes here: a CA, a server certificate
// for 127.0.0.1 and a client certificate, both signed by that CA. No network.
const dir = mkdtempSync(path.join(tmpdir(), 'mlflow-ts-tls-'));
const file = (name: string) => path.join(dir, name);

function makeAllCertificates(): void {
  makeCertificates(dir, { server: 'subjectAltName=IP:127.0.0.1', client: 'extendedKeyUsage=clientAuth' });
  // requests' cert=<path>: one PEM file with the certificate and its key.
  writeFileSync(file('client-bundle.pem'), readFileSync(file('client.pem'), 'utf8') + readFileSync(file('client.key'), 'utf8'));
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const answer: Handler = (req, res) => {
  const peer = (req.socket as TLSSocket).getPeerCertificate?.();
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ path: req.url, client: peer && 'subject' in peer ? peer.subject.CN : null, auth: req.headers['x-auth'] ?? null }));
};

const servers: (http.Server | https.Server)[] = [];
async function listen(server: http.Server | https.Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const scheme = server instanceof https.Server ? 'https' : 'http';
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let plainTls: string;
let mutualTls: string;
let redirecting: string;

beforeAll(async () => {
  makeAllCertificates();
  const tls = { key: readFileSync(file('server.key')), cert: readFileSync(file('server.pem')) };
  plainTls = await listen(https.createServer(tls, answer));
  mutualTls = await listen(https.createServer({ ...tls, ca: readFileSync(file('ca.pem')), requestCert: true, rejectUnauthorized: true }, answer));
  redirecting = await listen(
    http.createServer((req, res) => {
      if (req.url === '/old') {
        res.writeHead(302, { Location: '/new' }).end();
        return;
      }
      answer(req, res);
    }),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

/** One GET with the creds MLflow's variables select, no retries. */
async function get(base: string, route: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  const creds = { ...hostCredsFromEnv(base, env), retry: { maxRetries: 0 } };
  return (await (await httpRequest(creds, `${base}${route}`)).json()) as Record<string, unknown>;
}

describe('MLFLOW_TRACKING_INSECURE_TLS and MLFLOW_TRACKING_SERVER_CERT_PATH', () => {
  it('a server whose certificate no trusted CA signed is refused by default', async () => {
    await expect(get(plainTls, '/x', {})).rejects.toThrow(/API request to https:\/\/127\.0\.0\.1:\d+\/x failed with exception .*certificate/);
  });

  it('MLFLOW_TRACKING_INSECURE_TLS=true skips verification', async () => {
    expect(await get(plainTls, '/x', { MLFLOW_TRACKING_INSECURE_TLS: 'true' })).toMatchObject({ path: '/x' });
  });

  it('MLFLOW_TRACKING_SERVER_CERT_PATH verifies with that CA bundle', async () => {
    expect(await get(plainTls, '/y', { MLFLOW_TRACKING_SERVER_CERT_PATH: file('ca.pem') })).toMatchObject({ path: '/y' });
    // A bundle without the signing CA (the server's own leaf certificate is no CA) fails.
    await expect(get(plainTls, '/y', { MLFLOW_TRACKING_SERVER_CERT_PATH: file('client.pem') })).rejects.toThrow(/failed with exception/);
  });

  it('both at once is refused with MLflow\'s message', () => {
    expect(() => hostCredsFromEnv(plainTls, { MLFLOW_TRACKING_INSECURE_TLS: 'true', MLFLOW_TRACKING_SERVER_CERT_PATH: file('ca.pem') })).toThrow(
      /When 'ignore_tls_verification' is true then 'server_cert_path' must not be set!/,
    );
  });

  it('a value that is not a boolean is refused naming the variable', () => {
    expect(() => hostCredsFromEnv(plainTls, { MLFLOW_TRACKING_INSECURE_TLS: 'yes' })).toThrow(/MLFLOW_TRACKING_INSECURE_TLS value must be one of/);
  });
});

describe('MLFLOW_TRACKING_CLIENT_CERT_PATH', () => {
  it('presents the client certificate a mutual-TLS server asks for', async () => {
    const env = { MLFLOW_TRACKING_SERVER_CERT_PATH: file('ca.pem') };
    await expect(get(mutualTls, '/z', env)).rejects.toThrow(/failed with exception/);
    expect(await get(mutualTls, '/z', { ...env, MLFLOW_TRACKING_CLIENT_CERT_PATH: file('client-bundle.pem') })).toMatchObject({ path: '/z', client: 'client' });
  });

  it('a file that cannot be read is named', async () => {
    await expect(get(mutualTls, '/z', { MLFLOW_TRACKING_CLIENT_CERT_PATH: file('missing.pem') })).rejects.toThrow(/MLFLOW_TRACKING_CLIENT_CERT_PATH: cannot read '.*missing\.pem'/);
  });
});

describe('MLFLOW_ALLOW_HTTP_REDIRECTS', () => {
  it('redirects are followed by default, over fetch and over the TLS transport', async () => {
    expect(await get(redirecting, '/old', {})).toMatchObject({ path: '/new' });
    expect(await get(redirecting, '/old', { MLFLOW_TRACKING_CLIENT_CERT_PATH: file('client-bundle.pem') })).toMatchObject({ path: '/new' });
  });

  it('false makes a 3xx a failed request, as requests with allow_redirects=False then raise_for_status', async () => {
    const variants: Record<string, string>[] = [{}, { MLFLOW_TRACKING_CLIENT_CERT_PATH: file('client-bundle.pem') }];
    for (const extra of variants) {
      await expect(get(redirecting, '/old', { MLFLOW_ALLOW_HTTP_REDIRECTS: 'false', ...extra })).rejects.toThrow(
        /API request to endpoint \/old failed with error code 302 != 200/,
      );
    }
  });
});

describe('MLFLOW_TRACKING_AUTH', () => {
  it('an unregistered provider name is refused, naming it', async () => {
    await expect(get(redirecting, '/a', { MLFLOW_TRACKING_AUTH: 'no-such-provider' })).rejects.toThrow(
      /MLFLOW_TRACKING_AUTH='no-such-provider' names no registered request auth provider/,
    );
  });

  it('a registered provider signs each request', async () => {
    registerRequestAuthProvider('test-signer', ({ method, url }) => ({ 'X-Auth': `${method} ${new URL(url).pathname}` }));
    expect(await get(redirecting, '/b', { MLFLOW_TRACKING_AUTH: 'test-signer' })).toMatchObject({ auth: 'GET /b' });
  });
});
