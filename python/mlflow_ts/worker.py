"""A client of `mlflow-ts worker`: one long-lived Node process that loaded the model once and
scores Arrow record batches sent over its stdin/stdout.

Framing, both ways (documented in mlflow-ts's ARCHITECTURE.md and src/serve/worker-frames.ts):

    kind: 1 byte | length: u64 little-endian | payload: `length` bytes

'A' an Arrow IPC stream (input columns to the worker, prediction columns back), 'E' an error
(JSON {"error_code", "message"}), 'R' ready (JSON, sent once after the model loaded).
"""

import atexit
import functools
import json
import os
import shlex
import shutil
import struct
import subprocess
import threading
from pathlib import Path

import pandas as pd
import pyarrow as pa

_HEADER = struct.Struct("<BQ")
KIND_ARROW = 0x41
KIND_ERROR = 0x45
KIND_READY = 0x52
PROTOCOL = 1
ENV_MANAGERS = ("local", "virtualenv", "uv", "conda")
RUNTIMES = ("auto", "native", "python")


class MlflowTsError(Exception):
    """An error with MLflow's error code (BAD_REQUEST, INVALID_PARAMETER_VALUE, ...)."""

    def __init__(self, message, error_code="INTERNAL_ERROR"):
        super().__init__(message)
        self.message = message
        self.error_code = error_code

    def __str__(self):
        return f"{self.error_code}: {self.message}"


def worker_command():
    """The command line that runs mlflow-ts: $MLFLOW_TS_BIN (split like a shell line, e.g.
    "node /opt/mlflow-ts/bin/mlflow-ts.js"), else `mlflow-ts` on PATH, else the mlflow-ts this
    package was shipped in (run with $MLFLOW_TS_NODE or `node`), else `npx --no mlflow-ts`."""
    configured = os.environ.get("MLFLOW_TS_BIN")
    if configured:
        return shlex.split(configured)
    on_path = shutil.which("mlflow-ts")
    if on_path:
        return [on_path]
    root = Path(__file__).resolve().parents[2]
    bundled = root / "bin" / "mlflow-ts.js"
    if bundled.is_file() and (root / "dist" / "cli" / "main.js").is_file():
        return [os.environ.get("MLFLOW_TS_NODE", "node"), str(bundled)]
    npx = shutil.which("npx")
    if npx:
        return [npx, "--no", "mlflow-ts"]
    raise MlflowTsError(
        "Cannot find mlflow-ts: set MLFLOW_TS_BIN to its command line, or put `mlflow-ts` or `npx` on PATH",
        "RESOURCE_DOES_NOT_EXIST",
    )


def describe_model(model_uri, extra_env=None):
    """The model's metadata as `mlflow-ts models describe --json` gives it (flavors, signature with
    parsed schemas, ...). Reads the MLmodel file only; does not load the model. Cached per URI
    and environment for the life of the process (a driver builds several UDFs of one model)."""
    return json.loads(_describe(model_uri, json.dumps(extra_env, sort_keys=True)))


@functools.lru_cache(maxsize=64)
def _describe(model_uri, extra_env_json):
    extra_env = json.loads(extra_env_json)
    cmd = worker_command() + ["models", "describe", "-m", model_uri, "--json"]
    done = subprocess.run(cmd, capture_output=True, env=_env(extra_env), check=False)
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip()[-2000:]
        raise MlflowTsError(f"Cannot describe the model at '{model_uri}': {tail}", "RESOURCE_DOES_NOT_EXIST")
    return done.stdout


def _env(extra_env):
    if not extra_env:
        return None
    env = dict(os.environ)
    env.update({str(k): str(v) for k, v in extra_env.items()})
    return env


def check_options(runtime="auto", env_manager=None):
    if runtime not in RUNTIMES:
        raise MlflowTsError(f"Invalid runtime '{runtime}': expected one of {', '.join(RUNTIMES)}", "INVALID_PARAMETER_VALUE")
    if env_manager is not None and env_manager not in ENV_MANAGERS:
        raise MlflowTsError(
            f"Invalid value for `env_manager`: '{env_manager}'. Must be one of {', '.join(ENV_MANAGERS)}",
            "INVALID_PARAMETER_VALUE",
        )


