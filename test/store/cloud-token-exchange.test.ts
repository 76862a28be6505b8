import { spawn } from 'node:child_process';
import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZURITE_ACCOUNT, AZURITE_KEY, Azurite } from './azurite.js';
import { FakeGcsServer } from './fake-gcs-server.js';
import { EXPERIMENT_ID, FIXTURE_STORE, RUN_V1, fileTree } from './fixture-store.js';
import { InterceptingProxy, bodyText } from './intercepting-proxy.js';
import { leafCredentials, makeCertificates } from './test-certificates.js';

// The credential flows whose endpoints the SDKs fix (Google's OAuth token URLs, an Azure account's
// own blob host), which no emulator can stand in for by URL: `models predict` runs in a child whose
// HTTPS_PROXY is a local proxy answering those hosts with a certificate of a CA made here (trusted
// through NODE_EXTRA_CA_CERTS), so the SDKs' own, unmodified requests reach local handlers.
// Everything else (the emulators on 127.0.0.1) bypasses the proxy through NO_PROXY.

const CLI = path.resolve(import.meta.dirname, '../cli/run-cli.ts');
const FIXTURE_MODEL = path.join(FIXTURE_STORE, EXPERIMENT_ID, RUN_V1, 'artifacts', 'model');
const MODEL_FILES = fileTree(FIXTURE_MODEL);
const INPUT = path.join(FIXTURE_MODEL, 'serving_input_example.json');
const BLOB_HOST = `${AZURITE_ACCOUNT}.blob.core.windows.net`;
const CLIENT_EMAIL = 'scorer@project.iam.gserviceaccount.com';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-token-exchange-'));
const gcs = new FakeGcsServer();
let azurite: Azurite;
/** Managed-identity token requests (App Service's IDENTITY_ENDPOINT protocol): resource and header. */
const identityRequests: { resource: string | null; header?: string }[] = [];
let identity: http.Server;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
/** The form bodies the token endpoints received, by URL. */
const tokenRequests: { url: string; form: URLSearchParams }[] = [];
/** Requests that reached the account's blob host / storage.googleapis.com through the proxy (method and path). */
const blobRequests: string[] = [];
const storageRequests: string[] = [];
let proxy: InterceptingProxy;

function tokenEndpoint(accessToken: string): http.RequestListener {
  return (req, res) => {
    void bodyText(req).then((text) => {
      const form = new URLSearchParams(text);
      tokenRequests.push({ url: `https://${req.headers.host}${req.url}`, form });
      if (form.get('refresh_token') === 'revoked') {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ access_token: accessToken, expires_in: 3600, token_type: 'Bearer' }));
    });
  };
}

/**
 * A cloud host forwarded to a local emulator, Host header and path unchanged (Azurite reads the
 * account from a product-style host name; the GCS stand-in answers the JSON API's paths).
 */
function forwardTo(target: () => string, seen: string[]): http.RequestListener {
  return (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const url = `${target()}${req.url}`;
    const send = url.startsWith('https:') ? https.request : http.request;
    const upstream = send(url, { method: req.method, headers: req.headers, ca: readFileSync(path.join(dir, 'ca.pem')) }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (e) => res.writeHead(502).end(String(e)));
    req.pipe(upstream);
  };
}

/**
 * An Entra ID access token as Azure Storage's audience sees it: Azurite checks these claims
 * (audience, issuer, lifetime), not the signature.
 */
function storageAccessToken(): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = { aud: 'https://storage.azure.com', iss: 'https://sts.windows.net/ab1f708d-50f6-404c-a006-d71b2ac7a606/', iat: now, nbf: now - 60, exp: now + 3600, oid: 'scorer' };
  return [{ alg: 'RS256', typ: 'JWT' }, claims].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.c2ln';
}

