import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateRepositoryCommand, DescribeRepositoriesCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, detectContainerTool, type ContainerTool } from '../../../src/deploy/docker/index.js';
import { runCommand } from '../../../src/deploy/run-command.js';
import { buildAndPushContainer } from '../../../src/deploy/sagemaker/index.js';
import { containerTestSkipReason, ensureNodeBaseImage, TEST_BASE_IMAGE } from '../docker/node-base-image.js';
import { freePort, waitForUrl } from '../docker/wait-for-url.js';

/** Debian's docker-registry package: the CNCF distribution registry, standing in for ECR. */
const REGISTRY_BIN = '/usr/bin/docker-registry';
const ROOT = path.resolve(import.meta.dirname, '../../..');
const IMAGE = 'localhost/mlflow-ts-test-push:v1';
const PASSWORD = 'ecr-test-password';
/** bcrypt of PASSWORD for the registry's htpasswd file (made with Python's crypt, METHOD_BLOWFISH). */
const PASSWORD_BCRYPT = '$2b$12$qQz4JtdIXjerS7UwhQwQAOT11z45i/LVEdDj74n5p20zGkUooX7Se';

const tool: ContainerTool | undefined = await detectContainerTool().catch(() => undefined);
const skipReason = existsSync(REGISTRY_BIN)
  ? await containerTestSkipReason(tool)
  : `${REGISTRY_BIN} is missing (scripts/install-deploy-deps.sh installs docker-registry)`;
if (skipReason) console.warn(`skipping the ECR push test: ${skipReason}`);

const ecr = mockClient(ECRClient);

