"""Loads pickles that writePickle wrote with Python's own pickle.load, in one process.

Used by writer.test.ts with Debian's /usr/bin/python3 (numpy 1.24, scikit-learn 1.2.1, joblib 1.2).
Reads a JSON job from stdin:
  {"predict": [[written.pkl, case.json], ...], "same": [[written.pkl, original], ...]}
"predict": the estimator's outputs on the case input must equal case.json's (as test/fixtures/sklearn/make.py
recorded them, NaN as null). "same": the written value must equal the original one (loaded with joblib for
.joblib files), strictly (types, dtypes, tuples vs lists), except where writePickle documents a difference.
Prints {"checked": n, "failures": {file: reason}}.
"""
import json
import pickle
import sys

import joblib
import numpy as np
import pandas as pd


def close(got, want):
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(close(g, w) for g, w in zip(got, want))
    if isinstance(got, float) and got != got:
        got = None
    numbers = (int, float)
    if isinstance(got, numbers) and isinstance(want, numbers) and not isinstance(got, bool) and not isinstance(want, bool):
        return abs(got - want) <= 1e-9 * max(1, abs(want))
    return got == want


def case_input(inp):
    rows = [[np.nan if v is None else v for v in r] for r in inp['data']]
    if inp['kind'] == 'ndarray':
        return np.array(rows, dtype=float)
    return pd.DataFrame(rows, columns=inp['columns']).astype(inp['dtypes'])


def predict_failure(written, case_json):
    with open(case_json) as f:
        case = json.load(f)
    with open(written, 'rb') as f:
        est = pickle.load(f)
    X = case_input(case['input'])
    for method, out in case['outputs'].items():
        got = getattr(est, method)(X)
        if hasattr(got, 'toarray'):
            got = got.toarray()
        if not close(np.asarray(got).tolist(), out['value']):
            return f'{method} differs from case.json'
    return None


def same(ours, orig, path='value'):
    # writePickle's documented differences: numpy scalars come back as Python numbers, and an
    # integral float as an int (the value model cannot tell them apart)
    if isinstance(orig, np.generic) and not isinstance(ours, np.generic):
        orig = orig.item()
    if isinstance(orig, float) and isinstance(ours, int) and not isinstance(ours, bool):
        return None if float(ours) == orig else f'{path}: {ours!r} vs {orig!r}'
    if type(ours) is not type(orig):
        return f'{path}: {type(ours).__name__} vs {type(orig).__name__}'
    if isinstance(orig, np.ndarray):
        # big-endian data is written in little-endian order
        ours = ours.astype(ours.dtype.newbyteorder('<'))
        orig = orig.astype(orig.dtype.newbyteorder('<'))
        if ours.dtype != orig.dtype or ours.shape != orig.shape:
            return f'{path}: {ours.dtype}{ours.shape} vs {orig.dtype}{orig.shape}'
        if orig.dtype.hasobject:
            return same(ours.ravel().tolist(), orig.ravel().tolist(), path)
        return None if ours.tobytes() == np.ascontiguousarray(orig).tobytes() else f'{path}: array data differ'
    if isinstance(orig, dict):
        if list(ours) != list(orig):
            return f'{path}: keys differ'
        return next((r for k in orig if (r := same(ours[k], orig[k], f'{path}[{k!r}]'))), None)
    if isinstance(orig, (list, tuple)):
        if len(ours) != len(orig):
            return f'{path}: lengths differ'
        return next((r for i, (a, b) in enumerate(zip(ours, orig)) if (r := same(a, b, f'{path}[{i}]'))), None)
    if isinstance(orig, float) and orig != orig:
        return None if ours != ours else f'{path}: {ours!r} vs nan'
    if hasattr(orig, '__dict__') and not isinstance(orig, type):
        return same(vars(ours), vars(orig), path)
    eq = ours == orig
    if isinstance(eq, np.ndarray) or hasattr(eq, 'toarray'):
        eq = (ours != orig).nnz == 0 if hasattr(eq, 'toarray') else bool(eq.all())
    return None if eq else f'{path}: {ours!r} vs {orig!r}'


def same_failure(written, original):
    with open(written, 'rb') as f:
        ours = pickle.load(f)
    if original.endswith('.joblib'):
        orig = joblib.load(original)
    else:
        with open(original, 'rb') as f:
            orig = pickle.load(f)
    return same(ours, orig)


def main():
    job = json.load(sys.stdin)
    failures = {}
    checked = 0
    for kind, check in (('predict', predict_failure), ('same', same_failure)):
        for written, ref in job.get(kind, []):
            checked += 1
            try:
                reason = check(written, ref)
            except Exception as e:  # noqa: BLE001 - any failure to load or run is reported
                reason = f'{type(e).__name__}: {e}'
            if reason:
                failures[written] = reason
    print(json.dumps({'checked': checked, 'failures': failures}))


if __name__ == '__main__':
    main()