beforeAll(async () => {
  // Node names the TLS server after the Host header, so Azurite's certificate carries the account's host too.
  makeCertificates(dir, { azurite: `subjectAltName=IP:127.0.0.1,DNS:${BLOB_HOST}`, hosts: 'subjectAltName=DNS:www.googleapis.com,DNS:oauth2.googleapis.com,DNS:storage.googleapis.com,DNS:' + BLOB_HOST });
  proxy = new InterceptingProxy(leafCredentials(dir, 'hosts'), {
    'www.googleapis.com': tokenEndpoint('ya29.service-account'),
    'oauth2.googleapis.com': tokenEndpoint('ya29.user'),
    'storage.googleapis.com': forwardTo(() => gcs.url, storageRequests),
    [BLOB_HOST]: forwardTo(() => new URL(azurite.serviceUrl).origin, blobRequests),
  });
  await proxy.start();
  await gcs.start();
  for (const f of MODEL_FILES) gcs.put('secure', `model/${f}`, readFileSync(path.join(FIXTURE_MODEL, f)));
  // Bearer tokens go over HTTPS only, so Azurite serves a certificate of the test CA, with OAuth on.
  azurite = new Azurite({ tls: { cert: path.join(dir, 'azurite.pem'), key: path.join(dir, 'azurite.key') }, oauth: true });
  const url = await azurite.start();
  const savedTls = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // this process does not trust the test CA: only for the uploads
  try {
    const models = new ContainerClient(`${url}/models`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
    await models.create();
    for (const f of MODEL_FILES) await models.getBlockBlobClient(`model/${f}`).uploadFile(path.join(FIXTURE_MODEL, f));
  } finally {
    if (savedTls === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = savedTls;
  }
  identity = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    identityRequests.push({ resource: u.searchParams.get('resource'), header: req.headers['x-identity-header'] as string | undefined });
    const expiresOn = String(Math.floor(Date.now() / 1000) + 3600);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: storageAccessToken(), expires_on: expiresOn, resource: u.searchParams.get('resource'), token_type: 'Bearer' }));
  });
  await new Promise<void>((resolve) => identity.listen(0, '127.0.0.1', resolve));
}, 60_000);

afterAll(async () => {
  identity.closeAllConnections();
  await Promise.all([proxy.stop(), gcs.stop(), azurite.stop(), new Promise((r) => identity.close(r))]);
  rmSync(dir, { recursive: true, force: true });
});

/** `models predict` of the model at `uri` on its input example, in a child with only these credentials. */
async function predict(uri: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = mkdtempSync(path.join(dir, 'home-'));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'models', 'predict', '-m', uri, '-i', INPUT, '-t', 'json', '--env-manager', 'local'], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      CLOUDSDK_CONFIG: home,
      METADATA_SERVER_DETECTION: 'none',
      MLFLOW_TS_RUNTIME: 'native',
      HTTPS_PROXY: proxy.url,
      NO_PROXY: '127.0.0.1,localhost',
      NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

function decodeJwt(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown>; signed: string; signature: Buffer } {
  const [h, c, s] = jwt.split('.');
  const json = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: json(h), claims: json(c), signed: `${h}.${c}`, signature: Buffer.from(s, 'base64url') };
}

/** `models predict` of gs://secure/model with this credentials file, the bucket taking only `token`: scored. */
async function scoresWithGoogleCredentials(file: string, token: string): Promise<void> {
  gcs.requiredToken = token;
  gcs.requests.length = 0;
  tokenRequests.length = 0;
  const r = await predict('gs://secure/model', { GOOGLE_APPLICATION_CREDENTIALS: file });
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({ predictions: [0, 0, 0] });
}

