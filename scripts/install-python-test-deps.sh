#!/usr/bin/env bash
# The Python test environment of the mlflow_ts package (python/mlflow_ts): a virtualenv at
# .venv-py with Ray, Dask, pandas, pyarrow and pytest from the machines' local wheelhouse (no
# PyPI here). Idempotent: a venv already built from the same requirements file is kept.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-py"
req="$root/test/python/requirements.txt"
python="${MLFLOW_TS_TEST_PYTHON:-python3}"
"$(dirname "$0")/apt-install-missing.sh" python3-venv
stamp="$venv/.requirements"
if [ -x "$venv/bin/python" ] && cmp -s "$req" "$stamp"; then exit 0; fi
rm -rf "$venv"
"$python" -m venv "$venv"
# pip warns once per package that the second index lacks it: noise, not a problem.
"$venv/bin/pip" install -q --disable-pip-version-check \
  --index-url file:///opt/pypi/simple --extra-index-url file:///opt/pypi-more/simple --find-links /opt/wheels \
  -r "$req" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
cp "$req" "$stamp"
