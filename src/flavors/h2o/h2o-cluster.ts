import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../../errors.js';
import { frameToCsv, parseCsvRequest } from '../../frame/index.js';
import type { Frame } from '../../frame/frame.js';

/**
 * A client for the few calls of H2O's REST API (v3) that scoring a binary model needs, in the
 * order h2o-py makes them: upload the model file (POST /3/PostFile.bin, then
 * POST /99/Models.upload.bin), upload and parse the frame (POST /3/PostFile, /3/ParseSetup,
 * /3/Parse, then GET /3/Jobs/{key} until done), predict (POST /3/Predictions/models/{m}/frames/{f})
 * and fetch the predictions as CSV (GET /3/DownloadDataset), deleting the frames afterwards.
 */
export class H2OCluster {
  private constructor(
    readonly url: string,
    readonly version: string,
  ) {}

  /** Connects (GET /3/Cloud); `noCluster` is the error to raise when nothing answers. */
  static async connect(url: string, noCluster: () => MlflowError): Promise<H2OCluster> {
    let res: Response;
    try {
      res = await fetch(new URL('/3/Cloud', url), { signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw withCause(noCluster(), err);
    }
    if (!res.ok) throw withCause(noCluster(), new Error(`GET /3/Cloud answered ${res.status}`));
    const body = (await res.json()) as { version?: string; cloud_healthy?: boolean };
    if (body.cloud_healthy === false) throw new MlflowError(`The H2O cluster at ${url} reports itself unhealthy`, 'TEMPORARILY_UNAVAILABLE');
    return new H2OCluster(url, String(body.version ?? 'unknown'));
  }

  /** Uploads a binary model file; returns the model key the cluster gave it. */
  async uploadModel(file: string): Promise<string> {
    const bytes = await readFile(file);
    const posted = await this.call<{ destination_frame: string }>('POST', '/3/PostFile.bin', undefined, fileForm(bytes, path.basename(file)));
    const res = await this.call<{ models: { model_id: { name: string } }[] }>('POST', '/99/Models.upload.bin/', { dir: posted.destination_frame });
    const name = res.models?.[0]?.model_id?.name;
    if (!name) throw new MlflowError(`The H2O cluster at ${this.url} did not return a model key for ${file}`, 'INTERNAL_ERROR');
    return name;
  }

  /** Uploads the table as CSV, parses it into a frame, predicts, and returns the predictions frame. */
  async predict(modelKey: string, frame: Frame): Promise<Frame> {
    const rawKey = `mlflow_ts_${randomUUID().replace(/-/g, '')}.csv`;
    const csv = new TextEncoder().encode(frameToCsv(frame));
    const posted = await this.call<{ destination_frame: string }>('POST', '/3/PostFile', { destination_frame: rawKey }, fileForm(csv, rawKey));
    const setup = await this.call<ParseSetup>('POST', '/3/ParseSetup', { source_frames: JSON.stringify([posted.destination_frame]), check_header: '1' });
    const hexKey = `${rawKey.replace(/\.csv$/, '')}.hex`;
    const parse = await this.call<{ job: { key: { name: string } } }>('POST', '/3/Parse', {
      destination_frame: hexKey,
      source_frames: JSON.stringify([posted.destination_frame]),
      parse_type: setup.parse_type,
      separator: String(setup.separator),
      single_quotes: String(setup.single_quotes ?? false),
      check_header: String(setup.check_header),
      number_columns: String(setup.number_columns),
      chunk_size: String(setup.chunk_size),
      column_names: JSON.stringify(setup.column_names),
      column_types: JSON.stringify(setup.column_types),
      delete_on_done: 'true',
      blocking: 'false',
    });
    await this.waitForJob(parse.job.key.name);
    try {
      const pred = await this.call<{ predictions_frame: { name: string } }>(
        'POST', `/3/Predictions/models/${encodeURIComponent(modelKey)}/frames/${encodeURIComponent(hexKey)}`,
      );
      const predKey = pred.predictions_frame.name;
      try {
        const text = await this.text('GET', '/3/DownloadDataset', { frame_id: predKey, hex_string: 'false' });
        return parseCsvRequest(text);
      } finally {
        await this.call('DELETE', `/3/Frames/${encodeURIComponent(predKey)}`).catch(() => undefined);
      }
    } finally {
      await this.call('DELETE', `/3/Frames/${encodeURIComponent(hexKey)}`).catch(() => undefined);
    }
  }

  async deleteModel(modelKey: string): Promise<void> {
    await this.call('DELETE', `/3/Models/${encodeURIComponent(modelKey)}`);
  }

  private async waitForJob(key: string): Promise<void> {
    for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
      const res = await this.call<{ jobs: { status: string; exception?: string | null }[] }>('GET', `/3/Jobs/${encodeURIComponent(key)}`);
      const job = res.jobs?.[0];
      if (!job) throw new MlflowError(`The H2O cluster at ${this.url} lost job ${key}`, 'INTERNAL_ERROR');
      if (job.status === 'DONE') return;
      if (job.status === 'FAILED' || job.status === 'CANCELLED') {
        throw new MlflowError(`H2O job ${key} ${job.status.toLowerCase()}: ${job.exception ?? ''}`, 'BAD_REQUEST');
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  private async call<T = unknown>(method: string, route: string, params?: Record<string, string>, form?: FormData): Promise<T> {
    return JSON.parse(await this.text(method, route, params, form)) as T;
  }

  private async text(method: string, route: string, params?: Record<string, string>, form?: FormData): Promise<string> {
    const url = new URL(route, this.url);
    let body: FormData | URLSearchParams | undefined = form;
    if (params) {
      if (method === 'GET' || form) for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      else body = new URLSearchParams(params);
    }
    const res = await fetch(url, { method, body });
    const text = await res.text();
    if (!res.ok) {
      let msg = text;
      try {
        const j = JSON.parse(text) as { msg?: string; exception_msg?: string };
        msg = j.exception_msg ?? j.msg ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new MlflowError(`H2O cluster at ${this.url}: ${method} ${route} failed (${res.status}): ${msg}`, res.status === 400 || res.status === 412 ? 'BAD_REQUEST' : 'INTERNAL_ERROR');
    }
    return text;
  }
}

interface ParseSetup {
  parse_type: string;
  separator: number;
  single_quotes?: boolean;
  check_header: number;
  number_columns: number;
  chunk_size: number;
  column_names: string[];
  column_types: string[];
}

function fileForm(bytes: Uint8Array, name: string): FormData {
  const form = new FormData();
  form.append('file', new Blob([bytes]), name);
  return form;
}

function withCause(err: MlflowError, cause: unknown): MlflowError {
  const detail = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause);
  return new MlflowError(`${err.message} (${detail})`, err.errorCode, { cause });
}
