import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Sum of the sizes of the files under `dir`, as MLflow's get_total_file_size (os.walk +
 * getsize). Symlinks are not followed, so a link cannot make the count reach outside the model.
 */
export async function totalFileSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await totalFileSize(p);
    else if (entry.isFile()) total += (await lstat(p)).size;
  }
  return total;
}
