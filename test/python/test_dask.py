"""Dask's multiprocessing scheduler (2 processes, each with its own `mlflow-ts worker`) scoring
1M rows, against the in-process predictor's predictions."""

import time

import pandas as pd
import pyarrow as pa
import pyarrow.ipc
import pytest
from conftest import DIABETES, IRIS, PROBA

dd = pytest.importorskip("dask.dataframe")

from mlflow_ts.dask import predict  # noqa: E402
from mlflow_ts.worker import MlflowTsError  # noqa: E402


def read_arrow(path):
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def test_one_million_rows_on_two_processes(data_dir):
    frame = read_arrow(data_dir / "iris_big.arrow").to_pandas()
    expected = read_arrow(data_dir / "iris_big_expected.arrow").column("predictions").to_numpy()
    assert len(frame) >= 1_000_000
    ddf = dd.from_pandas(frame, npartitions=10)
    scored = predict(ddf, IRIS)
    # meta from the output schema: one int64 column.
    assert list(scored.columns) == ["predictions"] and scored.dtypes["predictions"] == "int64"
    started = time.perf_counter()
    result = scored.compute(scheduler="processes", num_workers=2)
    seconds = time.perf_counter() - started
    print(f"Dask, 2 processes: {len(frame)} rows in {seconds:.1f} s ({len(frame) / seconds:,.0f} rows/s, incl. worker start)")
    assert result.index.equals(frame.index)
    assert (result["predictions"].to_numpy() == expected).all()


def test_meta_for_2d_and_float_outputs(small):
    frame = small["iris_input"]
    scored = predict(dd.from_pandas(frame, npartitions=3), PROBA)
    assert list(scored.columns) == ["0", "1", "2"]
    result = scored.compute(scheduler="threads")
    proba = pd.DataFrame(small["proba"])
    assert (result[["0", "1", "2"]].to_numpy() == proba[["0", "1", "2"]].to_numpy()).all()
    diabetes = predict(dd.from_pandas(small["diabetes_input"], npartitions=2), DIABETES).compute(scheduler="sync")
    assert diabetes["predictions"].tolist() == small["diabetes"]


def test_errors_name_the_cause(small):
    ddf = dd.from_pandas(small["iris_input"].drop(columns=["sepal_width"]), npartitions=2)
    with pytest.raises(MlflowTsError, match=r"Model is missing inputs \['sepal_width'\]"):
        predict(ddf, IRIS).compute(scheduler="sync")
