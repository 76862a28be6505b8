"""Half of bench/sklearn-batch.ts: trains the models, scores them with scikit-learn, writes the data.

    python3 sklearn_batch.py OUT_DIR ROWS REPEATS MODEL[:REPEATS]...

For each MODEL (logreg, rf, hgb) writes OUT_DIR/MODEL.pkl, then predicts the same ROWS x 20
float64 rows (OUT_DIR/X.f64, row-major, little-endian) REPEATS times (or the model's own count)
and writes OUT_DIR/MODEL.pred.f64 (the predicted labels as float64). Prints one JSON line:
{"sklearn": version, "MODEL": [seconds in each predict], "MODEL_cpu": [CPU seconds in each], ...}.
Only predict is timed, on a numpy array, single-threaded (the caller sets OMP_NUM_THREADS=1).
"""
import json
import pickle
import sys
import time

import numpy as np
import sklearn
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression

FEATURES = 20
TRAIN_ROWS = 20_000

MAKERS = {
    "logreg": lambda: LogisticRegression(max_iter=1000),
    "rf": lambda: RandomForestClassifier(n_estimators=100, random_state=0),
    "hgb": lambda: HistGradientBoostingClassifier(random_state=0),
}


def main():
    out_dir, rows, repeats, names = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    x_all, y_all = make_classification(
        n_samples=TRAIN_ROWS + rows, n_features=FEATURES, n_informative=10, n_classes=3, random_state=0
    )
    x_train, y_train = x_all[:TRAIN_ROWS], y_all[:TRAIN_ROWS]
    x = np.ascontiguousarray(x_all[TRAIN_ROWS:], dtype="<f8")
    x.tofile(f"{out_dir}/X.f64")
    seconds = {"sklearn": sklearn.__version__}
    for spec in names:
        name, _, count = spec.partition(":")
        model = MAKERS[name]().fit(x_train, y_train)
        with open(f"{out_dir}/{name}.pkl", "wb") as f:
            pickle.dump(model, f)
        model.predict(x[:1000])  # warm-up
        seconds[name] = []
        seconds[f"{name}_cpu"] = []
        for _ in range(int(count or repeats)):
            start, cpu = time.perf_counter(), time.process_time()
            pred = model.predict(x)
            seconds[name].append(time.perf_counter() - start)
            seconds[f"{name}_cpu"].append(time.process_time() - cpu)
        pred.astype("<f8").tofile(f"{out_dir}/{name}.pred.f64")
    print(json.dumps(seconds))


main()
