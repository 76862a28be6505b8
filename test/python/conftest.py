"""Shared fixtures of the mlflow_ts package tests. Run by test/python/python-package.test.ts,
which writes the inputs and the in-process predictor's predictions to $MLFLOW_TS_TEST_DATA and
points $MLFLOW_TS_BIN at mlflow-ts run from source."""

import json
import os
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
IRIS = str(ROOT / "examples" / "iris-sklearn")
PROBA = str(ROOT / "test" / "fixtures" / "workers" / "iris_logreg_proba")
DIABETES = str(ROOT / "test" / "fixtures" / "workers" / "diabetes_linreg")


@pytest.fixture(scope="session")
def data_dir():
    path = os.environ.get("MLFLOW_TS_TEST_DATA")
    if not path:
        pytest.fail("MLFLOW_TS_TEST_DATA is not set: run these tests through test/python/python-package.test.ts")
    return Path(path)


@pytest.fixture(scope="session")
def small(data_dir):
    """Small inputs and what mlflow-ts's in-process predictor answered for them."""
    with open(data_dir / "small.json") as f:
        data = json.load(f)
    data["iris_input"] = pd.DataFrame(data["iris_input"])
    data["diabetes_input"] = pd.DataFrame(data["diabetes_input"])
    return data

