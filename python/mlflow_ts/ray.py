"""Ray Data batch scoring with mlflow-ts: `predict_batches(dataset, model_uri)` maps each batch
through an actor that keeps one `mlflow-ts worker` process (the model loaded once per actor)."""

import pandas as pd

from mlflow_ts.worker import MlflowTsError, Worker, check_options

BATCH_FORMATS = ("pandas", "pyarrow")


class _Scorer:
    """The callable class Ray Data instantiates once per actor."""

    def __init__(self, model_uri, batch_format, keep_columns, runtime, env_manager, params, extra_env):
        self._worker = Worker(model_uri, runtime, env_manager, params, extra_env)
        self._pandas = batch_format == "pandas"
        self._keep = keep_columns

    def __call__(self, batch):
        predictions = self._worker.predict(batch)
        if self._pandas:
            out = predictions.to_pandas()
            return pd.concat([batch.reset_index(drop=True), out], axis=1) if self._keep else out
        if self._keep:
            for name, column in zip(predictions.column_names, predictions.columns):
                batch = batch.append_column(name, column)
            return batch
        return predictions

    def __del__(self):
        worker = getattr(self, "_worker", None)
        if worker is not None:
            worker.close()


def predict_batches(dataset, model_uri, *, batch_format="pandas", batch_size=4096, concurrency=1,
                    keep_columns=False, runtime="auto", env_manager=None, params=None, extra_env=None,
                    num_cpus=1, **map_batches_kwargs):
    """A Dataset of the model's predictions for `dataset`, one output row per input row, in order:
    the prediction columns as `mlflow-ts worker` sends them (`predictions` for a 1-D output, the
    output schema's names for a table), after the input columns when `keep_columns`.

    `concurrency` actors (each one Node process) score in parallel; `batch_format` is how batches
    reach the actor (pandas or pyarrow); further keyword arguments go to `Dataset.map_batches`.
    """
    if batch_format not in BATCH_FORMATS:
        raise MlflowTsError(f"Invalid batch_format '{batch_format}': expected pandas or pyarrow", "INVALID_PARAMETER_VALUE")
    check_options(runtime, env_manager)
    return dataset.map_batches(
        _Scorer,
        fn_constructor_args=(model_uri, batch_format, keep_columns, runtime, env_manager, params, extra_env),
        batch_format=batch_format,
        batch_size=batch_size,
        concurrency=concurrency,
        num_cpus=num_cpus,
        **map_batches_kwargs,
    )
