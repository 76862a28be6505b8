"""The Python side of mlflow-ts's bridge: loads one python_function model and answers predict
requests from Node until its input closes.

Wire format (both directions), one message per frame:
    u32 LE header length | u32 LE body length | header (UTF-8 JSON) | body (raw buffers)
A value in a header points into the body as "buf": [offset, length]; numeric arrays travel as raw
little-endian bytes, everything else as JSON. A reply's header is padded with spaces so that its
body starts 8-byte aligned (Node reads the buffers in place), and a reply's long lists of JSON
values go in the body: a list of strings as "strings": [offset, length] (their UTF-8 bytes one
after the other) and "lengths": [offset, length] (u32 byte lengths), other lists as "pieces":
[[offset, length], ...], each the JSON list of the next values, so that Node reads them a slice
or a piece at a time between turns of its event loop (in a "json" reply,
each long list, the value itself or one inside its dicts and lists, is taken out, null in its
place, and listed in "lists" with its path). Requests: {"op": "load", ...}, {"op": "predict",
"input": <value>, "params": {...} | null}. Replies: {"ok": true, ...} or {"ok": false, "error":
{"error_code", "message"}}.

The protocol owns the process's original stdin/stdout; print() and C-level writes from the model
go to stderr so they cannot corrupt a frame.
"""

import array
import base64
import importlib
import importlib.util
import inspect
import json
import math
import os
import struct
import sys
import traceback

_HEAD = struct.Struct("<II")
_NUMERIC = {"float64", "float32", "int64", "int32", "int16", "int8",
            "uint64", "uint32", "uint16", "uint8"}


class WorkerError(Exception):
    def __init__(self, message, error_code="INTERNAL_ERROR"):
        super().__init__(message)
        self.error_code = error_code


def _take_protocol_fds():
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull)
    sys.stdout = sys.stderr
    return proto_in, proto_out


