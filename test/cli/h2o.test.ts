import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerH2O } from '../../src/cli/h2o.js';
import { Model } from '../../src/model/index.js';
import { loadPredictor } from '../../src/pyfunc/index.js';
import { parseCsvRequest } from '../../src/frame/index.js';
import type { Frame } from '../../src/frame/frame.js';

const MOJO = join(import.meta.dirname, '../fixtures/h2o/h2o-3/h2o-genmodel/src/test/resources/hex/genmodel/algos/ensemble/multinomial.zip');
const tmp = mkdtempSync(join(tmpdir(), 'mlflow-ts-h2o-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[]): Promise<void> {
  const program = new Command('mlflow-ts').exitOverride();
  registerH2O(program);
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('mlflow-ts h2o save', () => {
  it('packages a MOJO with an input example and PredictCsv switches; the saved model scores', async () => {
    const csv = join(tmp, 'ex.csv');
    writeFileSync(csv, 'CAPSULE,AGE,DPROS,DCAPS,PSA,VOL,GLEASON\n0,65,2,1,1.4,0,6\n');
    const jar = join(tmp, 'h2o-genmodel.jar');
    writeFileSync(jar, 'PK\u0003\u0004 a stand-in jar');
    const out = join(tmp, 'model');
    await run(['h2o', 'save', '--mojo', MOJO, '-o', out, '--input-example', csv, '--genmodel-jar', jar, '--extra-prediction-arg', '--setConvertInvalidNum']);
    const model = await Model.load(out);
    expect(model.flavors.h2o_mojo_pojo).toMatchObject({
      model_file: 'multinomial.zip',
      model_type: 'MOJO',
      h2o_version: '3.15.0.99999',
      extra_prediction_args: ['--setConvertInvalidNum'],
      relevant_columns: ['CAPSULE', 'AGE', 'DPROS', 'DCAPS', 'PSA', 'VOL', 'GLEASON'],
    });
    expect(existsSync(join(out, 'multinomial.zip'))).toBe(true);
    expect(existsSync(join(out, 'h2o-genmodel.jar'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'input_example.json'), 'utf8'))).toEqual({
      columns: ['CAPSULE', 'AGE', 'DPROS', 'DCAPS', 'PSA', 'VOL', 'GLEASON'],
      data: [[0, 65, 2, 1, 1.4, 0, 6]],
    });
    const p = await loadPredictor(out, { runtime: 'native' });
    const pred = (await p.predict(parseCsvRequest('CAPSULE,AGE,DPROS,DCAPS,PSA,VOL,GLEASON\n0,65,2,1,1.4,0,6\n'))) as Frame;
    // h2o-3's asserted MultinomialModelPrediction for this row: label "1", p = [0.006592327, 0.901237, 0.09217069]
    expect(pred.columnNames).toEqual(['predict', 'p0', 'p1', 'p2']);
    expect(Array.from(pred.column('predict')!.data.values as ArrayLike<number>)).toEqual([1]);
    expect((pred.column('p1')!.data.values as Float64Array)[0]).toBeCloseTo(0.901237, 5);
  });

  it('refuses a file that is not a MOJO, naming it', async () => {
    const bad = join(tmp, 'not-a-mojo.zip');
    writeFileSync(bad, 'hello');
    await expect(run(['h2o', 'save', '--mojo', bad, '-o', join(tmp, 'bad')])).rejects.toThrow(/not-a-mojo\.zip is not a MOJO/);
  });
});
