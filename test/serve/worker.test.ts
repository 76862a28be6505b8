import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameFromColumns, frameToColumns, type Frame as Table } from '../../src/frame/index.js';
import { frameFromArrow, frameToArrow } from '../../src/arrow.js';
import { loadPredictor, type Predictor } from '../../src/pyfunc/index.js';
import {
  encodeFrame,
  FRAME_HEADER_BYTES,
  FRAME_KIND,
  FrameReader,
  predictionsToFrame,
  serveFrames,
  type WORKER_PROTOCOL,
} from '../../src/serve/index.js';
import { seededRandom } from '../seeded-random.js';

const IRIS = fileURLToPath(new URL('../../examples/iris-sklearn', import.meta.url));
const IRIS_JS = fileURLToPath(new URL('../../examples/iris-js', import.meta.url));
const cli = fileURLToPath(new URL('../cli/run-cli.ts', import.meta.url));
const COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

function irisRows(n: number, seed: number): Table {
  const random = seededRandom(seed);
  const ranges = [[4, 8], [2, 4.5], [1, 7], [0.1, 2.5]];
  return frameFromColumns(
    Object.fromEntries(COLUMNS.map((c, j) => [c, Array.from({ length: n }, () => ranges[j][0] + (ranges[j][1] - ranges[j][0]) * random())])),
  );
}

function arrowFrame(frame: Table): Uint8Array {
  return Buffer.concat(encodeFrame(FRAME_KIND.arrow, tableToIPC(frameToArrow(frame), 'stream')));
}

async function* chunksOf(...buffers: Uint8Array[]): AsyncGenerator<Buffer> {
  // Split across chunk boundaries, as a pipe may deliver them.
  for (const b of buffers) {
    const mid = Math.floor(b.length / 3);
    yield Buffer.from(b.subarray(0, mid));
    yield Buffer.from(b.subarray(mid));
  }
}

/** Runs serveFrames over `input` and returns the reply frames. */
async function replies(predictor: Predictor, ...input: Uint8Array[]): Promise<{ kind: number; payload: Buffer }[]> {
  const written: Buffer[] = [];
  await serveFrames(predictor, chunksOf(...input), async (parts) => {
    written.push(Buffer.concat(parts));
  });
  const out: { kind: number; payload: Buffer }[] = [];
  const reader = new FrameReader(chunksOf(...written));
  for (let f = await reader.next(); f; f = await reader.next()) out.push(f);
  return out;
}

describe('the worker protocol, in process (serveFrames)', () => {
  let predictor: Predictor;
  beforeAll(async () => {
    predictor = await loadPredictor(IRIS, { runtime: 'native' });
  });
  afterAll(() => predictor.close());

  it('answers each Arrow batch with the predictions the predictor gives', async () => {
    const a = irisRows(500, 1);
    const b = irisRows(3, 2);
    const out = await replies(predictor, arrowFrame(a), arrowFrame(b));
    expect(out.map((f) => f.kind)).toEqual([FRAME_KIND.arrow, FRAME_KIND.arrow]);
    for (const [reply, input] of [[out[0], a], [out[1], b]] as const) {
      const got = frameToColumns(frameFromArrow(tableFromIPC(reply.payload)));
      const want = frameToColumns(predictionsToFrame(await predictor.predict(input)));
      expect(got).toEqual(want);
    }
  });

  it('answers a bad batch with an error frame and goes on', async () => {
    const missing = frameFromColumns({ sepal_length: [5.1] });
    const out = await replies(
      predictor,
      arrowFrame(missing),
      Buffer.concat(encodeFrame(FRAME_KIND.arrow, Buffer.from('not arrow'))),
      Buffer.concat(encodeFrame(0x5a, Buffer.from('?'))),
      arrowFrame(irisRows(2, 3)),
    );
    expect(out.map((f) => String.fromCharCode(f.kind))).toEqual(['E', 'E', 'E', 'A']);
    const errors = out.slice(0, 3).map((f) => JSON.parse(f.payload.toString('utf8')) as { error_code: string; message: string });
    expect(errors[0].error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(errors[0].message).toContain("Model is missing inputs ['sepal_width', 'petal_length', 'petal_width']");
    expect(errors[1]).toMatchObject({ error_code: 'BAD_REQUEST' });
    expect(errors[1].message).toMatch(/^The request is not an Arrow IPC stream/);
    expect(errors[2]).toMatchObject({ error_code: 'MALFORMED_REQUEST' });
    expect(errors[2].message).toContain('Unknown frame kind 0x5a');
  });

  it('ends at the end of input between frames, and fails inside one', async () => {
    expect(await replies(predictor)).toEqual([]);
    const whole = arrowFrame(irisRows(2, 4));
    await expect(replies(predictor, whole.subarray(0, FRAME_HEADER_BYTES + 5))).rejects.toThrow(/ended inside a frame/);
  });
});

/** `mlflow-ts worker` in a process of its own, with a reader of its stdout's frames. */
function startWorker(args: string[]): { child: ChildProcessWithoutNullStreams; frames: FrameReader; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'worker', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, frames: new FrameReader(child.stdout), stderr: () => stderr, exit };
}

