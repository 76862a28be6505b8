import { MlflowError } from '../errors.js';

/**
 * Undo steps for what a deployment created, run newest first when a later step fails, so a
 * failed deployment leaves nothing behind. An undo step that fails is reported, not hidden.
 */
export class Rollback {
  private readonly steps: { what: string; undo: () => Promise<unknown> }[] = [];

  add(what: string, undo: () => Promise<unknown>): void {
    this.steps.push({ what, undo });
  }

  /** Runs the undo steps and returns an error naming the failure and what was rolled back. */
  async run(failure: unknown): Promise<MlflowError> {
    const undone: string[] = [];
    const failed: string[] = [];
    for (const step of this.steps.reverse()) {
      try {
        await step.undo();
        undone.push(step.what);
      } catch (e) {
        failed.push(`${step.what} (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    this.steps.length = 0;
    const cause = failure instanceof Error ? failure : new Error(String(failure));
    const code = failure instanceof MlflowError ? failure.errorCode : 'INTERNAL_ERROR';
    let message = cause.message;
    if (undone.length > 0) message += `\nRolled back: ${undone.join('; ')}`;
    if (failed.length > 0) message += `\nCould not roll back (delete these by hand): ${failed.join('; ')}`;
    return new MlflowError(message, code, { cause: failure });
  }
}
