import { matrix, toMatrix, type Data } from '../data.js';
import type { Builder } from '../estimator.js';
import { floatData, isNdArray } from '../state.js';

/**
 * KBinsDiscretizer (every strategy: the fitted bin_edges_ are all that is needed). Each value
 * becomes the number of inner edges at or below it (np.searchsorted(edges[1:-1], x,
 * side='right'), the same in scikit-learn 1.2 to 1.9); 'onehot' and 'onehot-dense' then go
 * through the fitted _encoder, a OneHotEncoder over the bin indices (dense output here).
 */
const kBinsDiscretizer: Builder = (s, build) => {
  const dtype = s.raw('dtype');
  if (dtype !== null && dtype !== undefined && !(typeof dtype === 'object' && (dtype as { name?: unknown }).name === 'float64')) {
    s.fail('only dtype=None or np.float64 is supported natively');
  }
  const edges = s.list('bin_edges_').map((e, j) => {
    if (!isNdArray(e)) return s.fail(`bin_edges_[${j}] should be an array`);
    return floatData(e, `bin_edges_[${j}]`).slice(1, -1);
  });
  const encode = s.string('encode');
  const ordinal = (x: Data): Data => {
    const m = toMatrix(x);
    if (m.cols !== edges.length) s.fail(`X has ${m.cols} features, but KBinsDiscretizer is expecting ${edges.length} features as input.`);
    const out = new Float64Array(m.rows * m.cols);
    for (let i = 0; i < m.rows; i++) {
      for (let j = 0; j < m.cols; j++) {
        const v = m.data[i * m.cols + j];
        const e = edges[j];
        let lo = 0;
        let hi = e.length;
        // first edge greater than v (NaN sorts last, as numpy's searchsorted)
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (e[mid] <= v || Number.isNaN(v)) lo = mid + 1;
          else hi = mid;
        }
        out[i * m.cols + j] = lo;
      }
    }
    return matrix(m.rows, m.cols, out);
  };
  if (encode === 'ordinal') return { className: s.className, transform: ordinal };
  if (encode !== 'onehot' && encode !== 'onehot-dense') return s.fail(`encode '${encode}' is not supported natively`);
  const encoder = build(s.raw('_encoder'), `${s.className}._encoder`);
  if (!encoder.transform) return s.fail('_encoder has no transform');
  return { className: s.className, transform: (x) => encoder.transform!(ordinal(x)) };
};

export const discretizationBuilders: Record<string, Builder> = {
  'sklearn.preprocessing.KBinsDiscretizer': kBinsDiscretizer,
};
