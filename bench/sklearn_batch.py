"""Half of bench/sklearn-batch.ts: trains the models, then times scikit-learn's predict on request.

    python3 sklearn_batch.py OUT_DIR ROWS MODEL...

For each MODEL (logreg, rf, hgb) writes OUT_DIR/MODEL.pkl, and writes the same ROWS x 20 float64
rows the models predict (OUT_DIR/X.f64, row-major, little-endian); then prints one JSON line,
{"sklearn": version}. Then, for each line read from stdin:
  MODEL   predicts the ROWS rows once with MODEL and prints {"s": seconds, "cpu": CPU seconds};
          the first time, also writes OUT_DIR/MODEL.pred.f64 (the predicted labels as float64),
          after the timing.
so that the caller can time its own predict between two of ours, under the same load. Only
predict is timed, on a numpy array, single-threaded (the caller sets OMP_NUM_THREADS=1); each
model predicts 1,000 rows once before its first timed call (a warm-up).
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
    out_dir, rows, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    x_all, y_all = make_classification(
        n_samples=TRAIN_ROWS + rows, n_features=FEATURES, n_informative=10, n_classes=3, random_state=0
    )
    x_train, y_train = x_all[:TRAIN_ROWS], y_all[:TRAIN_ROWS]
    x = np.ascontiguousarray(x_all[TRAIN_ROWS:], dtype="<f8")
    x.tofile(f"{out_dir}/X.f64")
    models = {}
    for name in names:
        models[name] = MAKERS[name]().fit(x_train, y_train)
        with open(f"{out_dir}/{name}.pkl", "wb") as f:
            pickle.dump(models[name], f)
        models[name].predict(x[:1000])  # warm-up
    print(json.dumps({"sklearn": sklearn.__version__}), flush=True)
    written = set()
    for line in sys.stdin:
        name = line.strip()
        start, cpu = time.perf_counter(), time.process_time()
        pred = models[name].predict(x)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        if name not in written:
            pred.astype("<f8").tofile(f"{out_dir}/{name}.pred.f64")
            written.add(name)
        del pred
        print(json.dumps({"s": seconds, "cpu": cpu_seconds}), flush=True)


main()
