/**
 * Where a library function reports something the user should know but that does not stop it
 * (e.g. "not supported natively; loading with the Python bridge"): one line per warning.
 */
export type WarningSink = (message: string) => void;

/** The default sink: the line on stderr, so stdout keeps only the command's output. */
export function warnOnStderr(message: string): void {
  process.stderr.write(`${message.replace(/\s*\n\s*/g, ' ')}\n`);
}
