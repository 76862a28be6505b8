import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { MlflowError } from '../errors.js';
import { resolveInside } from '../model/index.js';
import type { FileInfo } from './entities.js';
import type { ArtifactRepository } from './store.js';

/** Artifacts in a local folder (file: URIs and plain paths), as MLflow's LocalArtifactRepository. */
export class LocalArtifactRepository implements ArtifactRepository {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private resolve(artifactPath?: string): string {
    const p = (artifactPath ?? '').replace(/^\/+|\/+$/g, '');
    return p === '' ? this.root : resolveInside(this.root, p, 'artifact_path');
  }

  async logArtifacts(localDir: string, artifactPath?: string): Promise<void> {
    const dst = this.resolve(artifactPath);
    await fs.mkdir(dst, { recursive: true });
    await fs.cp(localDir, dst, { recursive: true });
  }

  async logArtifact(localFile: string, artifactPath?: string): Promise<void> {
    const dst = this.resolve(artifactPath);
    await fs.mkdir(dst, { recursive: true });
    await fs.copyFile(localFile, path.join(dst, path.basename(localFile)));
  }

  async listArtifacts(artifactPath?: string): Promise<FileInfo[]> {
    const dir = this.resolve(artifactPath);
    const prefix = (artifactPath ?? '').replace(/^\/+|\/+$/g, '');
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    const infos: FileInfo[] = [];
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
      if (e.isDirectory()) infos.push({ path: rel, isDir: true });
      else if (e.isFile()) infos.push({ path: rel, isDir: false, fileSize: (await fs.stat(path.join(dir, e.name))).size });
    }
    return infos;
  }

  async downloadArtifacts(artifactPath?: string, dstDir?: string): Promise<string> {
    const src = this.resolve(artifactPath);
    if (!existsSync(src)) {
      throw new MlflowError(`No such file or directory: '${src}' (artifact '${artifactPath ?? ''}' of ${this.root})`, 'RESOURCE_DOES_NOT_EXIST');
    }
    if (dstDir === undefined) return src;
    const dst = path.join(path.resolve(dstDir), artifactPath ?? '');
    await fs.mkdir(path.dirname(dst), { recursive: true });
    await fs.cp(src, dst, { recursive: true });
    return dst;
  }
}
