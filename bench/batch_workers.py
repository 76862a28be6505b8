"""Run by bench/batch-workers.ts in .venv-py: rows/s of `mlflow-ts worker` behind the mlflow_ts
package, directly (one worker, batches of 10k and 100k rows), through Ray Data (1 and 2 actors on
ray.init(num_cpus=2)) and through Dask's multiprocessing scheduler (1 and 2 processes), each
checked against the in-process predictor's predictions. Prints one JSON line per measurement.

    python bench/batch_workers.py MODEL INPUT.arrow EXPECTED.arrow
"""

import json
import resource
import sys
import time

import pyarrow as pa
import pyarrow.compute
import pyarrow.ipc

from batch_workers_measured import MeasuredScorer, measured_partition, peak_rss_mb
from local_ray import start_local_ray
from mlflow_ts.worker import Worker

def read_arrow(path):
    with pa.memory_map(path) as source:
        return pa.ipc.open_file(source).read_all()


def report(**row):
    print(json.dumps(row), flush=True)


def main(model, input_path, expected_path):
    table = read_arrow(input_path)
    expected = read_arrow(expected_path).column("predictions").combine_chunks()
    rows = table.num_rows

    def check(predictions):
        if not predictions.combine_chunks().equals(expected):
            raise SystemExit("predictions differ from the in-process predictor's")

    # 1. The worker protocol, one worker, from Python (start-up measured apart).
    for batch_rows in (10_000, 100_000):
        started = time.perf_counter()
        worker = Worker(model)
        start_s = time.perf_counter() - started
        worker.predict(table.slice(0, batch_rows))  # warm-up
        started = time.perf_counter()
        parts = [worker.predict(table.slice(i, batch_rows)).column("predictions") for i in range(0, rows, batch_rows)]
        seconds = time.perf_counter() - started
        check(pa.chunked_array([c for p in parts for c in p.chunks]))
        report(engine="worker protocol", workers=1, batch_rows=batch_rows, rows=rows, seconds=seconds,
               start_seconds=start_s, worker_peak_mb=peak_rss_mb(worker.pid))
        worker.close()

    # 2. Ray Data: actors each holding a worker; their peak RSS is reported in a column.
    import ray

    started = time.perf_counter()
    start_local_ray(object_store_memory=400 * 1024 * 1024)
    report(engine="ray.init", seconds=time.perf_counter() - started)
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    dataset = ray.data.from_arrow([table.slice(i, 100_000) for i in range(0, rows, 100_000)]).materialize()
    for actors in (1, 2):
        started = time.perf_counter()
        out = dataset.map_batches(
            MeasuredScorer, fn_constructor_args=(model, "pyarrow", False, "auto", None, None, None),
            batch_format="pyarrow", batch_size=50_000, concurrency=actors, num_cpus=1,
        ).to_arrow_refs()
        result = pa.concat_tables(ray.get(out))
        seconds = time.perf_counter() - started
        check(result.column("predictions"))
        report(engine="Ray Data", workers=actors, batch_rows=50_000, rows=rows, seconds=seconds,
               worker_peak_mb=pa.compute.max(result.column("worker_peak_mb")).as_py())
    ray.shutdown()

    # 3. Dask's multiprocessing scheduler: each process keeps one shared worker.
    import dask.dataframe as dd
    import pandas as pd

    frame = table.to_pandas()
    ddf = dd.from_pandas(frame, npartitions=max(1, rows // 50_000))
    meta = pd.DataFrame({"predictions": pd.Series([], dtype="int64"), "worker_peak_mb": pd.Series([], dtype="float64")})
    for processes in (1, 2):
        started = time.perf_counter()
        result = ddf.map_partitions(measured_partition, model, ("auto", None, None, None), meta[["predictions"]], meta=meta).compute(
            scheduler="processes", num_workers=processes)
        seconds = time.perf_counter() - started
        check(pa.chunked_array([pa.array(result["predictions"].to_numpy())]))
        report(engine="Dask processes", workers=processes, batch_rows=50_000, rows=rows, seconds=seconds,
               worker_peak_mb=float(result["worker_peak_mb"].max()))

    report(engine="driver", peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


# Dask starts its processes with spawn, which imports this file again: only run as a script.
if __name__ == "__main__":
    main(*sys.argv[1:4])