describe('gs:// with credentials that google-auth-library exchanges at Google\'s token endpoints', () => {
  it('a service-account key file: a JWT signed with its key is exchanged for the token every storage call carries', async () => {
    const keyFile = path.join(dir, 'service-account.json');
    writeFileSync(
      keyFile,
      JSON.stringify({
        type: 'service_account',
        project_id: 'project',
        private_key_id: 'key-1',
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
        client_email: CLIENT_EMAIL,
        client_id: '1',
        token_uri: 'https://oauth2.googleapis.com/token',
      }),
    );
    await scoresWithGoogleCredentials(keyFile, 'ya29.service-account');
    expect(tokenRequests).toHaveLength(1);
    const { url, form } = tokenRequests[0];
    expect(url).toMatch(/^https:\/\/www\.googleapis\.com\/oauth2\/v4\/token$/);
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const jwt = decodeJwt(form.get('assertion')!);
    expect(jwt.header).toMatchObject({ alg: 'RS256' });
    expect(jwt.claims).toMatchObject({ iss: CLIENT_EMAIL, aud: 'https://www.googleapis.com/oauth2/v4/token' });
    expect(String(jwt.claims.scope)).toContain('https://www.googleapis.com/auth/devstorage.full_control');
    expect(verify('RSA-SHA256', Buffer.from(jwt.signed), publicKey, jwt.signature)).toBe(true);
    expect(gcs.requests.length).toBeGreaterThanOrEqual(MODEL_FILES.length);
    expect(gcs.requests.every((q) => q.authorization === 'Bearer ya29.service-account')).toBe(true);
  }, 60_000);

  it("gcloud's user credentials (an authorized_user file): the refresh token is exchanged for the token", async () => {
    const userFile = path.join(dir, 'application_default_credentials.json');
    writeFileSync(userFile, JSON.stringify({ type: 'authorized_user', client_id: 'cid.apps.googleusercontent.com', client_secret: 'shh', refresh_token: '1//refresh' }));
    await scoresWithGoogleCredentials(userFile, 'ya29.user');
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0].url).toBe('https://oauth2.googleapis.com/token');
    expect(Object.fromEntries(tokenRequests[0].form)).toMatchObject({ grant_type: 'refresh_token', refresh_token: '1//refresh', client_id: 'cid.apps.googleusercontent.com', client_secret: 'shh' });
    expect(gcs.requests.every((q) => q.authorization === 'Bearer ya29.user')).toBe(true);
  }, 60_000);

  it("a refused token exchange is named (the credentials file, the URI, Google's reason), and nothing is read or scored", async () => {
    const userFile = path.join(dir, 'revoked.json');
    writeFileSync(userFile, JSON.stringify({ type: 'authorized_user', client_id: 'cid', client_secret: 'shh', refresh_token: 'revoked' }));
    gcs.requests.length = 0;
    const r = await predict('gs://secure/model', { GOOGLE_APPLICATION_CREDENTIALS: userFile });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /Google's token endpoint refused the credentials in '.*revoked\.json' \(GOOGLE_APPLICATION_CREDENTIALS\) for gs:\/\/secure\/model: invalid_grant: Token has been expired or revoked\./,
    );
    expect(gcs.requests).toEqual([]);
  }, 60_000);
});

describe("wasbs:// at the account's own blob host, as MLflow's client reaches it", () => {
  it('with AZURE_STORAGE_ACCESS_KEY: requests signed with the account key (Shared Key) load and score the model', async () => {
    blobRequests.length = 0;
    proxy.connects.length = 0;
    const r = await predict(`wasbs://models@${BLOB_HOST}/model`, { AZURE_STORAGE_ACCESS_KEY: AZURITE_KEY });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ predictions: [0, 0, 0] });
    expect(proxy.connects.every((c) => c === `${BLOB_HOST}:443`)).toBe(true);
    expect(blobRequests.some((q) => q.startsWith('GET /models?') && q.includes('comp=list'))).toBe(true);
    expect(blobRequests.filter((q) => q.startsWith('GET /models/model/')).length).toBe(MODEL_FILES.length);
  }, 60_000);

  it('with a wrong AZURE_STORAGE_ACCESS_KEY: refused by the service, named, nothing scored', async () => {
    const wrong = Buffer.alloc(64, 7).toString('base64');
    const r = await predict(`wasbs://models@${BLOB_HOST}/model`, { AZURE_STORAGE_ACCESS_KEY: wrong });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/wasbs:\/\/models@devstoreaccount1\.blob\.core\.windows\.net\/model/);
  }, 60_000);

  it('with no key, DefaultAzureCredential (here its managed-identity route): bearer tokens for Azure Storage load and score the model', async () => {
    blobRequests.length = 0;
    identityRequests.length = 0;
    const r = await predict(`wasbs://models@${BLOB_HOST}/model`, {
      IDENTITY_ENDPOINT: `http://127.0.0.1:${(identity.address() as AddressInfo).port}/msi/token`,
      IDENTITY_HEADER: 'identity-header-secret',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ predictions: [0, 0, 0] });
    expect(identityRequests.length).toBeGreaterThan(0);
    expect(identityRequests.every((q) => q.resource === 'https://storage.azure.com' && q.header === 'identity-header-secret')).toBe(true);
    expect(blobRequests.filter((q) => q.startsWith('GET /models/model/')).length).toBe(MODEL_FILES.length);
  }, 60_000);
});
