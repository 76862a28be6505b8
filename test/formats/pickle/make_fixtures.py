"""Writes the hand-made pickles and the expected values in test/fixtures/formats/.

Run once with Debian's python (numpy 1.24, scipy 1.10, sklearn 1.2.1, joblib 1.2):
    /usr/bin/python3 test/formats/pickle/make_fixtures.py
The tests read only the files this writes; they never run Python.
"""
import base64
import collections
import json
import lzma
import os
import pickle
import subprocess
import sys

import joblib
import numpy as np
import scipy.sparse as sp

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'formats')
SHARED = '/work/shared/fixtures'


def enc(v):
    """JSON form of a value, tagged where JSON alone would lose the type."""
    if isinstance(v, np.ndarray):
        if v.dtype.names:
            return {'ndarray': v.dtype.str, 'shape': list(v.shape),
                    'fields': {n: enc(np.ascontiguousarray(v[n])) for n in v.dtype.names}}
        dt = v.dtype.newbyteorder('<') if v.dtype.byteorder == '>' else v.dtype
        if v.dtype.kind in 'fiub':
            data = [enc_num(x) for x in v.ravel(order='C').tolist()]
        elif v.dtype.kind in 'Mm':
            data = [None if np.isnat(x) else int(x.astype('int64')) for x in v.ravel(order='C')]
        elif v.dtype.kind == 'S':
            data = [base64.b64encode(x).decode() for x in v.ravel(order='C').tolist()]
        else:
            data = [enc(x) for x in v.ravel(order='C').tolist()]
        return {'ndarray': dt.str, 'shape': list(v.shape), 'data': data}
    if isinstance(v, np.dtype):
        return {'dtype': v.str}
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v) if abs(int(v)) <= 2**53 else {'bigint': str(int(v))}
    if isinstance(v, (float, np.floating)):
        return enc_num(float(v))
    if isinstance(v, (bytes, bytearray)):
        return {'bytes': base64.b64encode(bytes(v)).decode()}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return {'set': sorted(enc(x) for x in v)}
    if isinstance(v, dict):
        return {'dict': [[enc(k), enc(x)] for k, x in v.items()]}
    return v


def enc_num(x):
    if isinstance(x, float) and (x != x or x in (float('inf'), float('-inf'))):
        return {'float': repr(x)}
    return x


