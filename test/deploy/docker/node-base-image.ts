import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onPath, type ContainerTool } from '../../../src/deploy/docker/index.js';
import { runChecked, runCommand } from '../../../src/deploy/run-command.js';

/** The local stand-in for node:20-bookworm-slim: no image registry is reachable on these machines. */
export const TEST_BASE_IMAGE = 'localhost/mlflow-ts-test-node-base:bookworm';

/** Why the container test cannot run here, or undefined when it can. */
export async function containerTestSkipReason(tool: ContainerTool | undefined): Promise<string | undefined> {
  if (tool === undefined) return 'no container tool (docker engine, podman or buildah); scripts/install-deploy-deps.sh installs podman';
  if (tool.name !== 'podman') return `the container test drives podman; found ${tool.name}`;
  if (await baseImageExists(tool)) return undefined;
  if (!onPath('debootstrap')) return 'debootstrap is missing (scripts/install-deploy-deps.sh installs it) and the base image is not cached';
  return undefined;
}

async function baseImageExists(tool: ContainerTool): Promise<boolean> {
  return (await runCommand(tool.name, [...tool.globalArgs, 'image', 'exists', TEST_BASE_IMAGE])).code === 0;
}

/**
 * Builds the base image once and keeps it (debootstrap takes minutes): Debian bookworm minbase
 * from Debian's mirror plus this machine's node binary, imported as a local image.
 */
export async function ensureNodeBaseImage(tool: ContainerTool): Promise<void> {
  if (await baseImageExists(tool)) return;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-base-'));
  try {
    const rootfs = path.join(tmp, 'rootfs');
    await runChecked('debootstrap', 'debootstrap', ['--variant=minbase', 'bookworm', rootfs, 'http://deb.debian.org/debian']);
    const node = process.execPath;
    const target = path.join(rootfs, 'usr/local/bin/node');
    // Debug symbols are a tenth of node's binary and never used by a server.
    if (onPath('strip')) await runChecked('strip node', 'strip', ['-o', target, node]);
    else await copyFile(node, target);
    for (const dir of ['usr/share/doc', 'usr/share/man', 'usr/share/locale', 'usr/share/info']) {
      const p = path.join(rootfs, dir);
      if (existsSync(p)) await rm(p, { recursive: true, force: true });
    }
    // Downloaded .debs and package lists: files only, so `apt-get update` still works in the image.
    for (const dir of ['var/cache/apt', 'var/lib/apt/lists']) {
      await runChecked('clean apt caches', 'find', [path.join(rootfs, dir), '-type', 'f', '-delete']);
    }
    const tar = path.join(tmp, 'rootfs.tar');
    await runChecked('tar the base image', 'tar', ['-C', rootfs, '-cf', tar, '.']);
    await runChecked('podman import', tool.name, [...tool.globalArgs, 'import', tar, TEST_BASE_IMAGE]);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
