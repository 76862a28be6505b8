"""spark_udf's batch function driven exactly as Spark drives an iterator-of-batches pandas UDF:
an iterator of pd.Series (one column argument), of tuples of pd.Series (several), or of
pd.DataFrame (one struct argument), one output Series (DataFrame for a struct type) per batch."""

import numpy as np
import pandas as pd
import pytest
from conftest import DIABETES, IRIS, PROBA

from mlflow_ts import result_type as rt
from mlflow_ts.spark import prepare_spark_udf
from mlflow_ts.worker import MlflowTsError

COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def as_spark_batches(frame, sizes, struct=False):
    """Spark's Arrow batches: consecutive row ranges, each argument a Series (a DataFrame for a struct)."""
    start = 0
    for size in sizes:
        part = frame.iloc[start : start + size].reset_index(drop=True)
        start += size
        yield part if struct else tuple(part[c] for c in frame.columns)


def run(plan, batches):
    return list(plan.predict_batches(iter(batches)))


def test_inferred_type_for_a_1d_tensor_output_is_an_array_of_one(small):
    # MLflow infers ArrayType(LongType) from the int64 tensor spec of shape [-1]: one-element rows.
    plan = prepare_spark_udf(IRIS)
    assert plan.return_type == "array<bigint>"
    out = run(plan, as_spark_batches(small["iris_input"], [10, 20, 7]))
    assert [len(s) for s in out] == [10, 20, 7]
    assert [row for s in out for row in s.tolist()] == [[label] for label in small["iris_labels"]]


@pytest.mark.parametrize(
    "result_type, expected",
    [
        ("long", lambda labels: pd.Series(labels, dtype=np.int64)),
        ("bigint", lambda labels: pd.Series(labels, dtype=np.int64)),
        ("double", lambda labels: pd.Series(labels, dtype=np.float64)),
        ("float", lambda labels: pd.Series(labels, dtype=np.float32)),
        ("string", lambda labels: pd.Series([str(v) for v in labels], dtype=object)),
        ("array<string>", lambda labels: pd.Series([[str(v)] for v in labels])),
    ],
)
def test_primitive_and_array_result_types(small, result_type, expected):
    plan = prepare_spark_udf(IRIS, result_type=result_type)
    (out,) = run(plan, as_spark_batches(small["iris_input"], [37]))
    want = expected(small["iris_labels"])
    if result_type.startswith("array"):
        assert out.tolist() == want.tolist()
    else:
        pd.testing.assert_series_equal(out.reset_index(drop=True), want, check_names=False)


def test_int_and_boolean_refuse_int64_labels_as_mlflow_does(small):
    # MLflow's IntegerType selects int8/16/32 columns only; BooleanType bool columns only.
    for result_type, shown in (("int", "int"), ("boolean", "boolean")):
        plan = prepare_spark_udf(IRIS, result_type=result_type)
        with pytest.raises(MlflowTsError, match=f"compatible with the requested type '{shown}'"):
            run(plan, as_spark_batches(small["iris_input"], [5]))


def test_a_struct_argument_is_the_input_frame(small):
    plan = prepare_spark_udf(IRIS, result_type="long")
    out = run(plan, as_spark_batches(small["iris_input"], [30, 7], struct=True))
    assert pd.concat(out).tolist() == small["iris_labels"]


def test_one_column_argument_arrives_as_a_series(small):
    plan = prepare_spark_udf(DIABETES, result_type="double")
    # A one-argument UDF gets bare Series; this model needs ten columns, so it is refused by name.
    with pytest.raises(MlflowTsError, match="missing required columns"):
        run(plan, (small["diabetes_input"]["age"].iloc[i : i + 5] for i in (0, 5)))


def test_columns_bound_to_the_signature_in_order(small):
    plan = prepare_spark_udf(DIABETES)
    assert plan.return_type == "array<double>"
    assert plan.columns_for() == ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
    assert plan.columns_for("x", "y") == ("x", "y")
    plan = prepare_spark_udf(DIABETES, result_type="double")
    (out,) = run(plan, as_spark_batches(small["diabetes_input"], [23]))
    np.testing.assert_array_equal(out.to_numpy(), np.array(small["diabetes"]))


