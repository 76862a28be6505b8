// `models predict` (batchPredict) on bad input files: each error names the file (and the rows or
// column when known), and an output file is never left half-written.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { loadPredictor, type Predictor } from '../../src/pyfunc/index.js';
import { batchPredict, type BatchInputFormat } from '../../src/serve/index.js';
import { writeJsModuleModel } from './js-module-model.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../fixtures/serve/${p}`, import.meta.url));
const HEADER = 'sepal_length,sepal_width,petal_length,petal_width';
const ROW = '5.1,3.5,1.4,0.2';

async function failure(run: Promise<unknown>): Promise<MlflowError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MlflowError);
  return err as MlflowError;
}

describe('batchPredict on bad input', () => {
  let dir: string;
  let predictor: Predictor;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'batch-errors-'));
    predictor = await loadPredictor(fixture('iris-strict'));
  });
  afterAll(async () => {
    await predictor.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes `content` as the input, runs batchPredict and returns its error; no output may appear. */
  async function failOn(name: string, content: string | Uint8Array, contentType: BatchInputFormat, batchRows?: number): Promise<MlflowError> {
    const input = join(dir, name);
    await writeFile(input, content);
    const output = join(dir, `${name}.out.json`);
    const err = await failure(batchPredict(predictor, { input, output, contentType, batchRows }));
    expect(err.message).toContain(input);
    expect((await readdir(dir)).filter((f) => f.includes('.out.') || f.endsWith('.partial'))).toEqual([]);
    return err;
  }

  it('a ragged CSV names the file, the line and its byte offset', async () => {
    const err = await failOn('ragged.csv', `${HEADER}\n${ROW}\n${ROW},9,9\n`, 'csv');
    expect(err.errorCode).toBe('BAD_REQUEST');
    expect(err.message).toMatch(/Expected 4 fields in line 3, saw 6/);
    expect(err.message).toContain(`(line 3 starts at byte offset ${HEADER.length + ROW.length + 2})`);
  });

  it('a CSV with an unterminated quote names the file', async () => {
    const err = await failOn('quote.csv', `${HEADER}\n"5.1,3.5,1.4,0.2\n`, 'csv');
    expect(err.message).toContain('EOF inside string');
  });

  it('text in a number column names the file, the row, its line and byte offset, and the column (issue #18)', async () => {
    const rows = [HEADER, ROW, ROW, ROW, 'abc,3.5,1.4,0.2', ROW];
    const err = await failOn('text.csv', `${rows.join('\n')}\n`, 'csv', 4);
    const offset = rows.slice(0, 4).join('\n').length + 1;
    expect(err.message).toContain(`Failed to predict row 4 of '${join(dir, 'text.csv')}' (line 5, byte offset ${offset}):`);
    expect(err.message).toContain('sepal_length');
  });

  it('a short row names the row, its line and offset and the missing columns, not only "Input X contains NaN" (issue #18)', async () => {
    const text = `${HEADER}\r\n${ROW}\r\n${ROW}\r\n5.1,3.5\r\n${ROW}\r\n`;
    const err = await failOn('short.csv', text, 'csv');
    const offset = text.indexOf('5.1,3.5\r');
    expect(err.message).toBe(
      `Failed to predict row 3 of '${join(dir, 'short.csv')}' (line 4, byte offset ${offset}; the row has 2 of 4 fields: columns 'petal_length', 'petal_width' missing): Input X contains NaN.`,
    );
  });

  it('a truncated file names its last row and the column it cut off (issue #18)', async () => {
    const text = `${HEADER}\n${ROW}\n${ROW}\n5.1,3.5,1.`;
    const err = await failOn('truncated.csv', text, 'csv', 2);
    expect(err.message).toContain(`row 3 of '${join(dir, 'truncated.csv')}' (line 4, byte offset ${text.lastIndexOf('\n') + 1}; the row has 3 of 4 fields: column 'petal_width' missing)`);
  });

  it('an empty cell names the row and the column without a value', async () => {
    const text = `${HEADER}\n${ROW}\n5.1,,1.4,0.2\n`;
    const err = await failOn('empty-cell.csv', text, 'csv');
    expect(err.message).toContain(`row 2 of '${join(dir, 'empty-cell.csv')}' (line 3, byte offset ${text.indexOf('5.1,,')}; no value in column 'sepal_width'): Input X contains NaN.`);
  });

  it('a bad JSON line record names its row and line', async () => {
    const good = JSON.stringify(Object.fromEntries(HEADER.split(',').map((c, i) => [c, Number(ROW.split(',')[i])])));
    const text = `${good}\n\n${good}\n{"sepal_length": 1}\n`;
    const err = await failOn('missing.jsonl', text, 'jsonl');
    expect(err.message).toContain(`row 3 of '${join(dir, 'missing.jsonl')}' (line 4, byte offset ${text.lastIndexOf('{')}`);
  });

  it('a CSV that is not UTF-8 names the byte offset of the first bad byte (issue #18)', async () => {
    const bytes = Buffer.concat([Buffer.from(`${HEADER}\n${ROW}\né,`), Buffer.from([0xc3, 0x28]), Buffer.from(',1,1\n')]);
    const err = await failOn('latin.csv', bytes, 'csv');
    expect(err.message).toBe(`'${join(dir, 'latin.csv')}' is not valid UTF-8 text (byte offset ${HEADER.length + ROW.length + 5})`);
  });

  it('a CSV column the signature does not read is dropped unread, as MLflow\'s enforcement drops it: an integer beyond 2^53 there is no error', async () => {
    const input = join(dir, 'extra.csv');
    await writeFile(input, `${HEADER},id\n${ROW},9007199254740993\n`);
    const output = join(dir, 'extra.result.json');
    await batchPredict(predictor, { input, output, contentType: 'csv' });
    expect(await readFile(output, 'utf8')).toBe('{"predictions": [0]}');
    await rm(output);
  });

  it('integers in double columns are read as doubles, as MLflow reads the input with the schema', async () => {
    for (const [name, text, contentType] of [
      ['ints.csv', `${HEADER}\n5,3,1,0\n8,3,6,2\n`, 'csv'],
      ['ints.json', `{"dataframe_split": {"columns": ${JSON.stringify(HEADER.split(','))}, "data": [[5, 3, 1, 0], [8, 3, 6, 2]]}}`, 'json'],
    ] as const) {
      const input = join(dir, name);
      await writeFile(input, text);
      const output = join(dir, `${name}.result.json`);
      await batchPredict(predictor, { input, output, contentType });
      expect(await readFile(output, 'utf8')).toBe('{"predictions": [0, 2]}');
      await rm(output);
    }
  });

  it('an integer beyond 2^53 in a column the schema reads as double is rounded into it, as MLflow reads it', async () => {
    const input = join(dir, 'big-double.csv');
    await writeFile(input, `${HEADER}\n9007199254740993,3.5,1.4,0.2\n`);
    const output = join(dir, 'big-double.json');
    await batchPredict(predictor, { input, output, contentType: 'csv' });
    expect(JSON.parse(await readFile(output, 'utf8'))).toEqual({ predictions: [expect.any(Number)] });
    await rm(output);
  });

  it('invalid JSON names the file and the position', async () => {
    const err = await failOn('bad.json', '{"dataframe_split": {"columns": [', 'json');
    expect(err.errorCode).toBe('BAD_REQUEST');
    expect(err.message).toContain('line 1 column 34');
  });

  it('a JSON document of the wrong shape names the file', async () => {
    const err = await failOn('shape.json', '{"data": [[1, 2, 3, 4]]}', 'json');
    expect(err.message).toContain('exactly one of the input fields');
  });

  it('JSON that is not UTF-8 is refused rather than decoded with replacement characters', async () => {
    const bytes = Buffer.concat([Buffer.from('{"inputs": ["'), Buffer.from([0xff, 0xfe]), Buffer.from('"]}')]);
    const err = await failOn('latin.json', bytes, 'json');
    expect(err.message).toContain('not valid UTF-8 text (byte offset 13)');
  });

  it('a bad JSON line names the file and the line', async () => {
    const good = JSON.stringify(Object.fromEntries(HEADER.split(',').map((c, i) => [c, Number(ROW.split(',')[i])])));
    const err = await failOn('bad.jsonl', `${good}\n${good}\n{"sepal_length": \n`, 'jsonl');
    expect(err.message).toContain('line 3');
  });

  it('a file that is not Parquet names the file', async () => {
    const err = await failOn('garbage.parquet', 'PAR1 this is not parquet at all', 'parquet');
    expect(err.errorCode).toBe('BAD_REQUEST');
  });

  it('a Parquet int64 beyond 2^53 is refused, naming the value and the column', async () => {
    const buffer = parquetWriteBuffer({ columnData: [{ name: 'id', data: BigInt64Array.of(9007199254740993n), type: 'INT64' }] });
    const err = await failOn('big.parquet', new Uint8Array(buffer), 'parquet');
    expect(err.message).toContain("The integer 9007199254740993 in column 'id' is beyond 2^53");
  });

  it('an Arrow int64 beyond 2^53 is refused, naming the value and the column', async () => {
    const ipc = tableToIPC(tableFromArrays({ id: BigInt64Array.of(-9007199254740993n) }), 'file');
    const err = await failOn('big.arrow', ipc, 'arrow');
    expect(err.message).toContain("The integer -9007199254740993 in column 'id' is beyond 2^53");
  });

  it('a missing input file is RESOURCE_DOES_NOT_EXIST naming it', async () => {
    const input = join(dir, 'nope.csv');
    const err = await failure(batchPredict(predictor, { input, output: join(dir, 'nope.out.json'), contentType: 'csv' }));
    expect(err.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(err.message).toContain(input);
  });

  it('an output path in a missing directory is refused before anything is scored', async () => {
    const input = join(dir, 'ok.csv');
    await writeFile(input, `${HEADER}\n${ROW}\n`);
    const output = join(dir, 'missing', 'dir', 'out.json');
    const err = await failure(batchPredict(predictor, { input, output, contentType: 'csv' }));
    expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(err.message).toContain(join(dir, 'missing', 'dir'));
  });

  it('an output path that is a directory, or an input that is one, is refused naming it', async () => {
    const input = join(dir, 'ok.csv');
    await writeFile(input, `${HEADER}\n${ROW}\n`);
    const toDir = await failure(batchPredict(predictor, { input, output: dir, contentType: 'csv' }));
    expect(toDir.message).toBe(`Cannot write the output file '${dir}': it is a directory`);
    const fromDir = await failure(batchPredict(predictor, { input: dir, output: join(dir, 'x.json'), contentType: 'csv' }));
    expect(fromDir.message).toContain(dir);
  });

  it('a failure in a later batch leaves an existing output file as it was', async () => {
    const input = join(dir, 'late.csv');
    await writeFile(input, `${[HEADER, ROW, ROW, ROW, 'x,1,1,1'].join('\n')}\n`);
    for (const ext of ['json', 'csv', 'parquet'] as const) {
      const output = join(dir, `keep.${ext}`);
      await writeFile(output, 'previous predictions');
      const err = await failure(batchPredict(predictor, { input, output, contentType: 'csv', outputFormat: ext, batchRows: 2 }));
      expect(err.message).toContain('row 4 of');
      expect(await readFile(output, 'utf8')).toBe('previous predictions');
    }
    expect((await readdir(dir)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('a successful run replaces the output file whole', async () => {
    const input = join(dir, 'fine.csv');
    await writeFile(input, `${[HEADER, ROW, ROW, ROW].join('\n')}\n`);
    const output = join(dir, 'fine.json');
    await writeFile(output, 'previous predictions');
    await batchPredict(predictor, { input, output, contentType: 'csv', batchRows: 2 });
    expect(await readFile(output, 'utf8')).toBe('{"predictions": [0, 0, 0]}');
    expect((await readdir(dir)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });
});

describe('models predict on a bad file', () => {
  it('prints the error naming the file and exits non-zero, writing no output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'batch-cli-'));
    try {
      const input = join(dir, 'ragged.csv');
      const output = join(dir, 'out.json');
      await writeFile(input, `${HEADER}\n${ROW},1,2\n${ROW}\n`);
      const cli = fileURLToPath(new URL('../cli/run-cli.ts', import.meta.url));
      for (const toFile of [true, false]) {
        const args = ['--import', 'tsx', cli, 'models', 'predict', '-m', fixture('iris-strict'), '-i', input, '-t', 'csv'];
        const child = spawn(process.execPath, toFile ? [...args, '-o', output] : args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        expect(code).not.toBe(0);
        expect(stderr).toContain(input);
        // Not even an empty {"predictions": []} that a pipeline could take for a result.
        expect(stdout).toBe('');
        expect(await readdir(dir)).toEqual(['ragged.csv']);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('models predict interrupted', () => {
  /**
   * Starts `models predict` with `args`, waits for its temporary output file in `out`, sends
   * `signal`, and checks that the process ended by it and the file is gone.
   */
  async function interrupt(args: string[], out: string, signal: NodeJS.Signals, stdin?: string): Promise<void> {
    const cli = fileURLToPath(new URL('../cli/run-cli.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'models', 'predict', ...args, '-o', join(out, 'out.json')], {
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'ignore', 'ignore'],
    });
    const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, sig) => resolve(sig)));
    if (stdin !== undefined) child.stdin!.write(stdin);
    let partials: string[] = [];
    for (let i = 0; i < 600 && partials.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      partials = (await readdir(out)).filter((f) => f.endsWith('.partial'));
    }
    expect(partials).toHaveLength(1);
    child.kill(signal);
    expect(await closed).toBe(signal);
    expect(await readdir(out)).toEqual([]);
  }

  it.each(['SIGINT', 'SIGTERM'] as const)('%s removes the temporary output file and ends the process by the signal', async (signal) => {
    const dir = await mkdtemp(join(tmpdir(), 'batch-signal-'));
    try {
      // Input from a pipe kept open, so the run is still going when the signal comes.
      await interrupt(['-m', fixture('iris-strict'), '-t', 'csv', '--batch-rows', '1'], dir, signal, `${HEADER}\n${ROW}\n${ROW}\n${ROW}\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it.each(['SIGINT', 'SIGTERM'] as const)('%s with --workers 2 on a CSV file the threads read: the temporary output is removed too', async (signal) => {
    const dir = await mkdtemp(join(tmpdir(), 'batch-signal-'));
    try {
      // a model that takes 50 ms a batch, so the run is still going when the signal comes
      const model = await writeJsModuleModel(
        join(dir, 'slow'),
        'slow.mjs',
        'export async function loadModel() { return { predict: (df) => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); return new Array(df.numRows).fill(1); } }; }\n',
      );
      const input = join(dir, 'in.csv');
      await writeFile(input, `${HEADER}\n${`${ROW}\n`.repeat(2_000)}`);
      const out = join(dir, 'out');
      await mkdir(out);
      await interrupt(['-m', model, '-i', input, '-t', 'csv', '--batch-rows', '1', '--workers', '2'], out, signal);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
