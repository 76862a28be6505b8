// Test fixtures are checked in read-only (r--r--r--, dr-xr-xr-x); a test that changes or deletes
// a copy must first make the copy writable, or it fails for any user but root.
import { chmod, cp, readdir } from 'node:fs/promises';
import path from 'node:path';

async function makeWritable(p: string, isDir: boolean): Promise<void> {
  await chmod(p, isDir ? 0o755 : 0o644);
  if (!isDir) return;
  for (const e of await readdir(p, { withFileTypes: true })) await makeWritable(path.join(p, e.name), e.isDirectory());
}

/** Copies the folder `src` to `dst`, every file and folder of the copy writable by its owner. */
export async function copyWritable(src: string, dst: string): Promise<void> {
  await cp(src, dst, { recursive: true });
  await makeWritable(dst, true);
}
