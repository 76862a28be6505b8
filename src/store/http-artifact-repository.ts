import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { MlflowError } from '../errors.js';
import { resolveInside } from '../model/index.js';
import type { FileInfo } from './entities.js';
import type { ArtifactRepository } from './store.js';
import { httpRequest, isRequestTimeout, type HostCreds } from './rest-client.js';
import { downloadInto } from './download-dir.js';
import { logEachFile } from './log-files.js';

const ENDPOINT = '/mlflow-artifacts/artifacts';

/**
 * Artifacts behind an MLflow tracking server's artifact proxy, as MLflow's
 * HttpArtifactRepository: `uri` is `http(s)://host[/prefix]/api/2.0/mlflow-artifacts/artifacts/<root>`.
 * Files are fetched with GET, uploaded with PUT and listed with GET ...?path=.
 */
export class HttpArtifactRepository implements ArtifactRepository {
  private readonly listUrl: string;
  private readonly root: string;

  constructor(
    readonly uri: string,
    private readonly creds: HostCreds,
  ) {
    const at = uri.indexOf(ENDPOINT);
    if (at < 0) {
      throw new MlflowError(`Not an MLflow artifact proxy URI (no '${ENDPOINT}' in it): '${uri}'`, 'INVALID_PARAMETER_VALUE');
    }
    this.listUrl = uri.slice(0, at + ENDPOINT.length);
    this.root = uri.slice(at + ENDPOINT.length).replace(/^\/+|\/+$/g, '');
  }

  private fileUrl(relPath: string): string {
    const encoded = relPath.split('/').filter((p) => p !== '').map(encodeURIComponent).join('/');
    return `${this.uri.replace(/\/+$/, '')}/${encoded}`;
  }

  async logArtifacts(localDir: string, artifactPath?: string): Promise<void> {
    await logEachFile(localDir, artifactPath, (file, dest) => this.logArtifact(file, dest));
  }


  async logArtifact(localFile: string, artifactPath?: string): Promise<void> {
    const rel = [artifactPath ?? '', path.basename(localFile)].filter((p) => p !== '').join('/');
    await httpRequest(this.creds, this.fileUrl(rel), { method: 'PUT', body: await fs.readFile(localFile) });
  }

  async listArtifacts(artifactPath?: string): Promise<FileInfo[]> {
    const rel = (artifactPath ?? '').replace(/^\/+|\/+$/g, '');
    const listed = [this.root, rel].filter((p) => p !== '').join('/');
    const response = await httpRequest(this.creds, this.listUrl, { query: { path: listed } });
    let body: { files?: { path: string; is_dir?: boolean; file_size?: number | string }[] };
    try {
      body = (await response.json()) as typeof body;
    } catch (err) {
      const code = isRequestTimeout(err) ? 'DEADLINE_EXCEEDED' : 'INTERNAL_ERROR';
      throw new MlflowError(`The artifact server's listing of '${listed}' could not be read: ${(err as Error).message}`, code, { cause: err });
    }
    if (body === null || typeof body !== 'object' || (body.files !== undefined && !Array.isArray(body.files))) {
      throw new MlflowError(`The artifact server's listing of '${listed}' is not an object with a 'files' list`, 'INTERNAL_ERROR');
    }
    return (body.files ?? []).map((f) => {
      // Entries are the names directly under the listed folder; anything else would let a server
      // steer downloads elsewhere or loop.
      const name: unknown = f !== null && typeof f === 'object' ? f.path : undefined;
      if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[/\\]/.test(name)) {
        throw new MlflowError(`The artifact server listed an invalid entry ${JSON.stringify(name ?? f)} under '${listed}'`, 'INTERNAL_ERROR');
      }
      return {
        path: rel === '' ? f.path : `${rel}/${f.path}`,
        isDir: f.is_dir === true,
        ...(f.file_size !== undefined && f.file_size !== null ? { fileSize: Number(f.file_size) } : {}),
      };
    });
  }

  async downloadArtifacts(artifactPath?: string, dstDir?: string): Promise<string> {
    const rel = (artifactPath ?? '').replace(/^\/+|\/+$/g, '');
    const dst = await downloadInto(dstDir, (dir) => this.downloadTree(rel, dir));
    return rel === '' ? dst : resolveInside(dst, rel, 'artifact_path');
  }

  /** A path that lists entries is a folder (MLflow's rule); otherwise it is fetched as a file. */
  private async downloadTree(rel: string, dst: string): Promise<void> {
    const entries = await this.listArtifacts(rel);
    if (entries.length === 0) {
      if (rel === '') throw new MlflowError(`No artifacts found at '${this.uri}'`, 'RESOURCE_DOES_NOT_EXIST');
      await this.downloadFile(rel, resolveInside(dst, rel, 'artifact_path'));
      return;
    }
    for (const entry of entries) {
      if (entry.isDir) await this.downloadTree(entry.path, dst);
      else await this.downloadFile(entry.path, resolveInside(dst, entry.path, 'artifact_path'));
    }
  }

  private async downloadFile(rel: string, localPath: string): Promise<void> {
    const url = this.fileUrl(rel);
    const response = await httpRequest(this.creds, url);
    await fs.mkdir(path.dirname(localPath), { recursive: true });
    if (response.body === null) {
      await fs.writeFile(localPath, new Uint8Array());
      return;
    }
    try {
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(localPath));
    } catch (err) {
      const code = isRequestTimeout(err) ? 'DEADLINE_EXCEEDED' : 'INTERNAL_ERROR';
      throw new MlflowError(`Downloading artifact '${rel}' from ${url} failed: ${(err as Error).message}`, code, { cause: err });
    }
  }
}
