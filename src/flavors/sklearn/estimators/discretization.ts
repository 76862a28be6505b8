import { matrix, toMatrix, withF32, type Data, type Matrix } from '../data.js';
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
  const dtypeName = dtype === null || dtype === undefined ? null : typeof dtype === 'object' ? (dtype as { name?: unknown }).name : undefined;
  if (dtypeName !== null && dtypeName !== 'float64' && dtypeName !== 'float32') {
    s.fail('only dtype=None, np.float64 or np.float32 is supported natively');
  }
  // the output dtype is the checked X's: dtype=None keeps float32 rows float32; np.float32 makes
  // every X float32 (its values rounded before they are binned)
  const f32Of = (m: Matrix): boolean => dtypeName === 'float32' || (dtypeName === null && m.f32 === true);
  const edges = s.list('bin_edges_').map((e, j) => {
    if (!isNdArray(e)) return s.fail(`bin_edges_[${j}] should be an array`);
    return floatData(e, `bin_edges_[${j}]`).slice(1, -1);
  });
  const encode = s.string('encode');
  const ordinal = (x: Data): Matrix => {
    const m = toMatrix(x);
    if (m.cols !== edges.length) s.fail(`X has ${m.cols} features, but KBinsDiscretizer is expecting ${edges.length} features as input.`);
    const f32 = f32Of(m);
    const out = new Float64Array(m.rows * m.cols);
    for (let i = 0; i < m.rows; i++) {
      for (let j = 0; j < m.cols; j++) {
        const v = f32 ? Math.fround(m.data[i * m.cols + j]) : m.data[i * m.cols + j];
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
    return withF32(matrix(m.rows, m.cols, out), f32);
  };
  if (encode === 'ordinal') return { className: s.className, transform: ordinal };
  if (encode !== 'onehot' && encode !== 'onehot-dense') return s.fail(`encode '${encode}' is not supported natively`);
  const encoder = build(s.raw('_encoder'), `${s.className}._encoder`);
  if (!encoder.transform) return s.fail('_encoder has no transform');
  return {
    className: s.className,
    transform: (x) => {
      const bins = ordinal(x);
      const out = encoder.transform!(bins);
      // transform sets the encoder's dtype to the binned X's: float32 bins give float32 0/1 columns
      if (!bins.f32) return out;
      return out.kind === 'csr' ? { ...out, dtype: 'float32' } : withF32(toMatrix(out), true);
    },
  };
};

export const discretizationBuilders: Record<string, Builder> = {
  'sklearn.preprocessing.KBinsDiscretizer': kBinsDiscretizer,
};
