"""spark_udf's `result_type`, without pyspark: Spark's DDL type strings parsed into a small tree,
the type inferred from a model's output schema, and predictions converted to that type exactly
as MLflow 2.22.1's spark_udf converts them (`_predict_row_batch`).

A type is ("int"|"long"|"float"|"double"|"string"|"boolean"|<other Spark name>,), ("array", T),
("map", K, V) or ("struct", ((name, T), ...)). `to_ddl` gives the string pandas_udf takes as returnType.
"""

import re

import numpy as np
import pandas as pd

from mlflow_ts.worker import MlflowTsError

PRIMITIVES = ("int", "long", "float", "double", "string", "boolean")

# Spark's names for each type (DataType.simpleString and the DDL parser's synonyms).
_NAMES = {
    "int": "int", "integer": "int", "bigint": "long", "long": "long", "float": "float", "real": "float",
    "double": "double", "string": "string", "boolean": "boolean", "bool": "boolean",
    "tinyint": "byte", "byte": "byte", "smallint": "short", "short": "short", "binary": "binary",
    "date": "date", "timestamp": "timestamp", "timestamp_ntz": "timestamp_ntz", "void": "void",
}
_DDL = {"int": "int", "long": "bigint", "float": "float", "double": "double", "string": "string", "boolean": "boolean"}
_NUMPY = {"int": np.int32, "long": np.int64, "float": np.float32, "double": np.float64, "boolean": np.bool_, "string": np.str_}

_TOKEN = re.compile(r"\s*(`(?:[^`]|``)*`|[A-Za-z_][A-Za-z0-9_]*(?:\(\s*\d+\s*(?:,\s*\d+\s*)?\))?|[<>:,])")

INVALID_RESULT_TYPE = """Invalid 'spark_udf' result type: {}.
It must be one of the following types:
Primitive types:
 - int
 - long
 - float
 - double
 - string
 - boolean
Compound types:
 - ND array of primitives / structs.
 - struct<field: primitive | array<primitive> | array<array<primitive>>, ...>:
   A struct with primitive, ND array<primitive/structs>,
   e.g., struct<a:int, b:array<int>>.
"""


def parse(result_type):
    """A result type from a DDL string ("double", "array<bigint>", "struct<a:int,b:string>",
    "a int, b string") or a pyspark DataType (through its simpleString())."""
    if not isinstance(result_type, str):
        simple = getattr(result_type, "simpleString", None)
        if simple is None:
            raise MlflowTsError(f"Invalid 'spark_udf' result type: {result_type!r}", "INVALID_PARAMETER_VALUE")
        result_type = simple()
    tokens = _tokens(result_type)
    # A type ("array<int>"), else a field list ("a int, b string") as Spark's parser tries them.
    for attempt in (lambda: _type(tokens, 0), lambda: (("struct", _fields(tokens, 0, end=None)[0]), len(tokens))):
        try:
            parsed, rest = attempt()
        except (IndexError, ValueError):
            continue
        if rest == len(tokens):
            return parsed
    raise MlflowTsError(f"Cannot parse the 'spark_udf' result type '{result_type}'", "INVALID_PARAMETER_VALUE")


def _tokens(text):
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise MlflowTsError(f"Cannot parse the 'spark_udf' result type '{text}'", "INVALID_PARAMETER_VALUE")
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


def _type(tokens, i):
    word = tokens[i].lower()
    if word == "array":
        _expect(tokens, i + 1, "<")
        elem, i = _type(tokens, i + 2)
        _expect(tokens, i, ">")
        return ("array", elem), i + 1
    if word == "struct":
        _expect(tokens, i + 1, "<")
        if tokens[i + 2] == ">":
            return ("struct", ()), i + 3
        fields, i = _fields(tokens, i + 2, end=">")
        return ("struct", fields), i + 1
    if word == "map":
        _expect(tokens, i + 1, "<")
        key, i = _type(tokens, i + 2)
        _expect(tokens, i, ",")
        value, i = _type(tokens, i + 1)
        _expect(tokens, i, ">")
        return ("map", key, value), i + 1
    base = word.split("(")[0]
    if base in ("decimal", "char", "varchar"):
        return (word,), i + 1
    if base not in _NAMES:
        raise ValueError(word)
    return (_NAMES[base],), i + 1


