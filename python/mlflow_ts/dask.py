"""Dask DataFrame scoring with mlflow-ts: `predict(ddf, model_uri)` maps each partition through
the one `mlflow-ts worker` process of the Dask worker process (or thread pool) running it."""

from mlflow_ts import signature as sig
from mlflow_ts.worker import MlflowTsError, check_options, describe_model, shared_worker


def predict(ddf, model_uri, *, meta=None, runtime="auto", env_manager=None, params=None, extra_env=None):
    """A Dask DataFrame of the model's predictions for `ddf`, partition by partition, with the
    partitions' index: the prediction columns as `mlflow-ts worker` sends them (`predictions` for a
    1-D output, the output schema's names for a table). `meta` (an empty DataFrame of those
    columns) comes from the model's output schema; pass it for a model without one.
    Works with every Dask scheduler (threads, processes, distributed)."""
    check_options(runtime, env_manager)
    if meta is None:
        meta = sig.output_meta(describe_model(model_uri, extra_env))
        if meta is None:
            raise MlflowTsError(
                f"The model at '{model_uri}' has no output schema: pass `meta`, an empty DataFrame with the prediction columns",
                "INVALID_PARAMETER_VALUE",
            )
    options = (runtime, env_manager, params, extra_env)
    return ddf.map_partitions(_predict_partition, model_uri, options, meta, meta=meta)


def _predict_partition(pdf, model_uri, options, meta):
    if len(pdf) == 0:
        return meta.set_axis(pdf.index[:0])
    out = shared_worker(model_uri, *options).predict(pdf).to_pandas()
    out.index = pdf.index
    return out
