"""TensorFlow's own serving signature, single-threaded, for bench/tensorflow-rnn-savedmodel.ts.

Usage: python tensorflow_rnn_savedmodel_reference.py SECONDS SAVEDMODEL_DIR... (tensorflow 2.21).
Prints one JSON object: {dir: {batch: {"rows": rows/s, "rows_cpu": rows per CPU-second of this
process, "sum": sum of outputs}}} for the inputs the bench builds (the same formula), calling
the loaded SavedModel's serving_default signature as tf.saved_model.load serves it.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_tensorflow_reference import rate  # noqa: E402  (it sets TF to one thread)


def main():
    seconds = float(sys.argv[1])
    out = {}
    for path in sys.argv[2:]:
        fn = tf.saved_model.load(path).signatures["serving_default"]
        (key, spec), = fn.structured_input_signature[1].items()
        out[path] = {}
        for batch in (1, 100):
            size = batch * int(np.prod(spec.shape[1:]))
            x = tf.constant((((np.arange(size) * 7919) % 1000) / 1000.0).astype(np.float32).reshape([batch, *spec.shape[1:]]))
            y = fn(**{key: x})
            calls, calls_cpu = rate(lambda: fn(**{key: x}), seconds)
            out[path][batch] = {"rows": calls * batch, "rows_cpu": calls_cpu * batch, "sum": float(sum(np.sum(v.numpy()) for v in y.values()))}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