describe('mlflow-ts worker (a process)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlflow-ts-worker-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('sends ready, answers batches, and exits 0 at EOF on stdin', async () => {
    const { child, frames, exit } = startWorker(['--model', IRIS, '--runtime', 'native']);
    const ready = await frames.next();
    expect(ready?.kind).toBe(FRAME_KIND.ready);
    const info = JSON.parse(ready!.payload.toString('utf8')) as { protocol: typeof WORKER_PROTOCOL; flavor: string };
    expect(info).toMatchObject({ protocol: 1, flavor: 'sklearn' });
    const input = irisRows(1000, 5);
    child.stdin.write(arrowFrame(input));
    const reply = await frames.next();
    expect(reply?.kind).toBe(FRAME_KIND.arrow);
    const predictor = await loadPredictor(IRIS, { runtime: 'native' });
    const want = frameToColumns(predictionsToFrame(await predictor.predict(input)));
    expect(frameToColumns(frameFromArrow(tableFromIPC(reply!.payload)))).toEqual(want);
    child.stdin.end();
    expect(await exit).toBe(0);
    expect(await frames.next()).toBeUndefined();
  }, 60_000);

  it('exits 0 on SIGTERM while waiting for a batch', async () => {
    const { child, frames, exit } = startWorker(['--model', IRIS]);
    expect((await frames.next())?.kind).toBe(FRAME_KIND.ready);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 60_000);

  it('sends one error frame and exits 1 when the model cannot be loaded', async () => {
    const missing = join(dir, 'no-such-model');
    const { frames, exit, stderr } = startWorker(['--model', missing]);
    const frame = await frames.next();
    expect(frame?.kind).toBe(FRAME_KIND.error);
    const body = JSON.parse(frame!.payload.toString('utf8')) as { error_code: string; message: string };
    expect(body.message).toContain(missing);
    expect(await exit).toBe(1);
    expect(stderr()).toContain('the model could not be loaded');
  }, 60_000);

  it('refuses --params that is not a JSON object, before loading (a usage error: exit 2, as click)', async () => {
    const { frames, exit } = startWorker(['--model', IRIS, '--params', '[1]']);
    expect(await exit).toBe(2);
    expect(await frames.next()).toBeUndefined();
  }, 60_000);

  it("keeps a model's console output off the protocol's stdout", async () => {
    const model = join(dir, 'noisy');
    await cp(IRIS_JS, model, { recursive: true });
    await writeFile(
      join(model, 'code', 'noisy_loader.mjs'),
      "import { loadModel as load } from './iris_loader.mjs';\n" +
        'export async function loadModel(dataPath) {\n' +
        "  console.log('loading');\n" +
        '  const model = await load(dataPath);\n' +
        "  return { predict(input) { console.log('predicting'); process.stdout.write('raw\\n'); return model.predict(input); } };\n" +
        '}\n',
    );
    const mlmodel = join(model, 'MLmodel');
    await writeFile(mlmodel, (await readFile(mlmodel, 'utf8')).replace('iris_loader.mjs', 'noisy_loader.mjs'));
    const { child, frames, exit, stderr } = startWorker(['--model', model]);
    expect((await frames.next())?.kind).toBe(FRAME_KIND.ready);
    child.stdin.write(arrowFrame(irisRows(4, 6)));
    const reply = await frames.next();
    expect(reply?.kind).toBe(FRAME_KIND.arrow);
    expect(tableFromIPC(reply!.payload).numRows).toBe(4);
    child.stdin.end();
    expect(await exit).toBe(0);
    expect(stderr()).toContain('loading');
    expect(stderr()).toContain('predicting');
    expect(stderr()).toContain('raw');
  }, 60_000);
});
