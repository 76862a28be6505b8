import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { frameFromRecords, frameToCsv } from '../../../src/frame/index.js';
import type { Frame } from '../../../src/frame/frame.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';

/**
 * MLflow's `h2o` flavor. A binary model is scored by an H2O cluster; no cluster can run here, so
 * a local server answers as H2O's REST API reference (v3) documents the calls h2o-py makes:
 * GET /3/Cloud, POST /3/PostFile.bin + /99/Models.upload.bin, POST /3/PostFile + /3/ParseSetup
 * + /3/Parse, GET /3/Jobs/{key}, POST /3/Predictions/models/{m}/frames/{f},
 * GET /3/DownloadDataset, DELETE /3/Frames/{f} and /3/Models/{m}.
 */
const FIX = join(__dirname, '../../fixtures/h2o/h2o-3/h2o-genmodel/src/test/resources/hex/genmodel');
const tmp = mkdtempSync(join(tmpdir(), 'mlflow-ts-h2o-flavor-'));
const BINARY = Buffer.from('H2O binary model bytes: an Iced serialization only a cluster reads');

function h2oModelDir(name: string, modelFile: string, bytes: Buffer | string, yamlExtra = ''): string {
  const dir = join(tmp, name);
  const data = join(dir, 'model.h2o');
  mkdirSync(data, { recursive: true });
  if (typeof bytes === 'string') cpSync(bytes, join(data, modelFile));
  else writeFileSync(join(data, modelFile), bytes);
  writeFileSync(join(data, 'h2o.yaml'), `full_file: /tmp/somewhere/${modelFile}\nmodel_dir: /tmp/somewhere\nmodel_file: ${modelFile}\n${yamlExtra}`);
  writeFileSync(
    join(dir, 'MLmodel'),
    'flavors:\n  h2o:\n    code: null\n    data: model.h2o\n    h2o_version: 3.46.0.7\n  python_function:\n    data: model.h2o\n    loader_module: mlflow.h2o\n',
  );
  return dir;
}

interface Call {
  method: string;
  path: string;
  query: Record<string, string>;
  form: Record<string, string>;
  file?: string;
}

/** The fake cluster: remembers what it was sent, "scores" with a rule of its own. */
function fakeH2O(version = '3.46.0.7'): { server: Server; calls: Call[]; frames: Map<string, string> } {
  const calls: Call[] = [];
  const frames = new Map<string, string>();
  let jobPolls = 0;
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url!, 'http://h2o');
      const call: Call = { method: req.method!, path: url.pathname, query: Object.fromEntries(url.searchParams), form: {} };
      const body = await readBody(req);
      if (body.length > 0) {
        const request = new Request(url, { method: req.method, headers: req.headers as Record<string, string>, body });
        const form = await request.formData();
        for (const [k, v] of form) {
          if (typeof v === 'string') call.form[k] = v;
          else call.file = Buffer.from(await v.arrayBuffer()).toString('latin1');
        }
      }
      calls.push(call);
      const json = (status: number, v: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
      };
      const p = url.pathname;
      if (p === '/3/Cloud') return json(200, { version, cloud_healthy: true, cloud_size: 1 });
      if (p === '/3/PostFile.bin') return json(200, { destination_frame: 'upload_model_1', total_bytes: call.file!.length });
      if (p === '/99/Models.upload.bin/') return json(200, { models: [{ model_id: { name: 'GBM_model_python_1' } }] });
      if (p === '/3/PostFile') {
        frames.set(call.query.destination_frame, call.file!);
        return json(200, { destination_frame: call.query.destination_frame, total_bytes: call.file!.length });
      }
      if (p === '/3/ParseSetup') {
        const src = (JSON.parse(call.form.source_frames) as string[])[0];
        const header = frames.get(src)!.split('\n')[0].split(',');
        return json(200, {
          parse_type: 'CSV', separator: 44, single_quotes: false, check_header: 1, number_columns: header.length,
          column_names: header, column_types: header.map(() => 'Numeric'), chunk_size: 4194304, destination_frame: src.replace('.csv', '.hex'),
        });
      }
      if (p === '/3/Parse') {
        const src = (JSON.parse(call.form.source_frames) as string[])[0];
        frames.set(call.form.destination_frame, frames.get(src)!);
        return json(200, { job: { key: { name: 'job_1' } }, destination_frame: { name: call.form.destination_frame } });
      }
      if (p === '/3/Jobs/job_1') return json(200, { jobs: [{ status: jobPolls++ === 0 ? 'RUNNING' : 'DONE', exception: null }] });
      const pred = /^\/3\/Predictions\/models\/([^/]+)\/frames\/([^/]+)$/.exec(p);
      if (pred) {
        if (pred[1] !== 'GBM_model_python_1') return json(404, { msg: `Object '${pred[1]}' not found` });
        const lines = frames.get(decodeURIComponent(pred[2]))!.trim().split('\n');
        const age = lines[0].split(',').indexOf('AGE');
        const out = ['"predict","p0","p1"', ...lines.slice(1).map((l) => {
          const p1 = Number(l.split(',')[age]) / 100;
          return `${p1 >= 0.5 ? 1 : 0},${1 - p1},${p1}`;
        })];
        frames.set('prediction_1', out.join('\n') + '\n');
        return json(200, { predictions_frame: { name: 'prediction_1' }, model_metrics: [] });
      }
      if (p === '/3/DownloadDataset') {
        res.writeHead(200, { 'content-type': 'text/csv' }).end(frames.get(call.query.frame_id));
        return;
      }
      if (req.method === 'DELETE') return json(200, {});
      json(404, { msg: `no route ${p}` });
    })();
  });
  return { server, calls, frames };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const savedEnv = process.env.MLFLOW_TS_H2O_URL;