class Worker:
    """One `mlflow-ts worker` process. `predict` takes a pandas DataFrame, a pyarrow Table or a
    RecordBatch and returns the predictions as a pyarrow Table; calls are serialized, so threads
    may share a worker. The process's stderr (its log) is this process's stderr."""

    def __init__(self, model_uri, runtime="auto", env_manager=None, params=None, extra_env=None):
        check_options(runtime, env_manager)
        cmd = worker_command() + ["worker", "--model", model_uri, "--runtime", runtime]
        if env_manager is not None:
            cmd += ["--env-manager", env_manager]
        if params is not None:
            cmd += ["--params", json.dumps(params)]
        self.model_uri = model_uri
        self._lock = threading.Lock()
        try:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=_env(extra_env))
        except OSError as e:
            raise MlflowTsError(
                f"Cannot run mlflow-ts ({shlex.join(cmd[:3])} ...): {e}; set MLFLOW_TS_BIN to its command line",
                "RESOURCE_DOES_NOT_EXIST",
            ) from e
        kind, payload = self._receive("starting")
        if kind != KIND_READY:
            self._stop()
            if kind == KIND_ERROR:
                raise _error_from(payload, f"mlflow-ts worker could not load '{model_uri}'")
            raise MlflowTsError(f"mlflow-ts worker sent frame kind 0x{kind:02x} before ready", "INTERNAL_ERROR")
        self.info = json.loads(payload)
        if self.info.get("protocol") != PROTOCOL:
            self._stop()
            raise MlflowTsError(f"mlflow-ts worker speaks protocol {self.info.get('protocol')}, this client {PROTOCOL}")

    @property
    def pid(self):
        return self._proc.pid

    def alive(self):
        return self._proc.poll() is None

    def predict(self, batch):
        table = _to_arrow(batch)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        request = sink.getvalue()
        with self._lock:
            try:
                self._proc.stdin.write(_HEADER.pack(KIND_ARROW, request.size))
                self._proc.stdin.write(memoryview(request))
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError) as e:
                raise self._died("sending a batch") from e
            kind, payload = self._receive("scoring a batch")
        if kind == KIND_ARROW:
            return pa.ipc.open_stream(pa.py_buffer(payload)).read_all()
        if kind == KIND_ERROR:
            raise _error_from(payload, "mlflow-ts worker failed")
        raise MlflowTsError(f"mlflow-ts worker replied with frame kind 0x{kind:02x}", "INTERNAL_ERROR")

    def close(self, timeout=10):
        """Ends the worker: EOF on its stdin, then SIGTERM, then SIGKILL if it does not exit."""
        if self._proc.poll() is None:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._stop()
        self._proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _receive(self, doing):
        head = self._proc.stdout.read(_HEADER.size)
        if len(head) < _HEADER.size:
            raise self._died(doing)
        kind, length = _HEADER.unpack(head)
        payload = self._proc.stdout.read(length)
        if len(payload) < length:
            raise self._died(doing)
        return kind, payload

    def _died(self, doing):
        try:
            code = self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._stop()
            code = self._proc.returncode
        return MlflowTsError(
            f"mlflow-ts worker for '{self.model_uri}' exited (code {code}) while {doing}; its log is on stderr",
            "INTERNAL_ERROR",
        )

    def _stop(self):
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


def _error_from(payload, context):
    try:
        body = json.loads(payload)
        return MlflowTsError(body["message"], body.get("error_code", "INTERNAL_ERROR"))
    except (ValueError, KeyError, TypeError):
        return MlflowTsError(f"{context}: an unreadable error frame", "INTERNAL_ERROR")


def _to_arrow(batch):
    if isinstance(batch, pa.Table):
        return batch
    if isinstance(batch, pa.RecordBatch):
        return pa.Table.from_batches([batch])
    if isinstance(batch, pd.DataFrame):
        # Arrow needs text column names; pandas allows others (Spark's ordinals are already text).
        frame = batch.rename(columns=str) if any(not isinstance(c, str) for c in batch.columns) else batch
        return pa.Table.from_pandas(frame, preserve_index=False)
    raise MlflowTsError(
        f"Cannot send a {type(batch).__name__} to mlflow-ts: expected a pandas DataFrame or a pyarrow Table",
        "INVALID_PARAMETER_VALUE",
    )


_shared = {}
_shared_lock = threading.Lock()


def shared_worker(model_uri, runtime="auto", env_manager=None, params=None, extra_env=None):
    """The one worker of this process for these settings, started on first use and reused by later
    tasks (Spark reuses its Python workers across tasks, Dask's process pool its processes).
    A forked child does not inherit its parent's workers; all are closed at exit."""
    key = (os.getpid(), model_uri, runtime, env_manager, json.dumps(params, sort_keys=True),
           json.dumps(extra_env, sort_keys=True))
    with _shared_lock:
        worker = _shared.get(key)
        if worker is None or not worker.alive():
            worker = Worker(model_uri, runtime, env_manager, params, extra_env)
            _shared[key] = worker
        return worker


@atexit.register
def _close_shared():
    for key, worker in list(_shared.items()):
        if key[0] == os.getpid():
            worker.close()
    _shared.clear()
