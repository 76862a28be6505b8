"""Ray Data on a local cluster of 2 CPUs (separate worker processes), scoring 1M rows through two
actors, each with its own `mlflow-ts worker`, against the in-process predictor's predictions."""

import time

import pyarrow as pa
import pyarrow.ipc
import pytest
from conftest import IRIS

ray = pytest.importorskip("ray")

from local_ray import start_local_ray  # noqa: E402
from mlflow_ts.ray import predict_batches  # noqa: E402
from mlflow_ts.worker import MlflowTsError  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    started = time.perf_counter()
    start_local_ray(object_store_memory=300 * 1024 * 1024)
    print(f"ray.init: {time.perf_counter() - started:.1f} s")
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    yield
    ray.shutdown()


def read_arrow(path):
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def test_one_million_rows_on_two_actors(cluster, data_dir):
    table = read_arrow(data_dir / "iris_big.arrow")
    expected = read_arrow(data_dir / "iris_big_expected.arrow").column("predictions")
    assert table.num_rows >= 1_000_000
    blocks = [table.slice(i, 100_000) for i in range(0, table.num_rows, 100_000)]
    dataset = ray.data.from_arrow(blocks)
    started = time.perf_counter()
    out = predict_batches(dataset, IRIS, concurrency=2, batch_size=50_000).to_arrow_refs()
    result = pa.concat_tables(ray.get(out)) if isinstance(out, list) else out
    seconds = time.perf_counter() - started
    print(f"Ray, 2 actors: {table.num_rows} rows in {seconds:.1f} s ({table.num_rows / seconds:,.0f} rows/s, incl. actor start)")
    assert result.column_names == ["predictions"]
    assert result.num_rows == table.num_rows
    assert result.column("predictions").combine_chunks().equals(expected.combine_chunks())


def test_pyarrow_batches_keeping_the_input_columns(cluster, data_dir):
    table = read_arrow(data_dir / "iris_big.arrow").slice(0, 20_000)
    expected = read_arrow(data_dir / "iris_big_expected.arrow").column("predictions").slice(0, 20_000)
    dataset = ray.data.from_arrow(table)
    result = predict_batches(dataset, IRIS, batch_format="pyarrow", batch_size=5_000, keep_columns=True).to_pandas()
    assert list(result.columns) == table.column_names + ["predictions"]
    assert result["predictions"].tolist() == expected.to_pylist()
    assert result["petal_width"].tolist() == table.column("petal_width").to_pylist()
    with pytest.raises(MlflowTsError, match="batch_format"):
        predict_batches(dataset, IRIS, batch_format="numpy")
