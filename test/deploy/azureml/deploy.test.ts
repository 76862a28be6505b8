import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API_VERSION, defaultTokenProvider, deployAzureMl, exportAzureMl, type AzureMlDeployOptions } from '../../../src/deploy/azureml/index.js';
import { MlflowError } from '../../../src/errors.js';

const MODEL = path.resolve(import.meta.dirname, '../../../examples/iris-js');
const WS = '/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws-1';
const ACCOUNT_KEY = Buffer.from('not-a-real-storage-account-key-0123456789').toString('base64');

interface Recorded { method: string; path: string; body?: Record<string, unknown>; auth?: string; apiVersion?: string | null }

/** A stand-in for Azure Resource Manager: resources in memory, each Creating for one poll, then Succeeded. */
class FakeArm {
  requests: Recorded[] = [];
  /** Blob requests (under /blob/<account>/<container>/...), each with the headers it came with. */
  blobRequests: { method: string; path: string; query: string; headers: http.IncomingHttpHeaders }[] = [];
  blobs = new Map<string, Buffer>();
  /** What listSecrets answers for the default datastore. */
  secrets: Record<string, unknown> = { secretsType: 'AccountKey', key: ACCOUNT_KEY };
  /** Answer the n-th blob PUT (1-based) with 403. */
  failBlobPut = 0;
  resources = new Map<string, { doc: Record<string, unknown>; polls: number; final: string }>();
  /** Final provisioningState per path suffix (default Succeeded). */
  finalState: Record<string, string> = {};
  /** Answer a PUT to a path ending so with this error status. */
  failPut: Record<string, number> = {};
  server = http.createServer((req, res) => void this.handle(req, res));
  url = '';

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const u = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    if (u.pathname.startsWith('/blob/')) return this.handleBlob(req, res, u, Buffer.concat(chunks));
    if (u.pathname.endsWith('/oauth2/v2.0/token')) {
      this.requests.push({ method, path: 'token', body: Object.fromEntries(new URLSearchParams(text)) });
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'tok-123', expires_in: 3600 }));
    }
    const p = u.pathname.startsWith(WS) ? u.pathname.slice(WS.length) : u.pathname;
    this.requests.push({ method, path: p, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined, auth: req.headers.authorization, apiVersion: u.searchParams.get('api-version') });
    const json = (status: number, doc: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
    if (p === '') return json(200, { name: 'ws-1', location: 'westeurope' });
    if (p === '/datastores' && u.searchParams.get('isDefault') === 'true') {
      return json(200, { value: [{ name: 'workspaceblobstore', properties: { datastoreType: 'AzureBlob', accountName: 'acct1', containerName: 'azureml-blobstore-1', endpoint: 'core.windows.net', protocol: 'https', isDefault: true, credentials: { credentialsType: this.secrets.secretsType ?? 'None' } } }] });
    }
    if (p === '/datastores/workspaceblobstore/listSecrets' && method === 'POST') return json(200, this.secrets);
    if (method === 'PUT') {
      const failing = Object.entries(this.failPut).find(([suffix]) => p.endsWith(suffix));
      if (failing) return json(failing[1], { error: { code: 'BadRequest', message: 'The instance type is not available' } });
      const final = Object.entries(this.finalState).find(([suffix]) => p.endsWith(suffix))?.[1] ?? 'Succeeded';
      const doc = JSON.parse(text) as { properties?: Record<string, unknown> };
      this.resources.set(p, { doc: { ...doc, properties: { ...doc.properties, scoringUri: 'https://x/score' } }, polls: 1, final });
      return json(201, doc);
    }
    if (method === 'DELETE') {
      this.resources.delete(p);
      return void res.writeHead(202).end();
    }
    const r = this.resources.get(p);
    if (!r) return json(404, { error: { code: 'NotFound', message: `${p} not found` } });
    const state = r.polls-- > 0 ? 'Creating' : r.final;
    return json(200, { ...r.doc, properties: { ...(r.doc.properties as object), provisioningState: state } });
  }

  handleBlob(req: http.IncomingMessage, res: http.ServerResponse, u: URL, body: Buffer): void {
    const method = req.method ?? 'GET';
    const p = decodeURIComponent(u.pathname.slice('/blob/acct1'.length));
    this.blobRequests.push({ method, path: p, query: u.search, headers: req.headers });
    const fail = (status: number, code: string): void => void res.writeHead(status, { 'content-type': 'application/xml' }).end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>x</Message></Error>`);
    if (this.secrets.secretsType === 'AccountKey' && req.headers.authorization !== `SharedKey acct1:${expectedSignature(method, u.pathname.slice('/blob/acct1'.length), req.headers)}`) {
      return fail(403, 'AuthenticationFailed');
    }
    if (method === 'PUT') {
      if (this.blobRequests.filter((r) => r.method === 'PUT').length === this.failBlobPut) return fail(403, 'AuthorizationPermissionMismatch');
      this.blobs.set(p, body);
      return void res.writeHead(201).end();
    }
    if (method === 'DELETE') {
      const had = this.blobs.delete(p);
      return void res.writeHead(had ? 202 : 404).end();
    }
    fail(405, 'UnsupportedHttpVerb');
  }

  /** "METHOD /path" of every ARM request but the status polls. */
  changes(): string[] {
    return this.requests.filter((r) => r.method !== 'GET' && r.path !== 'token').map((r) => `${r.method} ${r.path.replace(/versions\/\d+/, 'versions/N')}`);
  }
}

/** Azure Storage's Shared Key check as the service does it, from the request as received. */
function expectedSignature(method: string, encodedPath: string, h: http.IncomingHttpHeaders): string {
  const v = (name: string): string => (h[name] as string | undefined) ?? '';
  const ms = Object.keys(h).filter((k) => k.startsWith('x-ms-')).sort().map((k) => `${k}:${v(k)}`);
  const length = v('content-length') === '0' ? '' : v('content-length');
  const lines = [method, v('content-encoding'), v('content-language'), length, v('content-md5'), v('content-type'), v('date'), v('if-modified-since'), v('if-match'), v('if-none-match'), v('if-unmodified-since'), v('range'), ...ms, `/acct1${encodedPath}`];
  return createHmac('sha256', Buffer.from(ACCOUNT_KEY, 'base64')).update(lines.join('\n')).digest('base64');
}

const arm = new FakeArm();
beforeAll(async () => {
  await new Promise<void>((r) => arm.server.listen(0, '127.0.0.1', r));
  arm.url = `http://127.0.0.1:${(arm.server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => arm.server.close(() => r())));
beforeEach(() => {
  arm.requests = [];
  arm.resources.clear();
  arm.finalState = {};
  arm.failPut = {};
  arm.blobRequests = [];
  arm.blobs.clear();
  arm.secrets = { secretsType: 'AccountKey', key: ACCOUNT_KEY };
  arm.failBlobPut = 0;
});

function options(overrides: Partial<AzureMlDeployOptions> = {}): AzureMlDeployOptions {
  return {
    workspace: { subscriptionId: 'sub-1', resourceGroup: 'rg-1', workspace: 'ws-1' },
    endpointName: 'iris-endpoint',
    deploymentName: 'blue',
    image: 'myacr.azurecr.io/iris:1',
    instanceCount: 2,
    pollSeconds: 0.001,
    timeoutSeconds: 5,
    managementUrl: arm.url,
    getToken: defaultTokenProvider({ AZURE_TENANT_ID: 't-1', AZURE_CLIENT_ID: 'c-1', AZURE_CLIENT_SECRET: 's-1', AZURE_AUTHORITY_HOST: arm.url }),
    ...overrides,
  };
}

const EP = '/onlineEndpoints/iris-endpoint';

describe('azureml deploy', () => {
  it('creates environment, endpoint, deployment and traffic in order, waiting for each', async () => {
    const r = await deployAzureMl(options());
    expect(arm.changes()).toEqual([
      'PUT /environments/iris-endpoint-env/versions/N',
      `PUT ${EP}`,
      `PUT ${EP}/deployments/blue`,
      `PUT ${EP}`,
    ]);
    // a service principal token, fetched once and sent on every call, with the documented api-version
    expect(arm.requests.filter((q) => q.path === 'token')).toHaveLength(1);
    expect(arm.requests.find((q) => q.path === 'token')?.body).toMatchObject({ grant_type: 'client_credentials', client_id: 'c-1', scope: 'https://management.azure.com/.default' });
    const armCalls = arm.requests.filter((q) => q.path !== 'token');
    expect(armCalls.every((q) => q.auth === 'Bearer tok-123' && q.apiVersion === API_VERSION)).toBe(true);
    // each creation is polled until Succeeded before the next step
    const seq = armCalls.map((q) => `${q.method} ${q.path}`);
    expect(seq.indexOf(`PUT ${EP}/deployments/blue`)).toBeGreaterThan(seq.indexOf(`GET ${EP}`, seq.indexOf(`PUT ${EP}`) + 2));

    const env = arm.requests.find((q) => q.method === 'PUT' && q.path.startsWith('/environments'))?.body as { properties: Record<string, unknown> };
    expect(env.properties).toEqual({
      image: 'myacr.azurecr.io/iris:1',
      inferenceConfig: {
        livenessRoute: { path: '/ping', port: 8080 },
        readinessRoute: { path: '/ping', port: 8080 },
        scoringRoute: { path: '/invocations', port: 8080 },
      },
    });
    const dep = arm.requests.find((q) => q.method === 'PUT' && q.path.endsWith('/deployments/blue'))?.body as Record<string, never>;
    expect(dep.location).toBe('westeurope');
    expect(dep.sku).toEqual({ name: 'Default', capacity: 2 });
    expect(dep.properties).toMatchObject({ endpointComputeType: 'Managed', instanceType: 'Standard_DS3_v2', environmentId: r.environmentId });
    const traffic = arm.requests.filter((q) => q.method === 'PUT' && q.path === EP)[1].body as { properties: { traffic: unknown } };
    expect(traffic.properties.traffic).toEqual({ blue: 100 });
    expect(r.scoringUri).toBe('https://x/score');
  });

  it('rolls back deployment, endpoint and environment when the deployment fails to provision', async () => {
    arm.finalState['/deployments/blue'] = 'Failed';
    const err = (await deployAzureMl(options()).catch((e: unknown) => e)) as MlflowError;
    expect(err).toBeInstanceOf(MlflowError);
    expect(err.message).toMatch(/deployment blue reached status Failed/);
    expect(err.message).toMatch(/Rolled back: deployment blue; endpoint iris-endpoint; environment iris-endpoint-env:\d+/);
    expect(arm.changes()).toEqual([
      'PUT /environments/iris-endpoint-env/versions/N',
      `PUT ${EP}`,
      `PUT ${EP}/deployments/blue`,
      `DELETE ${EP}/deployments/blue`,
      `DELETE ${EP}`,
      'DELETE /environments/iris-endpoint-env/versions/N',
    ]);
  });

  it('rolls back when Azure refuses the deployment, and keeps its message', async () => {
    arm.failPut['/deployments/blue'] = 400;
    const err = (await deployAzureMl(options()).catch((e: unknown) => e)) as MlflowError;
    expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(err.message).toMatch(/PUT \/onlineEndpoints\/iris-endpoint\/deployments\/blue failed \(400\): BadRequest: The instance type is not available/);
    expect(arm.changes().slice(-2)).toEqual([`DELETE ${EP}`, 'DELETE /environments/iris-endpoint-env/versions/N']);
  });

  it('times out and rolls back', async () => {
    arm.finalState[EP] = 'Creating';
    const err = (await deployAzureMl(options({ timeoutSeconds: 0.05, pollSeconds: 0.01 })).catch((e: unknown) => e)) as MlflowError;
    expect(err.errorCode).toBe('DEADLINE_EXCEEDED');
    expect(arm.changes().slice(-2)).toEqual([`DELETE ${EP}`, 'DELETE /environments/iris-endpoint-env/versions/N']);
  });

  it('leaves an existing endpoint and its traffic alone, and deletes only what it created on failure', async () => {
    arm.resources.set(EP, { doc: { location: 'westeurope', properties: { traffic: { green: 100 } } }, polls: 0, final: 'Succeeded' });
    arm.finalState['/deployments/blue'] = 'Failed';
    await expect(deployAzureMl(options())).rejects.toThrow(/reached status Failed/);
    expect(arm.changes()).toEqual([
      'PUT /environments/iris-endpoint-env/versions/N',
      `PUT ${EP}/deployments/blue`,
      `DELETE ${EP}/deployments/blue`,
      'DELETE /environments/iris-endpoint-env/versions/N',
    ]);
  });

  describe('with a model URI', () => {
    const modelOptions = (o: Partial<AzureMlDeployOptions> = {}) => options({ modelUri: MODEL, blobServiceUrl: `${arm.url}/blob/acct1`, ...o });
    const PREFIX = /^\/azureml-blobstore-1\/mlflow-ts\/iris-endpoint\/\d+\/model\//;

    async function modelFiles(): Promise<string[]> {
      const entries = await readdir(MODEL, { recursive: true, withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => path.relative(MODEL, path.join(e.parentPath, e.name))).sort();
    }

    it('uploads the model to the default datastore, registers a model version and mounts it in the deployment', async () => {
      const r = await deployAzureMl(modelOptions());
      expect(arm.changes()).toEqual([
        'POST /datastores/workspaceblobstore/listSecrets',
        'PUT /models/iris-endpoint/versions/N',
        'PUT /environments/iris-endpoint-env/versions/N',
        `PUT ${EP}`,
        `PUT ${EP}/deployments/blue`,
        `PUT ${EP}`,
      ]);
      // every file of the model, byte for byte, as block blobs signed with the account key
      const files = await modelFiles();
      const puts = arm.blobRequests.filter((b) => b.method === 'PUT');
      expect(puts.map((b) => b.path.replace(PREFIX, ''))).toEqual(files);
      for (const b of puts) {
        expect(b.path).toMatch(PREFIX);
        expect(b.headers['x-ms-blob-type']).toBe('BlockBlob');
        expect(b.headers['x-ms-version']).toBe('2021-08-06');
        expect(b.headers.authorization).toMatch(/^SharedKey acct1:/);
        expect(arm.blobs.get(b.path)).toEqual(await readFile(path.join(MODEL, b.path.replace(PREFIX, ''))));
      }
      const version = /\/(\d+)\/model\//.exec(puts[0].path)?.[1];
      const model = arm.requests.find((q) => q.method === 'PUT' && q.path.startsWith('/models/'));
      expect(model?.path).toBe(`/models/iris-endpoint/versions/${version}`);
      expect(model?.body).toEqual({
        properties: {
          modelType: 'custom_model',
          modelUri: `azureml://subscriptions/sub-1/resourcegroups/rg-1/workspaces/ws-1/datastores/workspaceblobstore/paths/mlflow-ts/iris-endpoint/${version}/model`,
          description: 'MLflow model served by mlflow-ts',
        },
      });
      expect(r.modelId).toBe(`${WS}/models/iris-endpoint/versions/${version}`);
      const dep = arm.requests.find((q) => q.method === 'PUT' && q.path.endsWith('/deployments/blue'))?.body as { properties: Record<string, unknown> };
      expect(dep.properties.model).toBe(r.modelId);
    });

    it('rolls back the deployment, endpoint, environment, model version and uploaded files when the deployment fails', async () => {
      arm.finalState['/deployments/blue'] = 'Failed';
      const err = (await deployAzureMl(modelOptions({ modelName: 'iris-model' })).catch((e: unknown) => e)) as MlflowError;
      expect(err.message).toMatch(/deployment blue reached status Failed/);
      expect(err.message).toMatch(/Rolled back: deployment blue; endpoint iris-endpoint; environment iris-endpoint-env:\d+; model iris-model:\d+; uploaded model files under mlflow-ts\/iris-model\/\d+\/model/);
      expect(arm.changes().slice(-4)).toEqual([`DELETE ${EP}/deployments/blue`, `DELETE ${EP}`, 'DELETE /environments/iris-endpoint-env/versions/N', 'DELETE /models/iris-model/versions/N']);
      expect(arm.blobs.size).toBe(0);
      expect(arm.blobRequests.filter((b) => b.method === 'DELETE')).toHaveLength((await modelFiles()).length);
    });

    it('stops at a refused upload, naming the blob, and deletes the files already uploaded; nothing else was created', async () => {
      arm.failBlobPut = 2;
      const err = (await deployAzureMl(modelOptions()).catch((e: unknown) => e)) as MlflowError;
      expect(err.errorCode).toBe('PERMISSION_DENIED');
      expect(err.message).toMatch(/Azure Storage PUT http:\/\/127\.0\.0\.1:\d+\/blob\/acct1\/azureml-blobstore-1\/mlflow-ts\/iris-endpoint\/\d+\/model\/\S+ failed \(403\): AuthorizationPermissionMismatch/);
      expect(arm.changes()).toEqual(['POST /datastores/workspaceblobstore/listSecrets']);
      expect(arm.blobs.size).toBe(0);
    });

    it('uses a SAS token when the datastore holds one', async () => {
      arm.secrets = { secretsType: 'Sas', sasToken: 'sv=2021-08-06&sig=abc' };
      await deployAzureMl(modelOptions());
      const puts = arm.blobRequests.filter((b) => b.method === 'PUT');
      expect(puts.length).toBeGreaterThan(0);
      expect(puts.every((b) => b.query === '?sv=2021-08-06&sig=abc' && b.headers.authorization === undefined)).toBe(true);
    });

    it('uses an Entra ID token for Azure Storage when the datastore holds no secret', async () => {
      arm.secrets = {};
      await deployAzureMl(modelOptions({ getStorageToken: () => Promise.resolve('storage-tok') }));
      const puts = arm.blobRequests.filter((b) => b.method === 'PUT');
      expect(puts.every((b) => b.headers.authorization === 'Bearer storage-tok')).toBe(true);
    });

    it('refuses a model URI that does not exist, and a bad model name, before any request', async () => {
      await expect(deployAzureMl(modelOptions({ modelUri: '/no/such/model' }))).rejects.toThrow(/does not exist/);
      await expect(deployAzureMl(modelOptions({ modelName: 'bad name' }))).rejects.toThrow(/Invalid model name 'bad name'/);
      expect(arm.requests).toEqual([]);
      expect(arm.blobRequests).toEqual([]);
    });
  });

  describe('bad input is refused before any request', () => {
    it.each([
      ['an invalid endpoint name', { endpointName: 'x' }, /Invalid endpoint name 'x'/],
      ['an invalid image', { image: 'Not An Image' }, /Invalid image 'Not An Image'/],
      ['a missing subscription', { workspace: { subscriptionId: '', resourceGroup: 'rg', workspace: 'ws' } }, /No Azure ML subscription id/],
      ['a bad instance count', { instanceCount: 0 }, /Invalid instance count '0'/],
    ])('%s', async (_what, overrides, message) => {
      await expect(deployAzureMl(options(overrides as Partial<AzureMlDeployOptions>))).rejects.toThrow(message);
      expect(arm.requests).toEqual([]);
    });
  });
});

describe('azureml export', () => {
  it('writes the model and the YAML that az ml takes', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'azureml-export-'));
    try {
      const out = path.join(dir, 'out');
      await exportAzureMl({ modelUri: MODEL, outputDir: out, endpointName: 'iris-endpoint', image: 'myacr.azurecr.io/iris:1' });
      expect(await readFile(path.join(out, 'model/MLmodel'), 'utf8')).toContain('js_function');
      const deployment = parse(await readFile(path.join(out, 'deployment.yml'), 'utf8')) as Record<string, unknown>;
      expect(deployment).toMatchObject({
        $schema: 'https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json',
        name: 'default',
        endpoint_name: 'iris-endpoint',
        model: { path: 'model' },
        environment: { image: 'myacr.azurecr.io/iris:1', inference_config: { scoring_route: { path: '/invocations', port: 8080 } } },
        instance_type: 'Standard_DS3_v2',
        instance_count: 1,
      });
      expect(parse(await readFile(path.join(out, 'endpoint.yml'), 'utf8'))).toMatchObject({ name: 'iris-endpoint', auth_mode: 'key' });
      await expect(exportAzureMl({ modelUri: '/no/such/model', outputDir: path.join(dir, 'o2'), endpointName: 'iris-endpoint', image: 'a/b' })).rejects.toThrow(/does not exist/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