def test_empty_batches_are_skipped(small):
    plan = prepare_spark_udf(IRIS, result_type="long")
    out = run(plan, as_spark_batches(small["iris_input"], [0, 12, 0, 25]))
    assert [len(s) for s in out] == [12, 25]
    assert pd.concat(out).tolist() == small["iris_labels"]


def test_probabilities_as_arrays_and_structs(small):
    proba = pd.DataFrame(small["proba"])
    plan = prepare_spark_udf(PROBA, result_type="array<double>")
    (out,) = run(plan, as_spark_batches(small["iris_input"], [37]))
    np.testing.assert_array_equal(np.array(out.tolist()), proba[["0", "1", "2"]].to_numpy())

    plan = prepare_spark_udf(PROBA, result_type="`0` double, `2` float")
    assert plan.return_type == "struct<`0`:double,`2`:float>"
    (out,) = run(plan, as_spark_batches(small["iris_input"], [37]))
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["0", "2"]
    np.testing.assert_array_equal(out["0"].to_numpy(), proba["0"].to_numpy())
    np.testing.assert_array_equal(out["2"].to_numpy(), proba["2"].to_numpy(dtype=np.float32))

    plan = prepare_spark_udf(PROBA, result_type="struct<setosa:double>")
    with pytest.raises(MlflowTsError, match="no field 'setosa'"):
        run(plan, as_spark_batches(small["iris_input"], [3]))


def test_inferred_2d_output_type_is_refused_by_name():
    # MLflow infers array<array<double>> from a [-1, 3] tensor spec: per-row 2-D values, which
    # the worker's table output cannot carry.
    with pytest.raises(MlflowTsError) as e:
        prepare_spark_udf(PROBA)
    assert e.value.error_code == "NOT_IMPLEMENTED" and "array<array<double>>" in e.value.message


def test_unsupported_arguments_are_refused_by_name():
    with pytest.raises(MlflowTsError, match="prebuilt_env_uri"):
        prepare_spark_udf(IRIS, prebuilt_env_uri="dbfs:/env.tar.gz")
    with pytest.raises(MlflowTsError, match="model_config"):
        prepare_spark_udf(IRIS, model_config={"temperature": 0})
    with pytest.raises(MlflowTsError, match="env_manager"):
        prepare_spark_udf(IRIS, env_manager="pipenv")
    with pytest.raises(MlflowTsError, match="Invalid 'spark_udf' result type: binary"):
        prepare_spark_udf(IRIS, result_type="binary")
    with pytest.raises(MlflowTsError, match="Cannot parse"):
        prepare_spark_udf(IRIS, result_type="array<double")


def test_result_type_parsing():
    assert rt.parse("integer") == ("int",)
    assert rt.parse("LONG") == ("long",)
    assert rt.parse("array<bigint>") == ("array", ("long",))
    assert rt.parse("struct<a:int, b:array<string>>") == ("struct", (("a", ("int",)), ("b", ("array", ("string",)))))
    assert rt.parse("a int, `b c` boolean") == ("struct", (("a", ("int",)), ("b c", ("boolean",))))
    assert rt.to_ddl(rt.parse("a int, `b c` boolean")) == "struct<`a`:int,`b c`:boolean>"

    class FakeDataType:  # what spark_udf reads from a pyspark DataType
        def simpleString(self):
            return "array<float>"

    assert rt.parse(FakeDataType()) == ("array", ("float",))
    with pytest.raises(MlflowTsError, match="Invalid 'spark_udf' result type"):
        rt.check(rt.parse("map<string,int>"))
    with pytest.raises(MlflowTsError, match="Invalid 'spark_udf' result type"):
        rt.check(rt.parse("struct<a:timestamp>"))
    assert rt.check(rt.parse("array<struct<a:int>>"))
