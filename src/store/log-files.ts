import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * logArtifacts for repositories that store one file at a time: every file below `localDir`,
 * logged under `artifactPath` at its own relative folder ('/'-separated, as artifact paths are).
 */
export async function logEachFile(localDir: string, artifactPath: string | undefined, logArtifact: (file: string, artifactPath: string) => Promise<void>): Promise<void> {
  const entries = await fs.readdir(localDir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue;
    const relDir = path.relative(localDir, e.parentPath).split(path.sep).join('/');
    await logArtifact(path.join(e.parentPath, e.name), [artifactPath ?? '', relDir].filter((p) => p !== '').join('/'));
  }
}
