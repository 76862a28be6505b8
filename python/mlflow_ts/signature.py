"""A model's signature as `mlflow-ts models describe --json` reports it (MLflow's schema JSON,
parsed): the input names spark_udf binds arguments to, and the output columns the worker sends."""

import numpy as np
import pandas as pd

from mlflow_ts.worker import MlflowTsError

# MLflow's DataType.to_numpy() for column types, as pandas dtypes.
_COLUMN_DTYPES = {
    "boolean": "bool", "integer": "int32", "long": "int64", "float": "float32", "double": "float64",
    "string": "object", "binary": "object", "datetime": "datetime64[ns]",
}


def input_specs(description):
    signature = description.get("signature") or {}
    return signature.get("inputs") or []


def output_specs(description):
    signature = description.get("signature") or {}
    return signature.get("outputs") or []


def input_names(specs):
    """MLflow's Schema.input_names(): each input's name, else its position."""
    return [spec.get("name", i) for i, spec in enumerate(specs)]


def required_input_names(specs):
    return [spec.get("name", i) for i, spec in enumerate(specs) if spec.get("required", True)]


def optional_input_names(specs):
    return [spec.get("name", i) for i, spec in enumerate(specs) if not spec.get("required", True)]


def has_input_names(specs):
    return bool(specs) and specs[0].get("name") is not None


def output_meta(description):
    """An empty DataFrame with the columns and dtypes the worker sends for this model's output
    schema (Dask's `meta`): named columns for a column schema or named tensors; `predictions`
    for one unnamed 1-D output; "0".."k-1" for one unnamed 2-D tensor of fixed width k.
    None when the model has no output schema."""
    specs = output_specs(description)
    if not specs:
        return None
    if len(specs) == 1 and specs[0].get("name") is None:
        spec = specs[0]
        if spec.get("type") == "tensor":
            shape = spec["tensor-spec"].get("shape", [-1])
            dtype = _tensor_dtype(spec)
            if len(shape) == 2 and shape[1] > 0:
                return pd.DataFrame({str(j): pd.Series([], dtype=dtype) for j in range(shape[1])})
            if len(shape) != 1:
                raise MlflowTsError(
                    f"An output tensor of shape {shape} has no fixed table layout: pass `meta`",
                    "INVALID_PARAMETER_VALUE",
                )
            return pd.DataFrame({"predictions": pd.Series([], dtype=dtype)})
        return pd.DataFrame({"predictions": pd.Series([], dtype=_column_dtype(spec))})
    columns = {}
    for i, spec in enumerate(specs):
        name = spec.get("name", str(i))
        columns[name] = pd.Series([], dtype=_tensor_dtype(spec) if spec.get("type") == "tensor" else _column_dtype(spec))
    return pd.DataFrame(columns)


def _column_dtype(spec):
    return _COLUMN_DTYPES.get(spec.get("type"), "object")


def _tensor_dtype(spec):
    dtype = np.dtype(spec["tensor-spec"]["dtype"])
    return "object" if dtype.kind in "OUS" else dtype
