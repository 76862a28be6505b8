import { spawn } from 'node:child_process';
import { MlflowError } from '../errors.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Text written to the command's standard input. */
  input?: string;
  /** Receives the command's output as it comes (a long build shows its progress). */
  onOutput?: (chunk: string) => void;
}

/** Runs a program without a shell (arguments are never re-parsed) and collects its output. */
export function runCommand(cmd: string, args: string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      options.onOutput?.(d);
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      options.onOutput?.(d);
    });
    child.on('error', (err) => reject(new MlflowError(`Could not run '${cmd}': ${err.message}`, 'INVALID_STATE', { cause: err })));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like runCommand, but a non-zero exit is an MlflowError naming the step and the output's end. */
export async function runChecked(what: string, cmd: string, args: string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const result = await runCommand(cmd, args, options);
  if (result.code !== 0) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n');
    throw new MlflowError(`${what} failed ('${cmd} ${args.join(' ')}' exited with ${result.code}):\n${tail}`, 'INVALID_STATE');
  }
  return result;
}
