import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import DIABETES, IRIS

from mlflow_ts.worker import MlflowTsError, Worker, describe_model, shared_worker


@pytest.fixture(scope="module")
def iris_worker():
    with Worker(IRIS) as worker:
        yield worker


def test_round_trip_matches_the_in_process_predictor(small, iris_worker):
    assert iris_worker.info["protocol"] == 1 and iris_worker.info["flavor"] == "sklearn"
    out = iris_worker.predict(small["iris_input"])
    assert out.column_names == ["predictions"]
    assert out.schema.field("predictions").type == pa.int64()
    assert out.column("predictions").to_pylist() == small["iris_labels"]
    # A pyarrow Table or RecordBatch is sent as is.
    table = pa.Table.from_pandas(small["iris_input"])
    assert iris_worker.predict(table).column("predictions").to_pylist() == small["iris_labels"]
    assert iris_worker.predict(table.to_batches()[0]).column("predictions").to_pylist() == small["iris_labels"]


def test_float_output_is_exact_and_close_ends_the_process_on_eof(small):
    # Params without a params schema are ignored, as in MLflow.
    worker = Worker(DIABETES, params={"alpha": 1})
    out = worker.predict(small["diabetes_input"]).column("predictions").to_numpy()
    np.testing.assert_array_equal(out, np.array(small["diabetes"]))
    # Column names that are not text (a frame built from a matrix) are sent as text.
    with pytest.raises(MlflowTsError) as e:
        worker.predict(pd.DataFrame(np.zeros((2, 3))))
    assert "Model is missing inputs ['age'" in e.value.message
    worker.close()
    assert worker._proc.returncode == 0


def test_an_error_frame_carries_mlflows_code_and_the_worker_goes_on(small, iris_worker):
    with pytest.raises(MlflowTsError) as e:
        iris_worker.predict(small["iris_input"][["sepal_length"]])
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "Model is missing inputs ['sepal_width', 'petal_length', 'petal_width']" in e.value.message
    # A value the schema's double column cannot take: the server's parse-time cast refuses it.
    bad = small["iris_input"].astype({"sepal_width": str})
    bad.loc[0, "sepal_width"] = "wide"
    with pytest.raises(MlflowTsError) as e:
        iris_worker.predict(bad)
    assert e.value.error_code == "BAD_REQUEST"
    assert "sepal_width" in e.value.message and "wide" not in e.value.message
    assert iris_worker.predict(small["iris_input"]).column("predictions").to_pylist() == small["iris_labels"]


def test_a_model_that_does_not_load_is_an_error_at_start(tmp_path):
    missing = str(tmp_path / "no-model")
    with pytest.raises(MlflowTsError) as e:
        Worker(missing)
    assert missing in e.value.message


def test_bad_options_are_refused_by_name():
    with pytest.raises(MlflowTsError, match="env_manager"):
        Worker(IRIS, env_manager="pipenv")
    with pytest.raises(MlflowTsError, match="runtime"):
        Worker(IRIS, runtime="jvm")


def test_shared_worker_is_one_process_per_settings(small):
    a = shared_worker(IRIS)
    b = shared_worker(IRIS)
    assert a is b
    a.close()
    c = shared_worker(IRIS)
    assert c is not a and c.alive()
    assert c.predict(small["iris_input"]).column("predictions").to_pylist() == small["iris_labels"]


def test_describe_gives_the_signature():
    d = describe_model(IRIS)
    assert [s["name"] for s in d["signature"]["inputs"]] == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert d["signature"]["outputs"] == [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]