def _fields(tokens, i, end):
    fields = []
    while True:
        name = tokens[i]
        name = name[1:-1].replace("``", "`") if name.startswith("`") else name
        i += 1
        if tokens[i] == ":":
            i += 1
        field_type, i = _type(tokens, i)
        fields.append((name, field_type))
        if i == len(tokens) or tokens[i] == end:
            if end is not None:
                _expect(tokens, i, end)
            return tuple(fields), i
        _expect(tokens, i, ",")
        i += 1


def _expect(tokens, i, token):
    if tokens[i] != token:
        raise ValueError(token)


def to_ddl(t):
    if t[0] == "map":
        return f"map<{to_ddl(t[1])},{to_ddl(t[2])}>"
    if t[0] == "array":
        return f"array<{to_ddl(t[1])}>"
    if t[0] == "struct":
        return "struct<" + ",".join(f"`{n.replace('`', '``')}`:{to_ddl(ft)}" for n, ft in t[1]) + ">"
    return _DDL.get(t[0], t[0])


def check(t):
    """MLflow's _check_udf_return_type: primitives, arrays of them (or of structs), structs of those."""
    ok = _check(t, allow_struct=True)
    if not ok:
        raise MlflowTsError(INVALID_RESULT_TYPE.format(to_ddl(t)), "INVALID_PARAMETER_VALUE")
    if t[0] == "array" and t[1][0] == "array":
        # MLflow turns each row's 2-D prediction into such a value; the worker's table output
        # carries at most one list per row and column, so it cannot give them.
        raise MlflowTsError(
            f"spark_udf result type {to_ddl(t)} (per-row 2-D predictions) is not supported by mlflow-ts",
            "NOT_IMPLEMENTED",
        )
    return t


def _check(t, allow_struct):
    if t[0] in PRIMITIVES:
        return True
    if t[0] == "array":
        elem = t[1]
        if elem[0] == "struct":
            return allow_struct and _check(elem, allow_struct)
        return _check(elem, allow_struct)
    if t[0] == "struct":
        return all(_check(ft, True) for _, ft in t[1])
    return False


def infer(output_specs):
    """MLflow's _infer_spark_udf_return_type from a model's output schema."""
    if len(output_specs) == 1:
        return _from_spec(output_specs[0])
    return ("struct", tuple((spec.get("name") or str(i), _from_spec(spec)) for i, spec in enumerate(output_specs)))


# MLflow's DataType.from_numpy_type: the DataType whose to_numpy() is this dtype.
_FROM_NUMPY = {"bool": "boolean", "int32": "int", "int64": "long", "float32": "float", "float64": "double", "object": "string"}
_FROM_COLUMN = {"boolean": "boolean", "integer": "int", "long": "long", "float": "float", "double": "double",
                "string": "string", "binary": "binary", "datetime": "timestamp"}


def _from_spec(spec):
    kind = spec.get("type")
    if kind == "tensor":
        tensor = spec["tensor-spec"]
        name = _FROM_NUMPY.get(str(np.dtype(tensor["dtype"])))
        if name is None:
            raise MlflowTsError(
                f"Model output tensor spec type {tensor['dtype']} is not supported in spark_udf.", "INVALID_PARAMETER_VALUE"
            )
        shape = tensor.get("shape", [])
        if len(shape) == 1:
            return ("array", (name,))
        if len(shape) == 2:
            return ("array", ("array", (name,)))
        raise MlflowTsError(
            "Only 1D or 2D tensors are supported as spark_udf return value, but model output "
            f"'{spec.get('name')}' has shape {tuple(shape)}.",
            "INVALID_PARAMETER_VALUE",
        )
    return _from_column_type(spec)


