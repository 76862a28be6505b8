import { existsSync } from 'node:fs';
import path from 'node:path';
import { MlflowError } from '../../errors.js';
import { runCommand } from '../run-command.js';

export type ContainerToolName = 'docker' | 'podman' | 'buildah';

/** A container CLI and the flags this machine needs with it. */
export interface ContainerTool {
  name: ContainerToolName;
  /** Flags that go before the subcommand (podman's --runtime, --cgroup-manager). */
  globalArgs: string[];
  /** Flags for `build` and `run` (podman's ulimits). */
  limitArgs: string[];
}

/** Podman's default open-file limit is above what many hosts' hard limit allows, failing every container start. */
const PODMAN_LIMITS = ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=32768:32768'];

/**
 * The container tool to build and run images with: MLFLOW_TS_CONTAINER_TOOL if set, else docker
 * when a Docker engine answers, else podman, else buildah (both need no daemon).
 */
export async function detectContainerTool(env: NodeJS.ProcessEnv = process.env): Promise<ContainerTool> {
  const forced = env.MLFLOW_TS_CONTAINER_TOOL;
  if (forced !== undefined && forced !== '') {
    if (forced !== 'docker' && forced !== 'podman' && forced !== 'buildah') {
      throw new MlflowError(`MLFLOW_TS_CONTAINER_TOOL is '${forced}'; expected docker, podman or buildah`, 'INVALID_PARAMETER_VALUE');
    }
    if (!onPath(forced, env)) throw new MlflowError(`MLFLOW_TS_CONTAINER_TOOL names '${forced}', which is not on PATH`, 'INVALID_STATE');
    return toolFor(forced, env);
  }
  if (onPath('docker', env) && (await runCommand('docker', ['info'], { env }).catch(() => undefined))?.code === 0) {
    return toolFor('docker', env);
  }
  if (onPath('podman', env)) return toolFor('podman', env);
  if (onPath('buildah', env)) return toolFor('buildah', env);
  throw new MlflowError(
    'No container tool found: a Docker engine does not answer `docker info`, and neither podman nor buildah is on PATH',
    'INVALID_STATE',
  );
}

function toolFor(name: ContainerToolName, env: NodeJS.ProcessEnv): ContainerTool {
  if (name === 'docker') return { name, globalArgs: [], limitArgs: [] };
  // crun fails on kernels with hybrid cgroups; runc works everywhere podman does.
  const runtime = onPath('runc', env) ? ['--runtime', 'runc'] : [];
  // buildah takes --runtime per build; podman takes it, and the cgroup manager, globally.
  if (name === 'buildah') return { name, globalArgs: [], limitArgs: [...runtime, ...PODMAN_LIMITS] };
  const globalArgs = [...runtime];
  // Without systemd as init, podman's default systemd cgroup manager cannot start containers.
  if (!existsSync('/run/systemd/system')) globalArgs.push('--cgroup-manager', 'cgroupfs');
  return { name, globalArgs, limitArgs: PODMAN_LIMITS };
}

export function onPath(program: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && existsSync(path.join(dir, program)));
}
