"""The library half of bench/boosters.ts: trains a model, saves it, times the library's predict.

    python boosters_ref.py xgboost OUT_DIR ROWS     (Debian's python3-xgboost 1.7.4)
    python boosters_ref.py lightgbm OUT_DIR ROWS    (lightgbm 4.7 + onnx from the wheelhouse venv)

Both: make_classification (20 features), 100 trees, single-threaded predict (nthread=1 /
num_threads=1) on ROWS float64 rows written to OUT_DIR/X.f64; writes the predictions
(OUT_DIR/<lib>.pred.f64) and prints {"seconds": wall, "cpu_seconds": CPU time of predict}. lightgbm also writes a
100-tree ONNX TreeEnsembleRegressor (onnx.helper) as OUT_DIR/trees.onnx.
"""
import json
import sys
import time

import numpy as np
from sklearn.datasets import make_classification

FEATURES = 20
TRAIN_ROWS = 20_000


def data(rows):
    x, y = make_classification(n_samples=TRAIN_ROWS + rows, n_features=FEATURES, n_informative=10, random_state=0)
    return x[:TRAIN_ROWS], y[:TRAIN_ROWS], np.ascontiguousarray(x[TRAIN_ROWS:], dtype="<f8")


def xgboost_side(out, rows):
    import xgboost as xgb
    xtr, ytr, x = data(rows)
    bst = xgb.train({"objective": "binary:logistic", "max_depth": 6, "eta": 0.1, "nthread": 1, "seed": 0},
                    xgb.DMatrix(xtr, label=ytr), num_boost_round=100)
    bst.save_model(f"{out}/model.ubj")
    x.tofile(f"{out}/X.f64")
    d = xgb.DMatrix(x, nthread=1)
    bst.predict(xgb.DMatrix(x[:1000]))
    start, cpu = time.perf_counter(), time.process_time()
    pred = bst.predict(d)
    seconds = (time.perf_counter() - start, time.process_time() - cpu)
    pred.astype("<f8").tofile(f"{out}/xgboost.pred.f64")
    return seconds


def lightgbm_side(out, rows):
    import lightgbm as lgb
    xtr, ytr, x = data(rows)
    b = lgb.train({"objective": "binary", "num_leaves": 63, "learning_rate": 0.1, "num_threads": 1, "verbose": -1, "seed": 0},
                  lgb.Dataset(xtr, ytr), num_boost_round=100)
    b.save_model(f"{out}/model.lgb")
    x.tofile(f"{out}/X.f64")
    b.predict(x[:1000], num_threads=1)
    start, cpu = time.perf_counter(), time.process_time()
    pred = b.predict(x, num_threads=1)
    seconds = (time.perf_counter() - start, time.process_time() - cpu)
    pred.astype("<f8").tofile(f"{out}/lightgbm.pred.f64")
    onnx_trees(f"{out}/trees.onnx")
    return seconds


def onnx_trees(path, n_trees=100, depth=6):
    import onnx
    from onnx import TensorProto, helper
    rng = np.random.default_rng(0)
    a = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes",
                         "nodes_truenodeids", "nodes_falsenodeids", "target_treeids", "target_nodeids", "target_ids", "target_weights"]}
    for t in range(n_trees):
        for nid in range(2 ** (depth + 1) - 1):
            leaf = nid >= 2 ** depth - 1
            a["nodes_treeids"].append(t)
            a["nodes_nodeids"].append(nid)
            a["nodes_featureids"].append(0 if leaf else int(rng.integers(0, FEATURES)))
            a["nodes_values"].append(0.0 if leaf else float(rng.normal()))
            a["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            a["nodes_truenodeids"].append(0 if leaf else 2 * nid + 1)
            a["nodes_falsenodeids"].append(0 if leaf else 2 * nid + 2)
            if leaf:
                a["target_treeids"].append(t)
                a["target_nodeids"].append(nid)
                a["target_ids"].append(0)
                a["target_weights"].append(float(rng.normal()) * 0.1)
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["variable"], domain="ai.onnx.ml", n_targets=1, **a)
    g = helper.make_graph([node], "trees", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, FEATURES])],
                          [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])])
    m = helper.make_model(g, opset_imports=[helper.make_operatorsetid("", 17), helper.make_operatorsetid("ai.onnx.ml", 3)])
    m.ir_version = 8
    onnx.save_model(m, path)


if __name__ == "__main__":
    lib, out, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seconds = xgboost_side(out, rows) if lib == "xgboost" else lightgbm_side(out, rows)
    print(json.dumps({"seconds": seconds[0], "cpu_seconds": seconds[1]}))
