import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, detectContainerTool, formatBytes, type ContainerTool } from '../../../src/deploy/docker/index.js';
import { runChecked, runCommand } from '../../../src/deploy/run-command.js';
import { runLocal } from '../../../src/deploy/sagemaker/index.js';
import { containerTestSkipReason, ensureNodeBaseImage, TEST_BASE_IMAGE } from './node-base-image.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const EXAMPLE = path.join(ROOT, 'examples/iris-js');
const IMAGE = 'localhost/mlflow-ts-test-iris:latest';
const CONTAINER = `mlflow-ts-test-iris-${process.pid}`;

const tool: ContainerTool | undefined = await detectContainerTool().catch(() => undefined);
const skipReason = await containerTestSkipReason(tool);
if (skipReason) console.warn(`skipping the container image test: ${skipReason}`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForPing(url: string, deadlineMs: number): Promise<Response> {
  for (;;) {
    const res = await fetch(url).catch(() => undefined);
    if (res?.ok) return res;
    if (Date.now() > deadlineMs) throw new Error(`${url} did not answer in time`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(skipReason !== undefined)('models build-docker with podman', () => {
  const t = tool as ContainerTool;
  const podman = (args: string[]) => runCommand(t.name, [...t.globalArgs, ...args]);

  beforeAll(async () => {
    // The image packs dist/: `npm test` builds it first; a bare vitest run builds it here.
    if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) {
      await runCommand('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
    }
    await ensureNodeBaseImage(t);
  }, 480_000);

  afterAll(async () => {
    if (skipReason) return;
    await podman(['rm', '-f', CONTAINER]);
    await podman(['rm', '-f', `${CONTAINER}-local`]);
    await podman(['rmi', '-f', IMAGE]);
  });

  it('builds examples/iris-js, serves /ping and /invocations, and stops cleanly on SIGTERM', async () => {
    const built = await buildImage({ modelUri: EXAMPLE, imageName: IMAGE, baseImage: TEST_BASE_IMAGE, tool: t });
    console.log(`image ${IMAGE}: ${formatBytes(built.sizeBytes)} (${built.sizeBytes} bytes)`);
    expect(built.python).toBe(false);
    expect(built.sizeBytes).toBeGreaterThan(0);

    const user = await runChecked('inspect', t.name, [...t.globalArgs, 'image', 'inspect', '--format', '{{.Config.User}}', IMAGE]);
    expect(user.stdout.trim()).not.toMatch(/^(|root|0(:0)?)$/);

    const port = await freePort();
    await runChecked('podman run', t.name, [
      ...t.globalArgs, 'run', '-d', ...t.limitArgs, '--name', CONTAINER, '-p', `127.0.0.1:${port}:8080`, IMAGE, 'serve',
    ]);
    const ping = await waitForPing(`http://127.0.0.1:${port}/ping`, Date.now() + 60_000);
    expect(ping.status).toBe(200);

    const body = await readFile(path.join(EXAMPLE, 'serving_input_example.json'), 'utf8');
    const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ predictions: [0, 2] });

    // `podman stop` sends SIGTERM and waits; a server that ignored it would be killed after 20 s.
    const started = Date.now();
    await runChecked('podman stop', t.name, [...t.globalArgs, 'stop', '-t', '20', CONTAINER]);
    expect(Date.now() - started).toBeLessThan(15_000);
    const exit = await podman(['inspect', '--format', '{{.State.ExitCode}}', CONTAINER]);
    expect(exit.stdout.trim()).toBe('0');
    const logs = await podman(['logs', CONTAINER]);
    expect(logs.stdout + logs.stderr).toContain('scoring server stopped');
  }, 300_000);

  it('sagemaker run-local serves a model mounted at /opt/ml/model and returns when the container stops', async () => {
    const port = await freePort();
    const name = `${CONTAINER}-local`;
    const running = runLocal({ modelUri: EXAMPLE, port, image: IMAGE, tool: t, containerName: name });
    await waitForPing(`http://127.0.0.1:${port}/ping`, Date.now() + 60_000);
    const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: await readFile(path.join(EXAMPLE, 'serving_input_example.json'), 'utf8'),
    });
    expect(await res.json()).toEqual({ predictions: [0, 2] });
    await runChecked('podman stop', t.name, [...t.globalArgs, 'stop', '-t', '20', name]);
    await expect(running).resolves.toBeUndefined();
  }, 120_000);
});
