import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../../src/errors.js';
import { loadPickleFile, readJoblib, readPickle, type NdArray, type PyInstance } from '../../../src/formats/pickle/index.js';
import { type Compression, decompress } from '../../../src/formats/pickle/decompress.js';
import { comparable } from './comparable.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/formats');
const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8'));
const none = { allowGlobal: () => false };
const read = (name: string): Uint8Array => readFileSync(join(FIX, name));

describe('readPickle on values Python pickled', () => {
  for (const proto of [0, 1, 2, 3, 4, 5]) {
    it(`reads protocol ${proto}: arrays of every dtype, numpy scalars and Python values`, () => {
      const v = readPickle(read(`values.p${proto}.pkl`), none);
      expect(comparable(v)).toEqual(expected.values);
    });
  }

  it('keeps shared references shared', () => {
    const v = readPickle(read('values.p4.pkl'), none) as Map<string, unknown>;
    const [a, b] = v.get('shared') as NdArray[];
    expect(a).toBe(b);
  });

  it('exposes int64 as doubles, Fortran arrays in C order and big-endian data converted', () => {
    const arrays = (readPickle(read('values.p5.pkl'), none) as Map<string, Map<string, NdArray>>).get('arrays')!;
    expect(arrays.get('i8_3d_fortran')!.data).toBeInstanceOf(Float64Array);
    expect(Array.from(arrays.get('i8_3d_fortran')!.data as Float64Array).slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(arrays.get('f8_big_endian')!.dtype).toBe('<f8');
    expect(arrays.get('f4_fortran')!.data).toBeInstanceOf(Float32Array);
    expect(arrays.get('i4_big_endian')!.data).toBeInstanceOf(Int32Array);
  });

  it("reads numpy 2's numpy._core module paths", () => {
    const v = readPickle(read('arrays.numpy2.p2.pkl'), none);
    expect(comparable(v)).toEqual(expected.values.dict[0][1]);
  });

  it('reads protocol-5 out-of-band buffers given in options.buffers', () => {
    const buffers = Array.from({ length: expected.oob_buffers }, (_, i) => read(`oob.p5.buffer${i}.bin`));
    expect(comparable(readPickle(read('oob.p5.pkl'), { ...none, buffers }))).toEqual(expected.oob);
    expect(() => readPickle(read('oob.p5.pkl'), none)).toThrow(/out-of-band buffer/);
  });

  it('reads scipy csr and csc matrices as instances holding arrays', () => {
    const v = readPickle(read('sparse.p4.pkl'), none) as Map<string, PyInstance>;
    for (const name of ['csr', 'csc']) {
      const m = v.get(name)!;
      expect(m.module).toBe(`scipy.sparse._${name}`);
      expect(m.name).toBe(`${name}_matrix`);
      const want = expected.sparse[name];
      expect(comparable(m.state.data)).toEqual(want.data);
      expect(comparable(m.state.indices)).toEqual(want.indices);
      expect(comparable(m.state.indptr)).toEqual(want.indptr);
      expect(m.state._shape).toEqual(want.shape);
    }
  });
});

describe('instances', () => {
  it('keeps items of dict and list subclasses in __items__ / __list__, and slot state', () => {
    // NEWOBJ of an allowed dict subclass, SETITEM 'a'=1, BUILD ({'x': 2}, {'slot': 3}); then a list subclass with APPEND 5
    const data = Uint8Array.from([
      0x80, 4, 0x8c, 3, ...Buffer.from('pkg'), 0x8c, 4, ...Buffer.from('Dict'), 0x93, 0x29, 0x81,
      0x8c, 1, 0x61, 0x4b, 1, 0x73,
      0x7d, 0x8c, 1, 0x78, 0x4b, 2, 0x73, 0x7d, 0x8c, 4, ...Buffer.from('slot'), 0x4b, 3, 0x73, 0x86, 0x62,
      0x8c, 3, ...Buffer.from('pkg'), 0x8c, 4, ...Buffer.from('List'), 0x93, 0x29, 0x81, 0x4b, 5, 0x61,
      0x86, 0x2e,
    ]);
    const [d, l] = readPickle(data, { allowGlobal: (m) => m === 'pkg' }) as PyInstance[];
    expect(d).toEqual({ kind: 'instance', module: 'pkg', name: 'Dict', args: [], state: { __items__: new Map([['a', 1]]), x: 2, slot: 3 } });
    expect(l.state.__list__).toEqual([5]);
  });
});

describe('joblib', () => {
  it('reads arrays stored after the pickle stream, incl. object, Fortran, big-endian and structured arrays', () => {
    expect(comparable(readJoblib(read('arrays.joblib'), none))).toEqual(expected.joblib);
  });

  for (const comp of ['zlib', 'gzip', 'bz2', 'lz4', 'lzma', 'xz']) {
    it(`loadPickleFile inflates ${comp}-compressed joblib files`, async () => {
      expect(comparable(await loadPickleFile(join(FIX, `arrays.joblib.${comp}`), none))).toEqual(expected.joblib);
    });
  }

  for (const comp of ['lz4', 'lzma', 'xz'] as const) {
    it(`decodes long ${comp} data with far matches (lz4: linked blocks)`, () => {
      const original = read('values.p0.pkl');
      const out = decompress(read(`values.p0.x40.${comp}`), comp, 2 ** 30, 'x40');
      expect(out.length).toBe(original.length * 40);
      for (let k = 0; k < 40; k++) expect(Buffer.compare(out.subarray(k * original.length, (k + 1) * original.length), original)).toBe(0);
      expect(() => decompress(read(`values.p0.x40.${comp}`), comp, 100_000, 'x40')).toThrow(/exceeds the limit of 100000 bytes/);
    });
  }

  for (const comp of ['zlib', 'gzip', 'bz2', 'lz4', 'lzma', 'xz']) {
    it(`caps ${comp}-decompressed size at maxBytes`, async () => {
      await expect(loadPickleFile(join(FIX, `arrays.joblib.${comp}`), { ...none, maxBytes: 1000 })).rejects.toThrow(/exceeds the limit of 1000 bytes/);
    });

    it(`refuses truncated ${comp} data with an MlflowError`, () => {
      const data = read(`arrays.joblib.${comp}`);
      const kind = comp as Compression;
      for (const n of [data.length - 5, Math.floor(data.length / 2), 12]) {
        expect(() => decompress(data.subarray(0, n), kind, 2 ** 20, comp)).toThrow(MlflowError);
      }
    });
  }

  it('refuses the compressed format of joblib < 0.10 by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pickle-'));
    try {
      writeFileSync(join(dir, 'old.joblib'), Buffer.from('ZF0x00000000000000a2\nx\x9c'));
      await expect(loadPickleFile(join(dir, 'old.joblib'), none)).rejects.toThrow(/joblib < 0\.10/);
      await expect(loadPickleFile(dir, none)).rejects.toThrow(/Cannot read pickle file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a missing file', async () => {
    const err = await loadPickleFile(join(FIX, 'nope.pkl'), none).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).message).toMatch(/nope\.pkl/);
  });
});