def _from_column_type(spec):
    kind = spec.get("type")
    if kind == "array":
        return ("array", _from_column_type(spec["items"]))
    if kind == "object":
        return ("struct", tuple((p["name"], _from_column_type(p)) for p in spec["properties"]))
    if kind in _FROM_COLUMN:
        return (_FROM_COLUMN[kind],)
    raise MlflowTsError(f"Model output type {kind} is not supported in spark_udf.", "INVALID_PARAMETER_VALUE")


def convert(result, t):
    """The predictions (a DataFrame of the worker's prediction columns) as a Series (or, for a
    struct type, a DataFrame) of type `t`, as MLflow's _predict_row_batch converts them."""
    if t[0] == "struct":
        return _struct_values(result, t)
    elem = t[1] if t[0] == "array" else t
    kind = elem[0]
    if kind == "int":
        result = result.select_dtypes([np.byte, np.ubyte, np.short, np.ushort, np.int32]).astype(np.int32)
    elif kind == "long":
        result = result.select_dtypes([np.byte, np.ubyte, np.short, np.ushort, int]).astype(np.int64)
    elif kind == "float":
        result = result.select_dtypes(include=(np.number,)).astype(np.float32)
    elif kind == "double":
        result = result.select_dtypes(include=(np.number,)).astype(np.float64)
    elif kind == "boolean":
        result = result.select_dtypes([bool, np.bool_]).astype(bool)
    if len(result.columns) == 0:
        raise MlflowTsError(
            "The model did not produce any values compatible with the requested type "
            f"'{to_ddl(elem)}'. Consider requesting udf with StringType or Arraytype(StringType).",
            "INVALID_PARAMETER_VALUE",
        )
    if kind == "string":
        # DataFrame.map is pandas >= 2.1's name for applymap.
        result = result.map(str) if hasattr(result, "map") else result.applymap(str)
    if t[0] == "array":
        return pd.Series(result.to_numpy().tolist())
    return result[result.columns[0]]


def _is_none_or_nan(value):
    return value is None or (isinstance(value, float) and np.isnan(value))


def _array_values(values, t):
    elem = t[1]
    if elem[0] in _NUMPY:
        # A missing (None or NaN) array is a null array (MLflow issue #8986).
        return None if _is_none_or_nan(values) else np.array(values, dtype=_NUMPY[elem[0]])
    if elem[0] == "array":
        return [_array_values(v, elem) for v in values]
    if elem[0] == "struct":
        return [_struct_values(v, elem) for v in values]
    raise MlflowTsError(f"Unsupported array type field with element type {to_ddl(elem)} in Array type.", "INVALID_PARAMETER_VALUE")


def _struct_values(result, t):
    if not isinstance(result, (dict, pd.DataFrame)):
        raise MlflowTsError(
            f"Unsupported result type {type(result)}, expected dict or pandas DataFrame", "INVALID_PARAMETER_VALUE"
        )
    is_frame = isinstance(result, pd.DataFrame)
    out = {}
    for name, field_type in t[1]:
        if name not in result:
            present = list(result.columns) if is_frame else list(result)
            raise MlflowTsError(
                f"The predictions have no field '{name}' for the struct result type; they have {present}",
                "INVALID_PARAMETER_VALUE",
            )
        values = result[name]
        if field_type[0] in _NUMPY:
            np_type = _NUMPY[field_type[0]]
            if is_frame:
                values = values.astype(np_type)
            else:
                values = None if _is_none_or_nan(values) else np.array(values, dtype=np_type).item()
        elif field_type[0] == "array":
            values = pd.Series([_array_values(v, field_type) for v in values]) if is_frame else _array_values(values, field_type)
        elif field_type[0] == "struct":
            values = pd.Series([_struct_values(v, field_type) for v in values]) if is_frame else _struct_values(values, field_type)
        else:
            raise MlflowTsError(f"Unsupported field type {to_ddl(field_type)} in struct type.", "INVALID_PARAMETER_VALUE")
        out[name] = values
    return pd.DataFrame(out) if is_frame else out
