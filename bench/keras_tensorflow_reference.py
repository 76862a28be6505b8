"""TensorFlow's own CPU predict, single-threaded, for bench/keras-vs-tensorflow.ts.

Usage: python keras_tensorflow_reference.py SECONDS MODEL.keras... (needs tensorflow 2.21, keras 3).
Prints one JSON object: {file: {batch: {"predict": rows/s, "on_batch": rows/s, "on_batch_cpu":
rows per CPU-second of this process, "sum": sum of outputs}}}, for the inputs
bench/keras-vs-tensorflow.ts builds (the same formula). Times
keras.Model.predict, the call MLflow's Keras wrapper makes for each request, and
predict_on_batch, Keras's lightest call (one compiled function, no data pipeline).
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
import keras  # noqa: E402


def inputs(shape, rows, dtype):
    size = rows * int(np.prod(shape))
    x = ((np.arange(size) * 7919) % 1000) / 1000.0
    if dtype.startswith("int"):
        return (np.arange(size) % 19 + 1).astype(np.int32).reshape([rows, *shape])
    return x.astype(np.float32).reshape([rows, *shape])


def rate(fn, seconds):
    """Calls per wall-clock second and per CPU-second (all threads: what TF spends, whatever else runs)."""
    start = time.perf_counter()
    while time.perf_counter() - start < 0.5:
        fn()
    n = 0
    start = time.perf_counter()
    cpu = time.process_time()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start), n / max(time.process_time() - cpu, 1e-9)


def main():
    seconds = float(sys.argv[1])
    out = {}
    for path in sys.argv[2:]:
        model = keras.saving.load_model(path, compile=False)
        spec = model.inputs[0]
        out[path] = {}
        for batch in (1, 1000):
            x = inputs(spec.shape[1:], batch, str(spec.dtype))
            y = model.predict(x, batch_size=batch, verbose=0)
            on_batch, on_batch_cpu = rate(lambda: model.predict_on_batch(x), seconds)
            out[path][batch] = {
                "predict": rate(lambda: model.predict(x, batch_size=batch, verbose=0), seconds)[0] * batch,
                "on_batch": on_batch * batch,
                "on_batch_cpu": on_batch_cpu * batch,
                "sum": float(np.sum(y)),
            }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
