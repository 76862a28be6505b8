import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as source from '../src/index.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const BUNDLE = path.join(ROOT, 'dist/bundle/index.js');
const SKLEARN = path.join(ROOT, 'examples/iris-sklearn');

/** Runs `body` (ESM, with `lib` bound to the built bundle) in a fresh Node; its stdout, parsed as JSON. */
async function inFreshNode(body: string, env: NodeJS.ProcessEnv = {}): Promise<unknown> {
  const program = `const lib = await import(${JSON.stringify(pathToFileURL(BUNDLE).href)});\n${body}`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', program], { cwd: os.tmpdir(), env: { ...process.env, ...env } });
  return JSON.parse(stdout);
}

/**
 * Issue #16 item 7: the package as shipped (dist/bundle, `npm run build`; `npm test` builds first).
 * The bundle changes how things load, not what they do: builtins through process.getBuiltinModule,
 * createScoringServer required from its own entry at the first call, MlflowClient's stores loaded
 * at their first call. These run those paths through the bundle itself.
 */
describe('the built bundle', () => {
  let tmp: string;
  beforeAll(async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first`);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-bundle-'));
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('exports what src/index.ts exports', async () => {
    const names = await inFreshNode('process.stdout.write(JSON.stringify(Object.keys(lib).sort()));');
    expect(names).toEqual(Object.keys(source).sort());
  });

  it('loads no HTTP, crypto, zlib, stream or worker builtins at import', async () => {
    // Listed before process.stdout is touched: stdout itself loads node:net and node:stream.
    const loaded = (await inFreshNode(`const list = JSON.stringify(process.moduleLoadList); process.stdout.write(list);`)) as string[];
    for (const builtin of ['http', 'https', 'crypto', 'zlib', 'stream', 'worker_threads', 'net']) expect(loaded).not.toContain(`NativeModule ${builtin}`);
    // The check sees what it looks for: the same list after a server is made names them.
    const after = (await inFreshNode(`lib.createScoringServer(await lib.loadPredictor(${JSON.stringify(SKLEARN)})); process.stdout.write(JSON.stringify(process.moduleLoadList)); process.exit(0);`)) as string[];
    expect(after).toContain('NativeModule http');
  });

  it('createScoringServer (synchronous, its module required on the first call) serves a model', async () => {
    const input = await readFile(path.join(SKLEARN, 'serving_input_example.json'), 'utf8');
    const out = await inFreshNode(`
      const predictor = await lib.loadPredictor(${JSON.stringify(SKLEARN)});
      const server = lib.createScoringServer(predictor);
      const same = typeof server.server.listen === 'function';
      const { port } = await server.listen(0);
      const res = await fetch('http://127.0.0.1:' + port + '/invocations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(input)} });
      const body = await res.json();
      const second = lib.createScoringServer(predictor);
      await server.close();
      process.stdout.write(JSON.stringify({ same, status: res.status, body, second: typeof second.listen }));
    `, { MLFLOW_TS_LOG_LEVEL: 'error' });
    expect(out).toEqual({ same: true, status: 200, body: { predictions: [0, 0, 0] }, second: 'function' });
  });

  it('batchPredict --workers threads start from their own bundle and write what one thread writes', async () => {
    const input = path.join(tmp, 'iris.csv');
    const rows = Array.from({ length: 40 }, (_, i) => `${4 + (i % 30) / 10},${2 + (i % 20) / 10},${1 + (i % 50) / 10},${0.1 + (i % 24) / 10}`);
    await writeFile(input, `sepal_length,sepal_width,petal_length,petal_width\n${rows.join('\n')}\n`);
    // a program file, not -e: a thread inherits the process's flags, and --input-type fails there
    const program = path.join(tmp, 'workers.mjs');
    await writeFile(program, `
      const lib = await import(${JSON.stringify(pathToFileURL(BUNDLE).href)});
      // every thread the bundle starts, by its entry (batchPredict's modules, loaded at its first
      // call, take Worker from node:worker_threads then)
      const threads = process.getBuiltinModule('node:worker_threads');
      const started = [];
      const Worker = threads.Worker;
      threads.Worker = class extends Worker { constructor(entry, options) { started.push(String(entry)); super(entry, options); } };
      const predictor = await lib.loadPredictor(${JSON.stringify(SKLEARN)});
      const texts = [];
      for (const workers of [1, 2]) {
        const output = ${JSON.stringify(tmp)} + '/out-' + workers + '.json';
        await lib.batchPredict(predictor, { input: ${JSON.stringify(input)}, output, contentType: 'csv', batchRows: 10, workers, workerModel: { options: {} }, waitForWorkers: true });
        texts.push(process.getBuiltinModule('node:fs').readFileSync(output, 'utf8'));
      }
      process.stdout.write(JSON.stringify({ started, same: texts[0] === texts[1], rows: JSON.parse(texts[1]).predictions.length }));
    `);
    const out = JSON.parse((await run(process.execPath, [program], { cwd: os.tmpdir() })).stdout) as unknown;
    expect(out).toEqual({ started: [pathToFileURL(path.join(ROOT, 'dist/bundle/predict-worker-thread.js')).href], same: true, rows: 40 });
  });

  it('MlflowClient loads its file stores and artifact repository at the first call', async () => {
    const store = pathToFileURL(path.join(tmp, 'mlruns')).href;
    const out = await inFreshNode(`
      const client = new lib.MlflowClient(${JSON.stringify(store)});
      const run = await client.createRun({ runName: 'bundle' });
      await client.logParam(run.info.runId, 'alpha', 0.5);
      const got = await client.getRun(run.info.runId);
      const logged = await lib.logModel({ runId: run.info.runId, artifactPath: 'model', modelDir: ${JSON.stringify(SKLEARN)}, client, registeredModelName: 'iris' });
      const files = (await client.artifactRepository(got.info.artifactUri).listArtifacts('model')).map((f) => f.path).sort();
      const mv = await client.getModelVersion('iris', '1');
      const predictor = await lib.loadPredictor('models:/iris/1');
      process.stdout.write(JSON.stringify({ params: got.data.params, uri: logged.modelUri, files: files.includes('model/MLmodel'), version: mv.version, flavor: predictor.flavor }));
    `, { MLFLOW_TRACKING_URI: store });
    expect(out).toEqual({ params: { alpha: '0.5' }, uri: expect.stringMatching(/^runs:\/.+\/model$/), files: true, version: '1', flavor: 'sklearn' });
  });
});