def _read_exact(stream, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = stream.readinto(view[got:])
        if not k:
            return None
        got += k
    return buf


def read_message(stream):
    head = _read_exact(stream, _HEAD.size)
    if head is None:
        return None, None
    header_len, body_len = _HEAD.unpack(head)
    header = _read_exact(stream, header_len)
    body = _read_exact(stream, body_len) if body_len else bytearray()
    if header is None or body is None:
        return None, None
    return json.loads(header.decode("utf-8")), body


class _Body:
    """Collects the buffers of an outgoing message, each 8-byte aligned."""

    def __init__(self):
        self.parts = []
        self.size = 0

    def add(self, data):
        data = memoryview(data).cast("B")
        ref = [self.size, data.nbytes]
        self.parts.append(data)
        self.size += data.nbytes
        pad = (-self.size) % 8
        if pad:
            self.parts.append(b"\0" * pad)
            self.size += pad
        return ref


def write_message(stream, header, body=None):
    head = json.dumps(header, allow_nan=False).encode("utf-8")
    head += b" " * ((-len(head)) % 8)
    parts = body.parts if body else []
    size = body.size if body else 0
    stream.write(_HEAD.pack(len(head), size))
    stream.write(head)
    for part in parts:
        stream.write(part)
    stream.flush()


# ---- values: wire -> Python -------------------------------------------------------------


def _array_from_buf(np, body, ref, dtype):
    off, length = ref
    return np.frombuffer(body, dtype=np.dtype(dtype).newbyteorder("<"), count=length // np.dtype(dtype).itemsize, offset=off)


def _column_from_wire(np, pd, body, col):
    dtype = col["dtype"]
    if dtype in _NUMERIC:
        return _array_from_buf(np, body, col["buf"], dtype)
    values = col["values"]
    if dtype == "bool":
        if any(v is None for v in values):
            return np.array(values, dtype=object)
        return np.array(values, dtype=bool)
    if dtype == "datetime":
        return pd.to_datetime(values)
    if dtype == "binary":
        values = [None if v is None else base64.b64decode(v) for v in values]
    arr = _object_array(np, values, (len(values),))
    for i in col.get("nan", ()):
        arr[i] = float("nan")
    return arr


def _object_array(np, values, shape):
    arr = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        arr[i] = v
    return arr.reshape(shape)


def _ndarray_from_wire(np, body, value):
    dtype, shape = value["dtype"], value["shape"]
    if dtype in _NUMERIC:
        return _array_from_buf(np, body, value["buf"], dtype).reshape(shape)
    if dtype == "bool":
        return _array_from_buf(np, body, value["buf"], "uint8").astype(bool).reshape(shape)
    if dtype == "string":
        return np.array(value["values"], dtype=str).reshape(shape)
    return _object_array(np, value["values"], shape)


def value_from_wire(np, pd, body, value):
    kind = value["type"]
    if kind == "frame":
        # A dict of plain arrays: ten times faster than building a Series per column first.
        data = {c["name"]: _column_from_wire(np, pd, body, c) for c in value["columns"]}
        return pd.DataFrame(data, index=pd.RangeIndex(value["rows"]), copy=False)
    if kind == "ndarray":
        return _ndarray_from_wire(np, body, value)
    if kind == "dict":
        return {k: _ndarray_from_wire(np, body, v) for k, v in value["items"].items()}
    return value["value"]


# ---- values: Python -> wire -------------------------------------------------------------

_PIECE = 16384


def _values_field(values, body):
    """A list of JSON values: in the header, or when long, in the body: a list of strings as their
    UTF-8 bytes one after the other and their byte lengths (u32), other lists as pieces. Node
    slices the strings out of the bytes; JSON.parse would internalize each short one, and V8's
    string table growing over millions of them holds Node's event loop in one step."""
    if len(values) <= _PIECE:
        return {"values": values}
    if all(type(v) is str for v in values):
        try:
            encoded = [v.encode("utf-8") for v in values]
        except UnicodeEncodeError:
            encoded = None  # a lone surrogate: JSON writes it as an escape
        if encoded is not None:
            lengths = array.array("I", map(len, encoded))
            if lengths.itemsize == 4 and sys.byteorder == "little":
                return {"strings": body.add(b"".join(encoded)), "lengths": body.add(lengths)}
    return {"pieces": [body.add(json.dumps(values[i:i + _PIECE], allow_nan=False).encode("utf-8"))
                       for i in range(0, len(values), _PIECE)]}


def _jsonable(np, pd, x, keep_nan=False):
    """Plain JSON for anything a model may return; NaN and infinities become null (kept as floats
    with keep_nan, for the text MLflow's json.dump writes: NaN, Infinity)."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, float):
        return x if keep_nan or math.isfinite(x) else None
    if isinstance(x, int):
        return x
    if isinstance(x, np.generic):
        return _jsonable(np, pd, x.item(), keep_nan)
    if isinstance(x, np.ndarray):
        return _jsonable(np, pd, x.tolist(), keep_nan)
    if isinstance(x, pd.DataFrame):
        return _jsonable(np, pd, x.to_dict(orient="records"), keep_nan)
    if isinstance(x, pd.Series):
        return _jsonable(np, pd, x.tolist(), keep_nan)
    if isinstance(x, dict):
        return {str(k): _jsonable(np, pd, v, keep_nan) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(np, pd, v, keep_nan) for v in x]
    if isinstance(x, (bytes, bytearray)):
        return base64.b64encode(bytes(x)).decode("ascii")
    if hasattr(x, "isoformat"):
        return x.isoformat()
    # MLflow's json.dump(..., cls=NumpyEncoder) raises here, and its server answers 500.
    raise WorkerError(f"Object of type {type(x).__name__} is not JSON serializable", "INTERNAL_ERROR")


def _numeric_name(np, dtype):
    if dtype.kind == "f" and dtype.itemsize in (4, 8):
        return "float64" if dtype.itemsize == 8 else "float32"
    if dtype.kind in "iu":
        return dtype.newbyteorder("=").name
    return None


def _ndarray_to_wire(np, pd, arr, body):
    arr = np.asarray(arr)
    shape = list(arr.shape)
    if arr.dtype.kind == "f" and arr.dtype.itemsize not in (4, 8):
        arr = arr.astype(np.float64)
    name = _numeric_name(np, arr.dtype)
    if name is not None:
        data = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
        return {"type": "ndarray", "dtype": name, "shape": shape, "buf": body.add(data)}
    if arr.dtype.kind == "b":
        data = np.ascontiguousarray(arr, dtype=np.uint8)
        return {"type": "ndarray", "dtype": "bool", "shape": shape, "buf": body.add(data)}
    flat = arr.ravel()
    if arr.dtype.kind in "US":
        return {"type": "ndarray", "dtype": "string", "shape": shape, **_values_field(_jsonable(np, pd, flat), body)}
    return {"type": "ndarray", "dtype": "object", "shape": shape, **_values_field([_jsonable(np, pd, v) for v in flat], body)}


def _is_missing(pd, v):
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _column_to_wire(np, pd, name, series, body):
    dtype = series.dtype
    numeric = _numeric_name(np, dtype) if isinstance(dtype, np.dtype) else None
    if numeric is not None:
        data = np.ascontiguousarray(series.to_numpy(), dtype=dtype.newbyteorder("<"))
        return {"name": name, "dtype": numeric, "buf": body.add(data)}
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        data = np.ascontiguousarray(series.to_numpy(dtype=np.float64))
        return {"name": name, "dtype": "float64", "buf": body.add(data)}
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return {"name": name, "dtype": "bool", **_values_field(series.tolist(), body)}
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        return {"name": name, "dtype": "datetime",
                **_values_field([None if pd.isna(v) else v.isoformat() for v in series], body)}
    values = [None if _is_missing(pd, v) else v for v in series.tolist()]
    if all(v is None or isinstance(v, str) for v in values):
        return {"name": name, "dtype": "string", **_values_field(values, body)}
    return {"name": name, "dtype": "object", **_values_field(_jsonable(np, pd, values), body)}


def value_to_wire(np, pd, x, body):
    if isinstance(x, pd.DataFrame):
        columns = [_column_to_wire(np, pd, str(name), x.iloc[:, i], body) for i, name in enumerate(x.columns)]
        return {"type": "frame", "rows": len(x), "columns": columns}
    if isinstance(x, pd.Series):
        # MLflow's scoring server writes a Series as the records of its one-column frame.
        name = "0" if x.name is None else str(x.name)
        return {"type": "frame", "rows": len(x), "columns": [_column_to_wire(np, pd, name, x, body)]}
    if isinstance(x, np.ndarray):
        return _ndarray_to_wire(np, pd, x, body)
    if isinstance(x, dict) and x and all(isinstance(v, np.ndarray) for v in x.values()):
        return {"type": "dict", "items": {str(k): _ndarray_to_wire(np, pd, v, body) for k, v in x.items()}}
    exact = _jsonable(np, pd, x, keep_nan=True)
    reply = {"type": "json"}
    if _json_loses_floats(exact):
        # JSON.parse keeps neither 1.0 (it reads 1) nor NaN: Node writes this text as it stands.
        reply["text"] = body.add(json.dumps(exact).encode("utf-8"))
        exact = _jsonable(np, pd, x)
    lists = []
    reply["value"] = _take_long_lists(exact, [], body, lists)
    if lists:
        reply["lists"] = lists
    return reply


def _json_loses_floats(value):
    """Whether the JSON value holds a float that JSON.parse would not give back as MLflow's
    json.dump writes it: an integral one (1.0) or NaN/Infinity."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, float):
            if not math.isfinite(v) or v.is_integer():
                return True
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return False


# Depth to which a JSON reply's dicts and lists are searched for long lists; deeper ones stay whole.
_LIST_DEPTH = 8


def _take_long_lists(value, at, body, lists):
    """The JSON value with each list longer than _PIECE (the value itself, or one inside its dicts
    and shorter lists) replaced by null and added to `lists` as {"at": path, "pieces": ...}: a
    reply of a few huge lists is then parsed a piece at a time, like a top-level one."""
    if isinstance(value, list) and len(value) > _PIECE:
        lists.append({"at": at, **_values_field(value, body)})
        return None
    if len(at) >= _LIST_DEPTH:
        return value
    if isinstance(value, list):
        return [_take_long_lists(v, at + [i], body, lists) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _take_long_lists(v, at + [k], body, lists) for k, v in value.items()}
    return value


# ---- loading ----------------------------------------------------------------------------


def _add_code_to_path(model_dir, code):
    # As MLflow: the code dir and its immediate sub-directories go first on sys.path.
    code_dir = os.path.join(model_dir, code)
    if not os.path.isdir(code_dir):
        raise WorkerError(f"The 'code' directory '{code}' named in MLmodel does not exist in {model_dir}",
                          "RESOURCE_DOES_NOT_EXIST")
    subdirs = [os.path.join(code_dir, d) for d in sorted(os.listdir(code_dir))
               if os.path.isdir(os.path.join(code_dir, d)) and d != "__pycache__"]
    sys.path[:0] = [code_dir] + subdirs


def _import_loader(name, code):
    where = f" (code dir '{code}')" if code else ""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and (name == e.name or name.startswith(e.name + ".")):
            raise WorkerError(f"loader_module '{name}' was not found{where}: {e}", "RESOURCE_DOES_NOT_EXIST")
        raise WorkerError(f"Importing loader_module '{name}'{where} failed: {type(e).__name__}: {e}")
    except Exception as e:
        traceback.print_exc()
        raise WorkerError(f"Importing loader_module '{name}'{where} failed: {type(e).__name__}: {e}")


class _SklearnModel:
    """mlflow.sklearn's pyfunc wrapper, for environments without mlflow."""

    def __init__(self, model, predict_fn):
        self.fn = getattr(model, predict_fn, None)
        if self.fn is None:
            raise WorkerError(f"The sklearn model has no method '{predict_fn}' (python_function.predict_fn)",
                              "INVALID_PARAMETER_VALUE")

    def predict(self, data, params=None):
        return self.fn(data)


def _load_sklearn(data_path, flavors):
    pyfunc_conf = flavors.get("python_function") or {}
    if os.path.isfile(data_path):
        path, fmt = data_path, "pickle"
    else:
        sk_conf = flavors.get("sklearn") or {}
        rel = pyfunc_conf.get("model_path") or sk_conf.get("pickled_model")
        if not rel:
            raise WorkerError("MLmodel names no model file (python_function.model_path or sklearn.pickled_model)",
                              "INVALID_PARAMETER_VALUE")
        path, fmt = os.path.join(data_path, rel), sk_conf.get("serialization_format", "pickle")
    if not os.path.isfile(path):
        raise WorkerError(f"The model file '{path}' does not exist", "RESOURCE_DOES_NOT_EXIST")
    if fmt == "cloudpickle":
        try:
            import cloudpickle as unpickler
        except ImportError:
            raise WorkerError(f"Loading '{path}' needs the cloudpickle package: pip install cloudpickle",
                              "RESOURCE_DOES_NOT_EXIST")
    else:
        import pickle as unpickler
    try:
        with open(path, "rb") as f:
            model = unpickler.load(f)
    except Exception as e:
        traceback.print_exc()
        raise WorkerError(f"Unpickling '{path}' failed: {type(e).__name__}: {e}")
    return _SklearnModel(model, pyfunc_conf.get("predict_fn") or "predict")


def load(msg):
    model_dir = msg["model_dir"]
    flavors = msg["flavors"]
    conf = flavors.get("python_function") or {}
    model_config = msg.get("model_config") or conf.get("config")
    if importlib.util.find_spec("mlflow") is not None:
        import mlflow.pyfunc
        try:
            return mlflow.pyfunc.load_model(model_dir, model_config=model_config), "mlflow"
        except Exception as e:
            traceback.print_exc()
            raise WorkerError(f"mlflow.pyfunc.load_model('{model_dir}') failed: {type(e).__name__}: {e}",
                              getattr(e, "error_code", None) or "INTERNAL_ERROR")
    code = conf.get("code")
    if code:
        _add_code_to_path(model_dir, code)
    data = conf.get("data")
    data_path = os.path.join(model_dir, data) if data else model_dir
    loader = conf.get("loader_module")
    if not loader:
        raise WorkerError("MLmodel's python_function flavor has no loader_module", "INVALID_PARAMETER_VALUE")
    if loader == "mlflow.sklearn":
        return _load_sklearn(data_path, flavors), "builtin-sklearn"
    if loader == "mlflow" or loader.startswith("mlflow."):
        version = msg.get("mlflow_version")
        pin = f"=={version}" if version else ""
        raise WorkerError(
            f"loader_module '{loader}' needs the mlflow package, which {sys.executable} does not have: "
            f"install it (pip install mlflow{pin}) or load with envManager 'virtualenv', 'uv' or 'conda'",
            "RESOURCE_DOES_NOT_EXIST")
    module = _import_loader(loader, code)
    if not hasattr(module, "_load_pyfunc"):
        raise WorkerError(f"loader_module '{loader}' has no _load_pyfunc(data_path) function",
                          "INVALID_PARAMETER_VALUE")
    try:
        if model_config and len(inspect.signature(module._load_pyfunc).parameters) >= 2:
            return module._load_pyfunc(data_path, model_config), "loader_module"
        return module._load_pyfunc(data_path), "loader_module"
    except WorkerError:
        raise
    except Exception as e:
        traceback.print_exc()
        raise WorkerError(f"{loader}._load_pyfunc('{data_path}') failed: {type(e).__name__}: {e}")


def _accepts_params(fn):
    try:
        return "params" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def predictor_of(model, via):
    """The call that scores one request, settled once at load: inspecting per request costs time."""
    if via == "mlflow" or _accepts_params(model.predict):
        return lambda data, params: model.predict(data, params=params)
    return lambda data, params: model.predict(data)


def _error_reply(e):
    code = getattr(e, "error_code", None)
    if isinstance(e, WorkerError) or isinstance(code, str):
        return {"ok": False, "error": {"error_code": code or "INTERNAL_ERROR", "message": str(e)}}
    return {"ok": False, "error": {"error_code": "INTERNAL_ERROR", "message": f"{type(e).__name__}: {e}"}}


def main():
    proto_in, proto_out = _take_protocol_fds()
    try:
        import numpy as np
        import pandas as pd
    except ImportError as e:
        msg, _ = read_message(proto_in)
        write_message(proto_out, {"ok": False, "error": {
            "error_code": "RESOURCE_DOES_NOT_EXIST",
            "message": f"The Python bridge needs numpy and pandas, which {sys.executable} lacks ({e}): "
                       "install them there or point MLFLOW_TS_PYTHON at a Python that has them"}})
        return
    predict = None
    while True:
        msg, body = read_message(proto_in)
        if msg is None:
            return
        op = msg.get("op")
        if op == "load":
            try:
                model, via = load(msg)
                predict = predictor_of(model, via)
                reply = {"ok": True, "via": via, "python": sys.version.split()[0], "pid": os.getpid()}
            except Exception as e:
                if not isinstance(e, WorkerError):
                    traceback.print_exc()
                reply = _error_reply(e)
            write_message(proto_out, reply)
        elif op == "predict":
            out = _Body()
            try:
                if predict is None:
                    raise WorkerError("predict before a successful load", "INVALID_STATE")
                result = predict(value_from_wire(np, pd, body, msg["input"]), msg.get("params"))
                reply = {"ok": True, "output": value_to_wire(np, pd, result, out)}
            except Exception as e:
                traceback.print_exc()
                out = _Body()
                reply = _error_reply(e)
                if not hasattr(e, "error_code"):
                    # MLflow's answer, word for word. The exception text may quote the request's
                    # data, so it goes only to stderr (the server's log, printed above).
                    reply["error"] = {"error_code": "BAD_REQUEST", "message": (
                        "Encountered an unexpected error while evaluating the model. Verify that the "
                        "serialized input Dataframe is compatible with the model for inference.")}
            write_message(proto_out, reply, out)
        else:
            write_message(proto_out, {"ok": False, "error": {"error_code": "BAD_REQUEST",
                                                             "message": f"unknown op {op!r}"}})


if __name__ == "__main__":
    main()