beforeAll(() => {
  delete process.env.MLFLOW_TS_H2O_URL;
});
afterEach(() => {
  delete process.env.MLFLOW_TS_H2O_URL;
});
afterAll(() => {
  if (savedEnv !== undefined) process.env.MLFLOW_TS_H2O_URL = savedEnv;
  rmSync(tmp, { recursive: true, force: true });
});

describe("MLflow's h2o flavor", () => {
  it('a MOJO zip in model.h2o is scored natively', async () => {
    const dir = h2oModelDir('mojo', 'GBM_model.zip', join(FIX, 'algos/gbm/gbm_variable_importance.zip'));
    const p = await loadPredictor(dir, { runtime: 'native' });
    const out = (await p.predict(frameFromRecords([{ AGE: 65, RACE: 1, DPROS: 2, DCAPS: 1, PSA: 1.4, VOL: 0, GLEASON: 6 }]))) as Frame;
    expect(out.columnNames).toEqual(['predict', 'p0', 'p1']);
  });

  it('a binary model goes through the H2O cluster at h2o.yaml init url, in the documented REST conversation', async () => {
    const { server, calls } = fakeH2O();
    const url = await listen(server);
    try {
      const dir = h2oModelDir('binary', 'GBM_model_python_1', BINARY, `init:\n  url: ${url}\n`);
      const p = await loadPredictor(dir, { runtime: 'native' });
      const input = frameFromRecords([{ AGE: 65, PSA: 1.4 }, { AGE: 40, PSA: 3 }]);
      const out = (await p.predict(input)) as Frame;
      expect(out.columnNames).toEqual(['predict', 'p0', 'p1']);
      expect(Array.from(out.column('predict')!.data.values as ArrayLike<number>)).toEqual([1, 0]);
      expect(Array.from(out.column('p1')!.data.values as ArrayLike<number>)).toEqual([0.65, 0.4]);
      await p.close();
      expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
        'GET /3/Cloud',
        'POST /3/PostFile.bin',
        'POST /99/Models.upload.bin/',
        'POST /3/PostFile',
        'POST /3/ParseSetup',
        'POST /3/Parse',
        'GET /3/Jobs/job_1',
        'GET /3/Jobs/job_1',
        'POST /3/Predictions/models/GBM_model_python_1/frames/' + calls[5].form.destination_frame,
        'GET /3/DownloadDataset',
        'DELETE /3/Frames/prediction_1',
        `DELETE /3/Frames/${calls[5].form.destination_frame}`,
        'DELETE /3/Models/GBM_model_python_1',
      ]);
      expect(calls[1].file).toBe(BINARY.toString('latin1'));
      expect(calls[2].form).toEqual({ dir: 'upload_model_1' });
      expect(calls[3].file).toBe(frameToCsv(input));
      expect(calls[5].form).toMatchObject({ parse_type: 'CSV', separator: '44', check_header: '1', column_names: '["AGE","PSA"]' });
      expect(calls[9].query).toEqual({ frame_id: 'prediction_1', hex_string: 'false' });
    } finally {
      server.close();
    }
  });

  it('MLFLOW_TS_H2O_URL names the cluster; a cluster of another version is refused naming both', async () => {
    const { server } = fakeH2O('3.44.0.3');
    process.env.MLFLOW_TS_H2O_URL = await listen(server);
    try {
      const dir = h2oModelDir('other-version', 'GBM_model_python_1', BINARY);
      await expect(loadPredictor(dir, { runtime: 'native' })).rejects.toThrow(/saved by H2O 3\.46\.0\.7; the cluster at .* runs H2O 3\.44\.0\.3/);
    } finally {
      server.close();
    }
  });

  it('with no cluster answering, the error says what to do', async () => {
    const { server } = fakeH2O();
    const url = await listen(server);
    await new Promise((r) => server.close(r)); // the port is now closed
    process.env.MLFLOW_TS_H2O_URL = url;
    const dir = h2oModelDir('no-cluster', 'GBM_model_python_1', BINARY);
    await expect(loadPredictor(dir, { runtime: 'native' })).rejects.toMatchObject({
      errorCode: 'NOT_IMPLEMENTED',
      message: expect.stringContaining(
        'this model holds an H2O binary model, which only an H2O 3.46.0.7 cluster can read: start one and set MLFLOW_TS_H2O_URL, or export a MOJO',
      ),
    });
  });

  it('h2o.yaml without model_file is refused naming the file', async () => {
    const dir = h2oModelDir('no-file', 'x', BINARY);
    writeFileSync(join(dir, 'model.h2o', 'h2o.yaml'), 'init: {}\n');
    await expect(loadPredictor(dir, { runtime: 'native' })).rejects.toThrow(/h2o\.yaml: model_file is missing/);
    expect(readFileSync(join(dir, 'MLmodel'), 'utf8')).toContain('h2o_version');
  });
});
