import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { ContainerClient, ContainerSASPermissions, StorageSharedKeyCredential, generateBlobSASQueryParameters } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API_VERSION, defaultTokenProvider, deployAzureMl, exportAzureMl, type AzureMlDeployOptions } from '../../../src/deploy/azureml/index.js';
import { MlflowError } from '../../../src/errors.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, Azurite } from '../../store/azurite.js';

const MODEL = path.resolve(import.meta.dirname, '../../../examples/iris-js');
const WS = '/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws-1';
const CONTAINER = 'azureml-blobstore-1';
const run = promisify(execFile);

interface Recorded { method: string; path: string; body?: Record<string, unknown>; auth?: string; apiVersion?: string | null }

/** A stand-in for Azure Resource Manager: resources in memory, each Creating for one poll, then Succeeded. */
class FakeArm {
  requests: Recorded[] = [];
  /** Blob requests (passed on to Azurite under /<account>/...), each with the headers it came with. */
  blobRequests: { method: string; path: string; query: string; headers: http.IncomingHttpHeaders }[] = [];
  /** Where blob requests go: Azurite's port. */
  blobPort = 0;
  /** What listSecrets answers for the default datastore. */
  secrets: Record<string, unknown> = { secretsType: 'AccountKey', key: AZURITE_KEY };
  /** Answer the n-th blob PUT (1-based) with 403 instead of passing it on. */
  failBlobPut = 0;
  /** Managed identity token requests (App Service's IDENTITY_ENDPOINT protocol). */
  tokenRequests: { resource: string | null; header?: string }[] = [];
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
    if (u.pathname.startsWith(`/${AZURITE_ACCOUNT}/`)) return this.handleBlob(req, res, u, Buffer.concat(chunks));
    if (u.pathname === '/msi/token') {
      this.tokenRequests.push({ resource: u.searchParams.get('resource'), header: req.headers['x-identity-header'] as string | undefined });
      const expiresOn = String(Math.floor(Date.now() / 1000) + 3600);
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'tok-123', expires_on: expiresOn, resource: u.searchParams.get('resource'), token_type: 'Bearer' }));
    }
    const p = u.pathname.startsWith(WS) ? u.pathname.slice(WS.length) : u.pathname;
    this.requests.push({ method, path: p, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined, auth: req.headers.authorization, apiVersion: u.searchParams.get('api-version') });
    const json = (status: number, doc: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
    if (p === '') return json(200, { name: 'ws-1', location: 'westeurope' });
    if (p === '/datastores' && u.searchParams.get('isDefault') === 'true') {
      return json(200, { value: [{ name: 'workspaceblobstore', properties: { datastoreType: 'AzureBlob', accountName: AZURITE_ACCOUNT, containerName: CONTAINER, endpoint: 'core.windows.net', protocol: 'https', isDefault: true, credentials: { credentialsType: this.secrets.secretsType ?? 'None' } } }] });
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

  /** Passes a blob request on to Azurite as it came (a Shared Key signature covers the path, not the host), or fails it. */
  handleBlob(req: http.IncomingMessage, res: http.ServerResponse, u: URL, body: Buffer): void {
    const method = req.method ?? 'GET';
    this.blobRequests.push({ method, path: decodeURIComponent(u.pathname.slice(`/${AZURITE_ACCOUNT}/${CONTAINER}`.length)), query: u.search, headers: req.headers });
    if (method === 'PUT' && this.blobRequests.filter((r) => r.method === 'PUT').length === this.failBlobPut) {
      return void res
        .writeHead(403, { 'content-type': 'application/xml', 'x-ms-error-code': 'AuthorizationPermissionMismatch' })
        .end('<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>x</Message></Error>');
    }
    const upstream = http.request({ host: '127.0.0.1', port: this.blobPort, method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.end(body);
  }

  /** "METHOD /path" of every ARM request but the status polls. */
  changes(): string[] {
    return this.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path.replace(/versions\/\d+/, 'versions/N')}`);
  }
}

const arm = new FakeArm();
const azurite = new Azurite();
/** The default datastore's container, read directly. */
let datastore: ContainerClient;
const IDENTITY_ENV = ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_FEDERATED_TOKEN_FILE', 'MSI_ENDPOINT'];
const savedEnv: Record<string, string | undefined> = {};
beforeAll(async () => {
  await new Promise<void>((r) => arm.server.listen(0, '127.0.0.1', r));
  arm.url = `http://127.0.0.1:${(arm.server.address() as AddressInfo).port}`;
  const blobUrl = await azurite.start();
  arm.blobPort = Number(new URL(blobUrl).port);
  datastore = new ContainerClient(`${blobUrl}/${CONTAINER}`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
  await datastore.create();
  // DefaultAzureCredential finds a managed identity here (App Service's protocol): this fake ARM hands out its tokens.
  for (const k of IDENTITY_ENV) savedEnv[k] = process.env[k];
  for (const k of IDENTITY_ENV) delete process.env[k];
  process.env.IDENTITY_ENDPOINT = `${arm.url}/msi/token`;
  process.env.IDENTITY_HEADER = 'identity-header-secret';
}, 60_000);
afterAll(async () => {
  for (const k of IDENTITY_ENV) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  await azurite.stop();
  await new Promise<void>((r) => arm.server.close(() => r()));
});

/** Every blob under the model prefix, by name, read back from Azurite. */
async function storedBlobs(): Promise<Map<string, Buffer>> {
  const blobs = new Map<string, Buffer>();
  for await (const b of datastore.listBlobsFlat({ prefix: 'mlflow-ts/' })) blobs.set(b.name, await datastore.getBlockBlobClient(b.name).downloadToBuffer());
  return blobs;
}
beforeEach(async () => {
  for await (const b of datastore.listBlobsFlat()) await datastore.deleteBlob(b.name);
  arm.requests = [];
  arm.resources.clear();
  arm.finalState = {};
  arm.failPut = {};
  arm.blobRequests = [];
  arm.tokenRequests = [];
  arm.secrets = { secretsType: 'AccountKey', key: AZURITE_KEY };
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
    getToken: defaultTokenProvider(),
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
    // DefaultAzureCredential's managed identity token for ARM (cached across calls), sent on every call, with the documented api-version
    expect(arm.tokenRequests.length).toBeLessThanOrEqual(1);
    expect(arm.tokenRequests.every((t) => t.resource === 'https://management.azure.com' && t.header === 'identity-header-secret')).toBe(true);
    const armCalls = arm.requests;
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
    const modelOptions = (o: Partial<AzureMlDeployOptions> = {}) => options({ modelUri: MODEL, blobServiceUrl: `${arm.url}/${AZURITE_ACCOUNT}`, ...o });
    const PREFIX = /^mlflow-ts\/iris-endpoint\/\d+\/model\//;

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
      // every file of the model, byte for byte, in the datastore's container, each in one Put Blob signed with the account key
      const files = await modelFiles();
      const stored = await storedBlobs();
      expect([...stored.keys()].map((name) => name.replace(PREFIX, '')).sort()).toEqual(files);
      for (const [name, data] of stored) {
        expect(name).toMatch(PREFIX);
        expect(data).toEqual(await readFile(path.join(MODEL, name.replace(PREFIX, ''))));
      }
      const puts = arm.blobRequests.filter((b) => b.method === 'PUT');
      expect(puts).toHaveLength(files.length);
      expect(puts.every((b) => b.headers['x-ms-blob-type'] === 'BlockBlob' && String(b.headers.authorization).startsWith(`SharedKey ${AZURITE_ACCOUNT}:`))).toBe(true);
      const version = /\/(\d+)\/model\//.exec([...stored.keys()][0])?.[1];
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
      expect((await storedBlobs()).size).toBe(0);
      expect(arm.blobRequests.filter((b) => b.method === 'DELETE')).toHaveLength((await modelFiles()).length);
    });

    it('stops at a refused upload, naming the blob, and deletes the files already uploaded; nothing else was created', async () => {
      arm.failBlobPut = 2;
      const err = (await deployAzureMl(modelOptions()).catch((e: unknown) => e)) as MlflowError;
      expect(err.errorCode).toBe('PERMISSION_DENIED');
      expect(err.message).toMatch(/Azure Storage PUT http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/azureml-blobstore-1\/mlflow-ts\/iris-endpoint\/\d+\/model\/\S+ failed \(403\): AuthorizationPermissionMismatch/);
      expect(arm.changes()).toEqual(['POST /datastores/workspaceblobstore/listSecrets']);
      // the first file went up, and was deleted again
      expect(arm.blobRequests.map((b) => b.method)).toEqual(['PUT', 'PUT', 'DELETE']);
      expect((await storedBlobs()).size).toBe(0);
    });

    it('uses a SAS token when the datastore holds one', async () => {
      const sasToken = generateBlobSASQueryParameters(
        { containerName: CONTAINER, permissions: ContainerSASPermissions.parse('rcwd'), expiresOn: new Date(Date.now() + 3_600_000) },
        new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
      ).toString();
      arm.secrets = { secretsType: 'Sas', sasToken };
      await deployAzureMl(modelOptions());
      const puts = arm.blobRequests.filter((b) => b.method === 'PUT');
      expect(puts).toHaveLength((await modelFiles()).length);
      expect(puts.every((b) => b.query === `?${sasToken}` && b.headers.authorization === undefined)).toBe(true);
      expect((await storedBlobs()).size).toBe(puts.length);
    });

    it('uses an Entra ID token for Azure Storage when the datastore holds no secret (Azurite over HTTPS with OAuth)', async () => {
      // The SDK sends bearer tokens over HTTPS only, so this Azurite serves a certificate made here, trusted for this test alone.
      const dir = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-azurite-tls-'));
      const cert = path.join(dir, 'cert.pem');
      const key = path.join(dir, 'key.pem');
      await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
      const secure = new Azurite({ tls: { cert, key }, oauth: true });
      const savedTls = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
      try {
        const url = await secure.start();
        const container = new ContainerClient(`${url}/${CONTAINER}`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
        await container.create();
        arm.secrets = {};
        const scopes: string[] = [];
        // An Entra ID access token as Azure Storage's audience sees it (Azurite checks these claims, not the signature).
        const now = Math.floor(Date.now() / 1000);
        const claims = { aud: 'https://storage.azure.com', iss: 'https://sts.windows.net/ab1f708d-50f6-404c-a006-d71b2ac7a606/', iat: now, nbf: now - 60, exp: now + 3600, oid: 'test' };
        const jwt = [{ alg: 'RS256', typ: 'JWT' }, claims].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.c2ln';
        await deployAzureMl(modelOptions({ blobServiceUrl: url, getStorageToken: () => (scopes.push('storage'), Promise.resolve(jwt)) }));
        const names: string[] = [];
        for await (const b of container.listBlobsFlat({ prefix: 'mlflow-ts/' })) names.push(b.name.replace(PREFIX, ''));
        expect(names.sort()).toEqual(await modelFiles());
        expect(scopes.length).toBeGreaterThan(0);
      } finally {
        if (savedTls === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
        else process.env.NODE_TLS_REJECT_UNAUTHORIZED = savedTls;
        await secure.stop();
        await rm(dir, { recursive: true, force: true });
      }
    }, 60_000);

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
