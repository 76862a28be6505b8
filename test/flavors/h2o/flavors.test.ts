import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { frameFromRecords } from '../../../src/frame/index.js';
import { saveH2OMojo } from '../../../src/flavors/h2o/index.js';
import { Model } from '../../../src/model/index.js';
import { loadPredictor } from '../../../src/pyfunc/index.js';
import { Frame } from '../../../src/frame/frame.js';

const FIX = join(__dirname, '../../fixtures/h2o/h2o-3/h2o-genmodel/src/test/resources/hex/genmodel');
const GBM = join(FIX, 'algos/gbm/gbm_variable_importance.zip');
const ENSEMBLE = join(FIX, 'algos/ensemble/binomial.zip');
const CALIBRATED = join(FIX, 'algos/gbm/calibrated');
const tmp = mkdtempSync(join(tmpdir(), 'mlflow-ts-h2o-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// prostate rows: CAPSULE ~ AGE, RACE, DPROS, DCAPS, PSA, VOL, GLEASON, all doubles (as the MOJO's signature reads them)
const ROWS = [
  { AGE: 65, RACE: 1, DPROS: 2, DCAPS: 1, PSA: 1.4, VOL: 0, GLEASON: 6 },
  { AGE: 72, RACE: 2, DPROS: 3, DCAPS: 2, PSA: 6.7, VOL: 0, GLEASON: 7 },
];
function floats(rows: Record<string, number>[]): Frame {
  const names = Object.keys(rows[0]);
  return new Frame(names.map((name) => ({ name, data: { kind: 'number', dtype: 'float64', values: Float64Array.from(rows, (r) => r[name]) } })));
}

function col(f: unknown, name: string): unknown[] {
  const c = (f as Frame).column(name);
  if (!c) throw new Error(`no column ${name}`);
  return Array.from(c.data.values as ArrayLike<unknown>);
}

/** An h2o_mojo_pojo model dir as h2o_mlflow_flavor writes it, by hand (no signature). */
function mojoPojoDir(name: string, flavor: Record<string, unknown>, mojo = ENSEMBLE): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  cpSync(mojo, join(dir, 'model.zip'), { recursive: true });
  const conf = { model_file: 'model.zip', model_type: 'MOJO', extra_prediction_args: [], relevant_columns: [], h2o_version: '3.15.0.99999', code: null, ...flavor };
  writeFileSync(
    join(dir, 'MLmodel'),
    `flavors:\n  h2o_mojo_pojo: ${JSON.stringify(conf)}\n  python_function: {loader_module: h2o_mlflow_flavor, model_path: model.zip}\n`,
  );
  return dir;
}