def write(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}

    arrays = collections.OrderedDict([
        ('f8', np.array([1.5, -2.25, np.nan, np.inf])),
        ('f4_fortran', np.asfortranarray(np.arange(12, dtype='<f4').reshape(3, 4))),
        ('i8_3d_fortran', np.asfortranarray(np.arange(24, dtype='<i8').reshape(2, 3, 4))),
        ('f8_big_endian', np.array([[1.0, 2.5], [-3.0, 1e300]], dtype='>f8')),
        ('i4_big_endian', np.array([1, -2, 70000], dtype='>i4')),
        ('i8_negative', np.array([-1, -(2**53), 2**53, 0], dtype='<i8')),
        ('u8', np.array([0, 2**40], dtype='<u8')),
        ('i2', np.array([-3, 300], dtype='<i2')),
        ('i1', np.array([-3, 100], dtype='i1')),
        ('u1', np.array([0, 255], dtype='u1')),
        ('u2', np.array([0, 65535], dtype='<u2')),
        ('u4', np.array([0, 2**32 - 1], dtype='<u4')),
        ('f2', np.array([1.5, -0.0, 65504.0], dtype='<f2')),
        ('bool', np.array([[True, False], [False, True]])),
        ('unicode', np.array(['setosa', 'versicolor', 'ü€😀', ''])),
        ('unicode_big_endian', np.array(['ab', 'c'], dtype='>U2')),
        ('bytes', np.array([b'ab', b'', b'xyz'])),
        ('object', np.array(['a', 1, None, 2.5], dtype=object)),
        ('object_2d_fortran', np.asfortranarray(np.array([['a', 'b'], ['c', 'd']], dtype=object))),
        ('datetime_ns', np.array(['2020-01-01T00:00:00', 'NaT'], dtype='datetime64[ns]')),
        ('scalar_0d', np.array(3.25)),
        ('empty', np.zeros((0, 3))),
        ('structured', np.array([(1, 2.5, (1.0, 2.0)), (-4, 0.125, (3.0, 4.0))],
                                dtype=[('a', '<i8'), ('b', '>f8'), ('c', '<f4', (2,))])),
    ])
    values = collections.OrderedDict([
        ('arrays', arrays),
        ('scalars', [np.float64(1.25), np.float32(0.5), np.int64(-7), np.int32(9), np.bool_(True),
                     np.str_('hé'), np.uint8(200), np.int64(2**62)]),
        ('python', [None, True, False, 0, -1, 255, 65536, -(2**31), 2**63, -(2**70), 1.0, 'text',
                    'ünïcode', b'bytes', bytearray(b'ba'), (1, 2), [3, [4]], {'k': 1, 2: 'v'},
                    {1, 2}, frozenset([3]), collections.OrderedDict([('x', 1)]), float('nan'),
                    np.dtype('<f8'), np.dtype('>i4')]),
        ('shared', [arrays['f8'], arrays['f8']]),
    ])
    for proto in (0, 1, 2, 3, 4, 5):
        write(f'values.p{proto}.pkl', pickle.dumps(values, protocol=proto))
    expected['values'] = enc(values)

    # numpy 2 names its modules numpy._core: same bytes, other module path
    p2 = pickle.dumps(arrays, protocol=2).replace(b'cnumpy.core.multiarray\n', b'cnumpy._core.multiarray\n')
    write('arrays.numpy2.p2.pkl', p2)

    # protocol 5 with out-of-band buffers
    bufs = []
    oob = {'x': np.arange(6, dtype='<f8').reshape(2, 3), 'y': np.array([1, 2, 3], dtype='<i4')}
    write('oob.p5.pkl', pickle.dumps(oob, protocol=5, buffer_callback=bufs.append))
    for i, b in enumerate(bufs):
        write(f'oob.p5.buffer{i}.bin', bytes(b.raw()))
    expected['oob'] = enc(oob)
    expected['oob_buffers'] = len(bufs)

    csr = sp.csr_matrix(np.array([[0, 1.5, 0], [2.0, 0, 3.0]]))
    csc = sp.csc_matrix(csr)
    write('sparse.p4.pkl', pickle.dumps({'csr': csr, 'csc': csc}, protocol=4))
    expected['sparse'] = {n: {'data': enc(m.data), 'indices': enc(m.indices), 'indptr': enc(m.indptr),
                              'shape': list(m.shape)} for n, m in (('csr', csr), ('csc', csc))}

    # joblib, plain and compressed, with an object array and a Fortran-ordered one inside
    jl = {'obj': np.array(['a', 'bc', None], dtype=object), 'fortran': arrays['f4_fortran'],
          'f8': arrays['f8'], 'big': arrays['f8_big_endian'], 'structured': arrays['structured']}
    expected['joblib'] = enc(jl)
    joblib.dump(jl, os.path.join(OUT, 'arrays.joblib'))
    for comp in ('zlib', 'gzip', 'bz2', 'lzma', 'xz'):
        joblib.dump(jl, os.path.join(OUT, f'arrays.joblib.{comp}'), compress=(comp, 3))
    # joblib's lz4 needs python-lz4, absent here; the lz4 CLI writes the same LZ4 frame format
    with open(os.path.join(OUT, 'arrays.joblib'), 'rb') as f:
        write('arrays.joblib.lz4', subprocess.run(['lz4', '-q', '-c', '-9'], input=f.read(), check=True,
                                                  capture_output=True).stdout)
    # 40 copies: long matches; for lz4 in 64 KiB linked blocks, so matches cross block boundaries
    with open(os.path.join(OUT, 'values.p0.pkl'), 'rb') as f:
        x40 = f.read() * 40
    write('values.p0.x40.lz4', subprocess.run(['lz4', '-q', '-c', '-BD', '-B4', '--content-size'],
                                              input=x40, check=True, capture_output=True).stdout)
    write('values.p0.x40.lzma', lzma.compress(x40, format=lzma.FORMAT_ALONE))
    write('values.p0.x40.xz', lzma.compress(x40, format=lzma.FORMAT_XZ, check=lzma.CHECK_SHA256))

    # arrays from the real sklearn and MLflow fixtures, as Python reads them
    def load(path):
        with open(path, 'rb') as f:
            return pickle.load(f, encoding='latin1')
    tree = load(f'{SHARED}/sklearn/decision_tree_classifier_iris/model.p4.pkl')
    strings = load(f'{SHARED}/sklearn/logreg_string_labels_iris/model.p4.pkl')
    rf = joblib.load(f'{SHARED}/sklearn/random_forest_classifier_wine/model.joblib_z3')
    mlflow1 = load(f'{SHARED}/mlflow/upstream_head/tests/resources/example_mlflow_1x_sklearn_model/model.pkl')
    expected['sklearn'] = {
        'tree_nodes': enc(tree.tree_.__getstate__()['nodes']),
        'tree_values': enc(tree.tree_.__getstate__()['values']),
        'tree_classes': enc(tree.classes_),
        'strings_classes': enc(strings.classes_),
        'strings_coef': enc(strings.coef_),
        'strings_intercept': enc(strings.intercept_),
        'rf_n_estimators': len(rf.estimators_),
        'rf_tree3_threshold': enc(rf.estimators_[3].tree_.__getstate__()['nodes']['threshold']),
        'mlflow1_coef': enc(mlflow1.coef_),
        'mlflow1_feature_names': enc(mlflow1.feature_names_in_),
    }
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write('\n')


if __name__ == '__main__':
    sys.exit(main())
