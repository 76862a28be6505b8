import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI from source, run in a process of its own. */
export const cli = fileURLToPath(new URL('./run-cli.ts', import.meta.url));

/**
 * Starts `mlflow-ts <args>` and resolves with the port from its 'listening' log lines, and the
 * lines of stderr that are not log lines (warnings) seen until then.
 */
export function startServe(args: string[], env: Record<string, string> = {}, listeners = 1): Promise<{ child: ChildProcess; ports: number[]; otherLines: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const ports: number[] = [];
    const otherLines: string[] = [];
    let buffered = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.msg === 'scoring server listening' && entry.port) ports.push(entry.port);
        } catch {
          otherLines.push(line);
        }
        if (ports.length === listeners) resolve({ child, ports, otherLines });
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${[...otherLines, buffered].join('\n')}`)));
  });
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}