describe('h2o_mojo_pojo flavor', () => {
  it('h2o save writes the MLmodel h2o_mlflow_flavor.save_model writes, with a signature from the MOJO', async () => {
    const dir = join(tmp, 'saved');
    await saveH2OMojo(dir, { mojo: GBM, inputExample: floats(ROWS) });
    const m = await Model.load(dir);
    expect(m.flavors.h2o_mojo_pojo).toEqual({
      code: null,
      extra_prediction_args: [],
      h2o_version: '3.32.0.99999',
      model_file: 'gbm_variable_importance.zip',
      model_type: 'MOJO',
      relevant_columns: ['AGE', 'RACE', 'DPROS', 'DCAPS', 'PSA', 'VOL', 'GLEASON'],
    });
    expect(m.flavors.python_function).toMatchObject({ loader_module: 'h2o_mlflow_flavor', model_path: 'gbm_variable_importance.zip' });
    expect(m.signature?.toDict()).toMatchObject({
      inputs: expect.stringContaining('{"type": "double", "name": "AGE", "required": true}'),
      outputs: '[{"type": "long", "name": "predict", "required": true}, {"type": "double", "name": "p0", "required": true}, {"type": "double", "name": "p1", "required": true}]',
    });
    expect(readFileSync(join(dir, 'requirements.txt'), 'utf8')).toContain('h2o_mlflow_flavor');
    const p = await loadPredictor(dir, { runtime: 'native' });
    const out = (await p.predict(floats(ROWS))) as Frame;
    expect(out.columnNames).toEqual(['predict', 'p0', 'p1']);
    const p1 = col(out, 'p1') as number[];
    expect(col(out, 'p0').map((v, i) => (v as number) + p1[i])).toEqual([1, 1]);
    // the label is the class at or above the model's default_threshold (0.477...)
    expect(col(out, 'predict')).toEqual(p1.map((v) => (v >= 0.4772353086755216 ? 1 : 0)));
    // a missing required column is refused (400) naming it
    await expect(p.predict(floats([{ AGE: 65 }]))).rejects.toThrow(/RACE/);
  });

  it('scores a StackedEnsemble with PredictCsv columns; the expected value h2o-3 asserts', async () => {
    const p = await loadPredictor(mojoPojoDir('se', {}), { runtime: 'native' });
    const out = (await p.predict(frameFromRecords([{ AGE: '65', RACE: '1', DPROS: '2', DCAPS: '1', PSA: '1.4', VOL: '0', GLEASON: '6' }]))) as Frame;
    expect(col(out, 'predict')).toEqual([0]);
    expect(col(out, 'p0')[0]).toBeCloseTo(0.8222695, 5);
  });

  it('a missing column without a signature is NA, as in PredictCsv', async () => {
    const p = await loadPredictor(mojoPojoDir('se-missing', {}), { runtime: 'native' });
    const out = (await p.predict(frameFromRecords([{ AGE: 65 }]))) as Frame;
    expect(out.columnNames).toEqual(['predict', 'p0', 'p1']);
    expect(Number.isFinite(col(out, 'p0')[0])).toBe(true);
  });

  it('a string in a numeric column is a 400 naming the column, or NA with --setConvertInvalidNum', async () => {
    const bad = frameFromRecords([{ AGE: 'old', RACE: '1', DPROS: '2', DCAPS: '1', PSA: '1.4', VOL: '0', GLEASON: '6' }]);
    const strict = await loadPredictor(mojoPojoDir('se-strict', {}), { runtime: 'native' });
    await expect(strict.predict(bad)).rejects.toMatchObject({ errorCode: 'BAD_REQUEST', message: expect.stringContaining("Column 'AGE'") });
    const lenient = await loadPredictor(mojoPojoDir('se-lenient', { extra_prediction_args: ['--setConvertInvalidNum'] }), { runtime: 'native' });
    const asNa = (await lenient.predict(bad)) as Frame;
    const missing = (await lenient.predict(frameFromRecords([{ RACE: '1', DPROS: '2', DCAPS: '1', PSA: '1.4', VOL: '0', GLEASON: '6' }]))) as Frame;
    expect(col(asNa, 'p0')).toEqual(col(missing, 'p0'));
  });

  it('an unseen categorical level is NA; --predictCalibrated adds cal_ columns (h2o-3 asserted values)', async () => {
    const dir = mojoPojoDir('calibrated', { extra_prediction_args: ['--predictCalibrated'] }, CALIBRATED);
    const p = await loadPredictor(dir, { runtime: 'native' });
    const row = { SegSumT: 18.7, SegTSeas: 1.51, SegLowFlow: 1.003, DSDist: 132.53, DSMaxSlope: 1.15, USAvgT: 0.2, USRainDays: 1.153, USSlope: 8.3, USNative: 0.34, DSDam: 0.0 };
    const out = (await p.predict(frameFromRecords([{ ...row, Method: 'electric' }, { ...row, Method: 'martian' }, { ...row, Method: null }]))) as Frame;
    expect(out.columnNames).toEqual(['predict', 'p0', 'p1', 'cal_p0', 'cal_p1']);
    expect(col(out, 'predict')[0]).toBe(1);
    expect(col(out, 'p0')[0]).toBeCloseTo(0.5416688, 6);
    expect(col(out, 'cal_p1')[0]).toBeCloseTo(0.6079598, 6);
    expect(col(out, 'p0')[1]).toBe(col(out, 'p0')[2]);
  });

  it('refuses POJOs, unknown model types and PredictCsv switches it does not honour, by name', async () => {
    await expect(loadPredictor(mojoPojoDir('pojo', { model_type: 'POJO', model_file: 'GBM_model' }), { runtime: 'native' })).rejects.toMatchObject({
      errorCode: 'NOT_IMPLEMENTED',
      message: expect.stringContaining('H2O POJO (compiled Java classes)'),
    });
    await expect(loadPredictor(mojoPojoDir('contrib', { extra_prediction_args: ['--predictContributions'] }), { runtime: 'native' })).rejects.toThrow(
      /--predictContributions is not supported natively/,
    );
    await expect(loadPredictor(mojoPojoDir('bogus', { extra_prediction_args: ['--frobnicate'] }), { runtime: 'native' })).rejects.toThrow(
      /'--frobnicate' is not a PredictCsv option/,
    );
  });

  it('a corrupt MOJO is refused at load, naming the file', async () => {
    const dir = mojoPojoDir('corrupt', {});
    writeFileSync(join(dir, 'model.zip'), 'PK\u0003\u0004 not really a zip');
    await expect(loadPredictor(dir, { runtime: 'native' })).rejects.toThrow(/model\.zip is a corrupt zip archive/);
  });
});
