import { mkdtempSync, rmSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Where remote artifacts land. MLflow downloads a model into a new temporary folder on every
 * load and never removes it; here each load also gets a new folder, but all of them live under
 * one folder per process that is removed when the process exits.
 */
let processRoot: string | undefined;

/** The per-process folder of downloads, made on first use and removed at exit. */
export function downloadsRoot(): string {
  if (processRoot === undefined) {
    const root = mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-downloads-'));
    processRoot = root;
    // Sync on purpose: 'exit' handlers cannot await. A process killed by a signal it does not
    // handle skips this, as it skips every exit handler.
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  }
  return processRoot;
}

/**
 * Runs `fill(dir)` on a new empty folder and returns the folder the files ended up in: `dstDir`
 * when given (entries with the same names are replaced there, as MLflow overwrites them), else
 * a new folder under downloadsRoot(). When `fill` fails, everything it wrote is removed, so a
 * failed download never leaves a half-written model behind.
 */
export async function downloadInto(dstDir: string | undefined, fill: (dir: string) => Promise<void>): Promise<string> {
  if (dstDir === undefined) {
    const dir = await fs.mkdtemp(path.join(downloadsRoot(), 'artifacts-'));
    try {
      await fill(dir);
    } catch (err) {
      await fs.rm(dir, { recursive: true, force: true });
      throw err;
    }
    return dir;
  }
  const dst = path.resolve(dstDir);
  const created = await fs.mkdir(dst, { recursive: true });
  const staging = await fs.mkdtemp(path.join(dst, '.mlflow-ts-partial-'));
  try {
    await fill(staging);
    for (const name of await fs.readdir(staging)) {
      const from = path.join(staging, name);
      const to = path.join(dst, name);
      if (await fs.lstat(to).catch(() => undefined)) await fs.cp(from, to, { recursive: true, force: true });
      else await fs.rename(from, to);
    }
    await fs.rm(staging, { recursive: true, force: true });
  } catch (err) {
    await fs.rm(created ?? staging, { recursive: true, force: true });
    throw err;
  }
  return dst;
}
