"""`spark_udf`: MLflow's `mlflow.pyfunc.spark_udf` (2.22.1) with mlflow-ts doing the scoring.

Each Spark Python worker keeps one `mlflow-ts worker` process (the model loaded once) and streams
every Arrow batch Spark hands the pandas UDF to it, so executors need Node and mlflow-ts but no
Python ML library. The pieces that do not need pyspark (argument binding, the iterator function
Spark calls, result conversion) are plain functions: `prepare_spark_udf` builds them, and
`spark_udf` wraps them in `pandas_udf`, importing pyspark only there.
"""

import functools
import logging
from typing import Iterator, Tuple, Union

import pandas as pd

from mlflow_ts import result_type as rt
from mlflow_ts import signature as sig
from mlflow_ts.worker import MlflowTsError, check_options, describe_model, shared_worker

_logger = logging.getLogger(__name__)


class SparkUdfPlan:
    """What spark_udf hands to Spark, before pyspark is involved.

    `predict_batches(iterator)` is the function of an iterator-of-batches pandas UDF: it takes an
    iterator of pd.Series / pd.DataFrame (one argument) or of tuples of them (several) and yields
    one pd.Series (a pd.DataFrame for a struct result type) per non-empty batch.
    `return_type` is the DDL string for pandas_udf; `columns_for(*args)` the UDF's arguments, with
    the signature's input names when called without any.
    """

    def __init__(self, model_uri, description, result_type, params, runtime, env_manager, extra_env):
        self.model_uri = model_uri
        self.metadata = description
        self.result_type = result_type
        self.return_type = rt.to_ddl(result_type)
        self.is_struct = result_type[0] == "struct"
        self._worker_args = (model_uri, runtime, env_manager, params, extra_env)
        self._inputs = sig.input_specs(description)

    def predict_batches(self, iterator):
        worker = None
        for input_batch in iterator:
            args = (input_batch,) if isinstance(input_batch, (pd.Series, pd.DataFrame)) else input_batch
            if len(args[0]) > 0:
                if worker is None:
                    worker = shared_worker(*self._worker_args)
                yield self.predict_batch(worker, args)

    def predict_batch(self, worker, args):
        pdf = self.input_frame(args)
        result = worker.predict(pdf).to_pandas()
        return rt.convert(result, self.result_type)

    def input_frame(self, args):
        """The model input from the UDF's arguments, as MLflow's _predict_row_batch builds it: one
        DataFrame argument (a struct column) is the input; otherwise the arguments are the
        signature's inputs in order (or columns "0", "1", ... without a signature), a struct
        argument becoming a column of dicts."""
        args = list(args)
        if len(args) == 1 and isinstance(args[0], pd.DataFrame):
            return args[0]
        if not self._inputs:
            names = [str(i) for i in range(len(args))]
        else:
            names = [str(n) for n in sig.input_names(self._inputs)]
            required = sig.required_input_names(self._inputs)
            if len(args) > len(names):
                args = args[: len(names)]
            if len(args) < len(required):
                raise MlflowTsError(
                    f"Model input is missing required columns. Expected {len(names)} required"
                    f" input columns {names}, but the model received only {len(args)} "
                    "unnamed input columns (Since the columns were passed unnamed they are"
                    " expected to be in the order specified by the schema).",
                    "INTERNAL_ERROR",  # MLflow raises it without a code: MlflowException's default
                )
        # As in MLflow, optional inputs left out become empty (NaN) columns.
        return pd.DataFrame(
            data={
                names[i]: arg if isinstance(arg, pd.Series) else arg.apply(lambda row: row.to_dict(), axis=1)
                for i, arg in enumerate(args)
            },
            columns=names,
        )

    def columns_for(self, *args):
        """MLflow's udf_with_default_cols: no arguments means the signature's input columns."""
        if args:
            return args
        if sig.optional_input_names(self._inputs):
            raise MlflowTsError(
                "Cannot apply UDF without column names specified when model signature contains optional columns.",
                "INVALID_PARAMETER_VALUE",
            )
        if not self._inputs:
            raise MlflowTsError(
                "Attempting to apply udf on zero columns because no column names were "
                "specified as arguments or inferred from the model signature.",
                "INVALID_PARAMETER_VALUE",
            )
        if not sig.has_input_names(self._inputs):
            raise MlflowTsError(
                "Cannot apply udf because no column names specified. The udf "
                f"expects {len(self._inputs)} columns with types: {self._inputs}. Input column names could not be "
                "inferred from the model signature (column names not found).",
                "INVALID_PARAMETER_VALUE",
            )
        return tuple(sig.input_names(self._inputs))


def prepare_spark_udf(model_uri, result_type=None, env_manager=None, params=None, extra_env=None,
                      prebuilt_env_uri=None, model_config=None, runtime="auto"):
    """Everything spark_udf does apart from pyspark: reads the model's signature, settles the
    result type and checks the arguments. Returns a SparkUdfPlan."""
    check_options(runtime, env_manager)
    if prebuilt_env_uri is not None:
        raise MlflowTsError("spark_udf's `prebuilt_env_uri` is not supported by mlflow-ts", "NOT_IMPLEMENTED")
    if model_config is not None:
        raise MlflowTsError("spark_udf's `model_config` is not supported by mlflow-ts", "NOT_IMPLEMENTED")
    description = describe_model(model_uri, extra_env)
    if result_type is None:
        outputs = sig.output_specs(description)
        if outputs:
            parsed = rt.infer(outputs)
        else:
            _logger.warning(
                "No 'result_type' provided for spark_udf and the model does not "
                "have an output schema. 'result_type' is set to 'double' type."
            )
            parsed = ("double",)
    else:
        parsed = rt.parse(result_type)
    rt.check(parsed)
    return SparkUdfPlan(model_uri, description, parsed, params, runtime, env_manager, extra_env)


def spark_udf(spark, model_uri, result_type=None, env_manager=None, params=None, extra_env=None,
              prebuilt_env_uri=None, model_config=None, runtime="auto"):
    """A Spark pandas UDF (iterator of batches) scoring `model_uri` with mlflow-ts, with the
    signature and semantics of MLflow 2.22.1's `mlflow.pyfunc.spark_udf`: arguments are columns
    (bound to the signature's inputs in order) or one struct; no arguments means the signature's
    input columns; `result_type` a DDL string or pyspark DataType, inferred from the output
    schema when None (else double).

    `env_manager` (local, virtualenv, uv, conda) is the Python bridge's, for models mlflow-ts
    scores in Python; `runtime` (auto, native, python) is mlflow-ts's choice of scorer. The
    model URI is resolved by each worker: a local path must exist on every executor.
    `spark` is accepted for MLflow's signature; nothing is read from it.
    """
    plan = prepare_spark_udf(model_uri, result_type, env_manager, params, extra_env, prebuilt_env_uri, model_config, runtime)
    from pyspark.sql.functions import pandas_udf

    hint = pd.DataFrame if plan.is_struct else pd.Series

    def predict(iterator: Iterator[Tuple[Union[pd.Series, pd.DataFrame], ...]]) -> Iterator[hint]:
        return plan.predict_batches(iterator)

    udf = pandas_udf(predict, returnType=plan.return_type)
    udf.metadata = plan.metadata

    @functools.wraps(udf)
    def udf_with_default_cols(*args):
        return udf(*plan.columns_for(*args))

    return udf_with_default_cols
