// The js_function loader of the iris example: a multinomial logistic regression whose
// coefficients were fitted by scikit-learn (see ../README.md). Plain JavaScript, so it runs
// without a build step.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Called once by mlflow-ts with the absolute path of the model's `data` entry and the
 * `js_function` section of MLmodel. Returns the object whose predict scores requests.
 */
export async function loadModel(dataPath) {
  const { features, classes, coef, intercept } = JSON.parse(
    await readFile(join(dataPath, 'coefficients.json'), 'utf8'),
  );

  /** The feature value of a row, from a Frame (column signature) or an [n, 4] tensor. */
  function reader(input) {
    if (input.kind === 'tensor') {
      if (input.shape.length !== 2 || input.shape[1] !== features.length) {
        throw new Error(`Expected a tensor of shape [n, ${features.length}], got [${input.shape.join(', ')}]`);
      }
      return { rows: input.shape[0], value: (row, j) => input.data[row * features.length + j] };
    }
    const columns = features.map((name) => input.column(name).data.values);
    return { rows: input.numRows, value: (row, j) => columns[j][row] };
  }

  return {
    /**
     * `input` has already been checked against the signature: a Frame with the four double
     * columns (this model's signature), or a float64 tensor of shape [n, 4] when the same
     * loader is used with a tensor signature. Returns the class of each row as an int64
     * tensor, which the scoring server writes as `{"predictions": [0, 2, ...]}`.
     */
    predict(input) {
      const { rows, value } = reader(input);
      // As scikit-learn does, refuse what a linear model cannot score rather than guess.
      if (rows === 0) throw new Error('Found array with 0 sample(s) while a minimum of 1 is required');
      const labels = new Float64Array(rows);
      for (let row = 0; row < rows; row++) {
        let best = 0;
        let bestScore = -Infinity;
        for (let k = 0; k < classes.length; k++) {
          let score = intercept[k];
          for (let j = 0; j < features.length; j++) score += coef[k][j] * value(row, j);
          if (Number.isNaN(score)) throw new Error('Input contains NaN');
          // Ties keep the first class, as numpy's argmax does.
          if (score > bestScore) {
            bestScore = score;
            best = k;
          }
        }
        labels[row] = classes[best];
      }
      return { kind: 'tensor', dtype: 'int64', shape: [rows], data: labels };
    },
  };
}
