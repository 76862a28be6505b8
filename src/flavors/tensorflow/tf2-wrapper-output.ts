import { ModelRaisedError } from '../../errors.js';
import { makeTensor, type Tensor } from '../../frame/tensor.js';

/**
 * The outputs MLflow's _TF2Wrapper (a SavedModel signature, model_type tf1-estimator) returns for
 * a dict of named tensors: a dict of every output, each flattened (ravel) when it is not of rank
 * 1 and every row holds exactly one element (shape [n, 1], [n, 1, 1], ...), else as it is (tolist).
 */
export function tf2WrapperOutputs(outputs: Record<string, Tensor>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(outputs)) {
    // defineProperty: an output named "__proto__" is data here.
    Object.defineProperty(out, name, { value: shaped(t), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function shaped(t: Tensor): Tensor {
  if (t.shape.length === 1) return t;
  // numpy cannot iterate a 0-d array: the wrapper's len() check raises, as a model error.
  if (t.shape.length === 0) throw new ModelRaisedError('iteration over a 0-d array');
  if (t.shape[1] !== 1) return t;
  return makeTensor({ ...t, shape: [t.data.length] } as Omit<Tensor, 'kind'>);
}
