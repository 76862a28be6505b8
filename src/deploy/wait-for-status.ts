import { MlflowError } from '../errors.js';

export interface WaitOptions {
  /** e.g. "endpoint my-app", for messages. */
  what: string;
  describe: () => Promise<{ status: string; reason?: string }>;
  done: string[];
  failed: string[];
  timeoutSeconds: number;
  pollSeconds: number;
  onProgress?: (message: string) => void;
}

/** Polls a cloud resource until it reaches a done or failed status, or the timeout passes. */
export async function waitForStatus(o: WaitOptions): Promise<string> {
  const deadline = Date.now() + o.timeoutSeconds * 1000;
  const started = Date.now();
  for (;;) {
    const { status, reason } = await o.describe();
    o.onProgress?.(`${o.what}: ${status} after ${Math.round((Date.now() - started) / 1000)} s`);
    if (o.done.includes(status)) return status;
    if (o.failed.includes(status)) {
      throw new MlflowError(`${o.what} reached status ${status}${reason ? `: ${reason}` : ''}`, 'INVALID_STATE');
    }
    if (Date.now() + o.pollSeconds * 1000 > deadline) {
      throw new MlflowError(`Timed out after ${o.timeoutSeconds} s waiting for ${o.what} (last status ${status})`, 'DEADLINE_EXCEEDED');
    }
    await new Promise((r) => setTimeout(r, o.pollSeconds * 1000));
  }
}
