import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Paths of the files under dir, '/'-separated and relative to it; [] when dir is missing. */
export async function listFilesRecursive(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** A file-store folder of one file per key (params/, tags/, aliases/): key -> file text verbatim. */
export async function readValueFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await listFilesRecursive(dir)) out[key] = await fs.readFile(path.join(dir, key), 'utf8');
  return out;
}

export async function writeText(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text, 'utf8');
}
