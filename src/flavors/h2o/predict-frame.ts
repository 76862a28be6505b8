import { MlflowError } from '../../errors.js';
import { inferCsvColumn } from '../../frame/csv-columns.js';
import { Frame, type Column } from '../../frame/frame.js';
import type { MojoMeta, MojoModel } from './mojo/mojo-model.js';
import type { PredictionArgs } from './prediction-args.js';
import { rowInput } from './row-input.js';

/**
 * Scores a table as h2o_mojo_pojo's pyfunc returns it: the columns PredictCsv writes (with
 * --decimal) read back by pandas.read_csv. Classifiers: `predict` (the label, typed as pandas
 * reads it: int64 when every label is an integer) and one probability per class, named by
 * getOutputNames (integer levels as p0, p1...); with --predictCalibrated, cal_<name> columns follow.
 * Regression: `predict`. Clustering: `cluster` (a float: PredictCsv prints it as a double).
 * CoxPH: `lp`, the linear predictor. Anomaly detection: `predict` (normalized score) and `mean_length`.
 */
export function predictFrame(model: MojoModel, frame: Frame, args: PredictionArgs): Frame {
  const meta = model.meta;
  const n = frame.numRows;
  const input = rowInput(meta, frame, args.convertInvalidNumbers);
  const row = new Float64Array(meta.nfeatures);
  const preds = new Float64Array(model.predsSize);
  const scoreRow = (r: number): void => {
    input.fill(r, row);
    preds.fill(0);
    model.score0(row, input.offset(r), preds);
  };
  switch (meta.category) {
    case 'Binomial':
    case 'Multinomial':
    case 'Ordinal':
      return classifierFrame(model, n, scoreRow, preds, args.calibrated);
    case 'Regression':
      return numbersFrame(['predict'], n, scoreRow, preds);
    case 'Clustering':
      return numbersFrame(['cluster'], n, scoreRow, preds);
    case 'CoxPH':
      return numbersFrame(['lp'], n, scoreRow, preds);
    case 'AnomalyDetection':
      return numbersFrame(meta.algo === 'extendedisolationforest' ? ['anomaly_score', 'mean_length'] : ['predict', 'mean_length'], n, scoreRow, preds);
    default:
      throw new MlflowError(`${meta.where}: ${meta.category} MOJOs are not scored natively; use --runtime python`, 'NOT_IMPLEMENTED');
  }
}

/** getOutputNames' class columns: the response levels, integer ones prefixed with "p". */
export function classColumnNames(meta: MojoMeta): string[] {
  const domain = meta.domains[meta.columns.length - 1];
  if (!domain) return Array.from({ length: meta.nclasses }, (_, i) => String(i));
  return domain.map((l) => (/^[+-]?\d+$/.test(l) && Math.abs(Number(l)) < 2 ** 31 ? `p${l}` : l));
}

function classifierFrame(model: MojoModel, n: number, scoreRow: (r: number) => void, preds: Float64Array, calibrated: boolean): Frame {
  const meta = model.meta;
  const k = meta.nclasses;
  const domain = meta.domains[meta.columns.length - 1] ?? Array.from({ length: k }, (_, i) => String(i));
  const names = classColumnNames(meta);
  const withCal = calibrated && model.calibrate !== undefined;
  const labels = new Array<string>(n);
  const probs = Array.from({ length: k }, () => new Float64Array(n));
  const cal = withCal ? Array.from({ length: k }, () => new Float64Array(n)) : [];
  for (let r = 0; r < n; r++) {
    scoreRow(r);
    labels[r] = domain[preds[0]] ?? String(preds[0]);
    for (let c = 0; c < k; c++) probs[c][r] = preds[c + 1];
    if (withCal) {
      if (!model.calibrate!(preds)) {
        throw new MlflowError(`${meta.where}: --predictCalibrated was asked, but the model was not calibrated`, 'INVALID_PARAMETER_VALUE');
      }
      for (let c = 0; c < k; c++) cal[c][r] = preds[c + 1];
    }
  }
  const columns: Column[] = [{ name: 'predict', data: inferCsvColumn(labels, 'predict', true) }];
  names.forEach((name, c) => columns.push({ name, data: { kind: 'number', dtype: 'float64', values: probs[c] } }));
  if (withCal) names.forEach((name, c) => columns.push({ name: `cal_${name}`, data: { kind: 'number', dtype: 'float64', values: cal[c] } }));
  return new Frame(columns, n);
}

function numbersFrame(names: readonly string[], n: number, scoreRow: (r: number) => void, preds: Float64Array): Frame {
  const values = names.map(() => new Float64Array(n));
  for (let r = 0; r < n; r++) {
    scoreRow(r);
    for (let c = 0; c < names.length; c++) values[c][r] = preds[c];
  }
  return new Frame(names.map((name, c) => ({ name, data: { kind: 'number', dtype: 'float64', values: values[c] } })), n);
}