describe.skipIf(skipReason !== undefined)('sagemaker build-and-push-container to a registry', () => {
  const t = tool as ContainerTool;
  let tmp: string;
  let registry: ChildProcess | undefined;
  let registryUrl: string;
  let registryLog = '';
  const savedAuthFile = process.env.REGISTRY_AUTH_FILE;

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist/bundle/cli.js'))) {
      await runCommand('npm', ['run', 'build'], { cwd: ROOT });
    }
    await ensureNodeBaseImage(t);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-registry-'));
    // podman login writes here instead of the machine's auth.json.
    process.env.REGISTRY_AUTH_FILE = path.join(tmp, 'auth.json');
    const port = await freePort();
    registryUrl = `http://127.0.0.1:${port}`;
    await writeFile(path.join(tmp, 'htpasswd'), `AWS:${PASSWORD_BCRYPT}\n`);
    await writeFile(
      path.join(tmp, 'config.yml'),
      [
        'version: 0.1',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${path.join(tmp, 'storage')}`,
        'http:',
        `  addr: 127.0.0.1:${port}`,
        'auth:',
        '  htpasswd:',
        '    realm: test-registry',
        `    path: ${path.join(tmp, 'htpasswd')}`,
        '',
      ].join('\n'),
    );
    // The registry reads REGISTRY_* variables as configuration (REGISTRY_AUTH_FILE would be `auth.file`).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
    registry = spawn(REGISTRY_BIN, ['serve', path.join(tmp, 'config.yml')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    registry.stdout?.on('data', (d: Buffer) => (registryLog += d.toString()));
    registry.stderr?.on('data', (d: Buffer) => (registryLog += d.toString()));
    // /v2/ answers 401 without credentials once the registry is up.
    await waitForUrl(`${registryUrl}/v2/`, Date.now() + 30_000, (status) => status === 401).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\nregistry log:\n${registryLog.slice(-2000)}`);
    });
  }, 480_000);

  afterAll(async () => {
    registry?.kill('SIGTERM');
    const remote = `127.0.0.1:${new URL(registryUrl).port}/mlflow-ts-test-push:v1`;
    await runCommand(t.name, [...t.globalArgs, 'rmi', '-f', IMAGE, remote]);
    if (savedAuthFile === undefined) delete process.env.REGISTRY_AUTH_FILE;
    else process.env.REGISTRY_AUTH_FILE = savedAuthFile;
    ecr.restore();
    await rm(tmp, { recursive: true, force: true });
  });

  it('creates the missing repository, logs in with the ECR token and pushes to the proxy endpoint', async () => {
    // A small image (a natively scored model: no tfjs) keeps the push short; building the
    // model-less image build-and-push makes is the same buildImage the container test runs.
    await buildImage({ modelUri: path.join(ROOT, 'examples/iris-sklearn'), imageName: IMAGE, baseImage: TEST_BASE_IMAGE, tool: t });
    const calls: string[] = [];
    ecr.on(GetAuthorizationTokenCommand).callsFake(() => {
      calls.push('GetAuthorizationToken');
      return Promise.resolve({ authorizationData: [{ authorizationToken: Buffer.from(`AWS:${PASSWORD}`).toString('base64'), proxyEndpoint: registryUrl }] });
    });
    ecr.on(DescribeRepositoriesCommand).callsFake((input: { repositoryNames?: string[] }) => {
      calls.push(`DescribeRepositories ${input.repositoryNames?.join(',')}`);
      return Promise.reject(Object.assign(new Error('The repository does not exist'), { name: 'RepositoryNotFoundException' }));
    });
    ecr.on(CreateRepositoryCommand).callsFake((input: { repositoryName?: string }) => {
      calls.push(`CreateRepository ${input.repositoryName}`);
      return Promise.resolve({ repository: { repositoryName: input.repositoryName } });
    });

    const remote = await buildAndPushContainer({ imageName: IMAGE, region: 'eu-west-1', tool: t, skipBuild: true }).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\nregistry log:\n${registryLog.slice(-2000)}`);
    });
    expect(remote).toBe(`127.0.0.1:${new URL(registryUrl).port}/mlflow-ts-test-push:v1`);
    expect(calls).toEqual(['GetAuthorizationToken', 'DescribeRepositories mlflow-ts-test-push', 'CreateRepository mlflow-ts-test-push']);

    // The registry holds the tag, behind the credentials from the token.
    const auth = `Basic ${Buffer.from(`AWS:${PASSWORD}`).toString('base64')}`;
    const tags = await fetch(`${registryUrl}/v2/mlflow-ts-test-push/tags/list`, { headers: { authorization: auth } });
    expect(tags.status).toBe(200);
    expect(await tags.json()).toEqual({ name: 'mlflow-ts-test-push', tags: ['v1'] });
    expect((await fetch(`${registryUrl}/v2/mlflow-ts-test-push/tags/list`)).status).toBe(401);
    // and its manifest: the pushed image's layers, the serving entrypoint in its config
    const manifest = await fetch(`${registryUrl}/v2/mlflow-ts-test-push/manifests/v1`, {
      headers: { authorization: auth, accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
    });
    const doc = (await manifest.json()) as { layers: unknown[]; config: { digest: string } };
    expect(doc.layers.length).toBeGreaterThan(1);
    const config = (await (await fetch(`${registryUrl}/v2/mlflow-ts-test-push/blobs/${doc.config.digest}`, { headers: { authorization: auth } })).json()) as {
      config: { Entrypoint: string[]; Cmd: string[] };
    };
    expect(config.config.Entrypoint).toEqual(['/opt/mlflow-ts/entrypoint.sh']);
    expect(config.config.Cmd).toEqual(['serve']);
  }, 480_000);

  it('stops at a failed ECR call, naming it, before logging in or pushing', async () => {
    ecr.reset();
    ecr.on(GetAuthorizationTokenCommand).rejects(Object.assign(new Error('User is not authorized to perform ecr:GetAuthorizationToken'), { name: 'AccessDeniedException' }));
    await expect(buildAndPushContainer({ imageName: IMAGE, region: 'eu-west-1', tool: t, skipBuild: true })).rejects.toThrow(
      /ECR GetAuthorizationToken failed: AccessDeniedException: User is not authorized/,
    );
  });
});
