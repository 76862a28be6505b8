"""What bench/batch_workers.py runs inside Ray actors and Dask processes (a module of its own, so
those processes can import it): the package's scorers plus each worker's peak RSS as a column."""

import pyarrow as pa

from mlflow_ts.dask import _predict_partition
from mlflow_ts.ray import _Scorer
from mlflow_ts.worker import shared_worker


def peak_rss_mb(pid):
    """The peak resident set (VmHWM) of a live process, in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class MeasuredScorer(_Scorer):
    def __call__(self, batch):
        out = super().__call__(batch)
        return out.append_column("worker_peak_mb", pa.array([peak_rss_mb(self._worker.pid)] * out.num_rows))


def measured_partition(pdf, model_uri, options, meta):
    out = _predict_partition(pdf, model_uri, options, meta)
    out["worker_peak_mb"] = peak_rss_mb(shared_worker(model_uri, *options).pid)
    return out

