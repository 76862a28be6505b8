import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API_VERSION, defaultTokenProvider, deployAzureMl, exportAzureMl, type AzureMlDeployOptions } from '../../../src/deploy/azureml/index.js';
import { MlflowError } from '../../../src/errors.js';

const MODEL = path.resolve(import.meta.dirname, '../../../examples/iris-js');
const WS = '/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws-1';

interface Recorded { method: string; path: string; body?: Record<string, unknown>; auth?: string; apiVersion?: string | null }

/** A stand-in for Azure Resource Manager: resources in memory, each Creating for one poll, then Succeeded. */
class FakeArm {
  requests: Recorded[] = [];
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
    if (u.pathname.endsWith('/oauth2/v2.0/token')) {
      this.requests.push({ method, path: 'token', body: Object.fromEntries(new URLSearchParams(text)) });
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'tok-123', expires_in: 3600 }));
    }
    const p = u.pathname.startsWith(WS) ? u.pathname.slice(WS.length) : u.pathname;
    this.requests.push({ method, path: p, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined, auth: req.headers.authorization, apiVersion: u.searchParams.get('api-version') });
    const json = (status: number, doc: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
    if (p === '') return json(200, { name: 'ws-1', location: 'westeurope' });
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

  /** "METHOD /path" of every ARM request but the status polls. */
  changes(): string[] {
    return this.requests.filter((r) => r.method !== 'GET' && r.path !== 'token').map((r) => `${r.method} ${r.path.replace(/versions\/\d+/, 'versions/N')}`);
  }
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
