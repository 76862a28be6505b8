"""mlflow-ts from Python: batch scoring on Spark, Ray and Dask with models scored by mlflow-ts.

- `mlflow_ts.spark_udf(spark, model_uri, result_type=...)`: MLflow's `mlflow.pyfunc.spark_udf`.
- `mlflow_ts.ray.predict_batches(dataset, model_uri)`: Ray Data.
- `mlflow_ts.dask.predict(ddf, model_uri)`: Dask DataFrames.
- `mlflow_ts.Worker`: one `mlflow-ts worker` process, for any other engine.

Each runs `mlflow-ts worker` (found through $MLFLOW_TS_BIN, else PATH, else npx) and streams
Arrow batches to it; pyspark, ray and dask are imported only by the functions that need them.
"""

from mlflow_ts.spark import prepare_spark_udf, spark_udf
from mlflow_ts.worker import MlflowTsError, Worker, describe_model, shared_worker, worker_command

__all__ = ["MlflowTsError", "Worker", "describe_model", "prepare_spark_udf", "shared_worker", "spark_udf", "worker_command"]
