import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../../src/errors.js';
import { readJoblib, readPickle, type PyInstance } from '../../../src/formats/pickle/index.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/formats');
const none = { allowGlobal: () => false };
const sklearnOnly = { allowGlobal: (m: string) => m.startsWith('sklearn.') };

/** Pickle bytes from text opcodes and raw byte values. */
function bytes(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string') for (const ch of p) out.push(ch.charCodeAt(0));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}
const u64 = (n: number): number[] => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return [...b];
};
const u32 = (n: number): number[] => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return [...b];
};
/** SHORT_BINUNICODE */
const str = (s: string): number[] => [0x8c, s.length, ...Buffer.from(s, 'latin1')];

function refusal(data: Uint8Array, options: Parameters<typeof readPickle>[1] = none, reader = readPickle): MlflowError {
  let caught: unknown;
  try {
    reader(data, options);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(MlflowError);
  return caught as MlflowError;
}

describe('globals outside the allow-list are refused, nothing runs', () => {
  const cases: [string, Uint8Array][] = [
    ['os.system via GLOBAL + REDUCE', bytes("cos\nsystem\n(S'echo pwned'\ntR.")],
    ['posix.system', bytes("cposix\nsystem\n(S'echo pwned'\ntR.")],
    ['builtins.eval via STACK_GLOBAL', bytes([0x80, 4], str('builtins'), str('eval'), [0x93], str('1+1'), [0x85, 0x52, 0x2e])],
    ['__builtin__.eval (Python 2 name)', bytes([0x80, 2], "c__builtin__\neval\n", "(S'1'\ntR.")],
    ['builtins.getattr', bytes("cbuiltins\ngetattr\n(cbuiltins\nobject\nS'__subclasses__'\ntR.")],
    ['subprocess.Popen via INST', bytes("(S'ls'\nisubprocess\nPopen\n.")],
    ['os.system via OBJ', bytes("(cos\nsystem\nS'ls'\no.")],
  ];
  for (const [label, data] of cases) {
    it(`refuses ${label}`, () => {
      const err = refusal(data, sklearnOnly);
      expect(err.message).toMatch(/refused to load global '(os\.system|posix\.system|builtins\.eval|builtins\.getattr|subprocess\.Popen)'/);
      expect(err.errorCode).toBe('PERMISSION_DENIED');
    });
  }

  it('names a protocol-2 global as Python 3 loads it and as the file writes it (issue #18)', () => {
    // pickle.dumps(subprocess.Popen, protocol=2) writes the Python 2 name `commands.Popen`; Python 3's
    // unpickler maps it back (fix_imports), so that is the class the file would load.
    const popen = refusal(bytes([0x80, 2], 'ccommands\nPopen\nq\x00.'));
    expect(popen.message).toContain("refused to load global 'subprocess.Popen' (written as 'commands.Popen')");
    const reduce = refusal(bytes([0x80, 2], 'c__builtin__\nreduce\n.'));
    expect(reduce.message).toContain("'functools.reduce' (written as '__builtin__.reduce')");
    const exception = refusal(bytes([0x80, 2], 'cexceptions\nStandardError\n.'));
    expect(exception.message).toContain("'builtins.Exception' (written as 'exceptions.StandardError')");
    // Protocol 3 and later are read as written: no mapping, nothing to add.
    const p3 = refusal(bytes([0x80, 3], 'ccommands\nPopen\n.'));
    expect(p3.message).toContain("refused to load global 'commands.Popen':");
  });

  it('turns a call into inert data even when a careless caller allows everything', () => {
    const v = readPickle(bytes("cos\nsystem\n(S'touch /tmp/pwned'\ntR."), { allowGlobal: () => true }) as PyInstance;
    expect(v).toEqual({ kind: 'instance', module: 'os', name: 'system', state: {}, args: ['touch /tmp/pwned'] });
  });

  it('refuses persistent ids and extension codes', () => {
    expect(refusal(bytes("Pfoo\n.")).message).toMatch(/persistent IDs/);
    expect(refusal(bytes([0x80, 2, 0x82, 1, 0x2e])).message).toMatch(/extension codes/);
  });
});

describe('attribute names are data', () => {
  it('keeps a "__proto__" attribute as an own property, not a prototype', () => {
    // pkg.C() with state {'__proto__': {'polluted': True}}
    const data = bytes([0x80, 4], str('pkg'), str('C'), [0x93, 0x29, 0x81, 0x7d], str('__proto__'), [0x7d], str('polluted'), [0x88, 0x73, 0x73, 0x62, 0x2e]);
    const inst = readPickle(data, { allowGlobal: (m) => m === 'pkg' }) as PyInstance;
    expect(Object.getPrototypeOf(inst.state)).toBe(Object.prototype);
    expect(inst.state.polluted).toBeUndefined();
    expect(Object.keys(inst.state)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('length and size claims are checked before allocating', () => {
  const TEN_GB = 10 * 2 ** 30;
  it('refuses BINBYTES8 / BINUNICODE8 / BYTEARRAY8 claiming 10 GB', () => {
    for (const op of [0x8e, 0x8d, 0x96]) {
      const err = refusal(bytes([0x80, 5, op], u64(TEN_GB), 'abc.'));
      expect(err.message).toMatch(/declared length \d+ exceeds the limit/);
    }
    const err = refusal(bytes([0x80, 5, 0x8e], u64(1000), 'abc.'), { ...none, maxBytes: 2 ** 40 });
    expect(err.message).toMatch(/declared length 1000 is larger than the 4 bytes left/);
  });

  it('refuses LONG4 and BINUNICODE with lengths beyond the input', () => {
    expect(refusal(bytes([0x80, 2, 0x8b], u32(2 ** 31 - 1), '.')).message).toMatch(/larger than the 1 bytes left/);
    expect(refusal(bytes([0x80, 2, 0x58], u32(4000000000), '.')).message).toMatch(/exceeds the limit/);
  });

  // numpy.core.multiarray._reconstruct(ndarray, (0,), b'b') then BUILD (1, shape, dtype('f8'), False, rawdata)
  const f8 = (): number[] => [...bytes("cnumpy\ndtype\n(S'f8'\nI00\nI01\ntR(I3\nS'<'\nNNNI-1\nI-1\nI0\ntb")];
  const reconstruct = (shape: string, raw: number[]): Uint8Array =>
    bytes("cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\n(I0\ntS'b'\ntR(I1\n", shape, f8(), 'I00\n', raw, 'tb.');

  it('refuses an ndarray whose shape claims 10 GB but whose data is 16 bytes', () => {
    const err = refusal(reconstruct('(I100000\nI13422\nt', [...bytes([0x43, 16], new Array(16).fill(0))]));
    expect(err.message).toMatch(/needs 10737600000 bytes but the file holds 16/);
  });

  it('reads the same pickle when the shape matches its data', () => {
    const v = readPickle(reconstruct('(I2\nt', [...bytes([0x43, 16], new Array(16).fill(0))]), none);
    expect(v).toMatchObject({ kind: 'ndarray', dtype: '<f8', shape: [2] });
  });

  it('refuses an object array whose shape disagrees with its list', () => {
    const obj = bytes(
      "cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\n(I0\ntS'b'\ntR(I1\n(I100000\nI100000\nt",
      "cnumpy\ndtype\n(S'O8'\nI00\nI01\ntR(I3\nS'|'\nNNNI-1\nI-1\nI63\ntb",
      'I00\n(lp0\nI1\natb.',
    );
    expect(refusal(obj).message).toMatch(/needs 10000000000 items but the file holds 1/);
  });

  it('refuses a joblib array wrapper whose shape claims 10 GB', () => {
    const wrapper = bytes(
      [0x80, 2],
      "cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}(S'subclass'\ncnumpy\nndarray\nS'shape'\n(I100000\nI13422\ntS'order'\nS'C'\nS'dtype'\n",
      f8(),
      "S'allow_mmap'\nI01\nS'numpy_array_alignment_bytes'\nI16\nub.",
      [0],
      new Array(64).fill(0),
    );
    const err = refusal(wrapper, none, readJoblib);
    expect(err.message).toMatch(/declared length 10737600000 exceeds the limit|larger than the \d+ bytes left/);
  });

  it('refuses an int64 beyond 2^53 in an array rather than rounding it', () => {
    const i8 = bytes(
      "cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\n(I0\ntS'b'\ntR(I1\n(I1\nt",
      "cnumpy\ndtype\n(S'i8'\nI00\nI01\ntR(I3\nS'<'\nNNNI-1\nI-1\nI0\ntb",
      'I00\n',
      [0x43, 8, 1, 0, 0, 0, 0, 0, 0x40, 0],
      'tb.',
    );
    expect(refusal(i8).message).toMatch(/beyond 2\^53/);
  });
});

describe('reusing memoized values cannot multiply allocations', () => {
  // _frombuffer(buf, dtype('u1'), (1000,), 'C') made `times` times from one memoized 1000-byte buffer
  const amplify = (times: number): Uint8Array => {
    const parts: (string | number[] | Uint8Array)[] = [
      [0x80, 4],
      'cnumpy.core.numeric\n_frombuffer\n',
      [0x94],
      "cnumpy\ndtype\n(S'u1'\nI00\nI01\ntR",
      [0x94, 0x42, ...u32(1000)],
      new Uint8Array(1000),
      [0x94, 0x4d, 0xe8, 0x03, 0x85, 0x94, 0x8c, 1, 0x43, 0x94, 0x28],
    ];
    for (let i = 0; i < times; i++) parts.push([0x68, 0, 0x28, 0x68, 2, 0x68, 1, 0x68, 3, 0x68, 4, 0x74, 0x52]);
    parts.push([0x6c, 0x2e]);
    return bytes(...parts);
  };

  it('reads a few copies', () => {
    const v = readPickle(amplify(10), none) as { data: Uint8Array }[];
    expect(v).toHaveLength(10);
    expect(v[0].data).toHaveLength(1000);
  });

  it('refuses once the copies pass maxBytes', () => {
    expect(refusal(amplify(100), { ...none, maxBytes: 50_000 }).message).toMatch(/rebuilds more than 50000 bytes/);
  });
});

describe('deep nesting cannot overflow the stack', () => {
  const DEEP = 100_000;
  it('refuses 100,000 nested lists built with EMPTY_LIST/APPEND', () => {
    const data = new Uint8Array(2 + DEEP + (DEEP - 1) + 1);
    data.set([0x80, 2]);
    data.fill(0x5d, 2, 2 + DEEP);
    data.fill(0x61, 2 + DEEP, 2 + DEEP + DEEP - 1);
    data[data.length - 1] = 0x2e;
    expect(refusal(data).message).toMatch(/nested more than 1000 levels deep/);
  });

  it('refuses 100,000 nested tuples built with MARK/TUPLE', () => {
    const data = new Uint8Array(DEEP * 2 + 1);
    data.fill(0x28, 0, DEEP);
    data.fill(0x74, DEEP, 2 * DEEP);
    data[2 * DEEP] = 0x2e;
    expect(refusal(data).message).toMatch(/nested more than 1000 levels deep/);
  });

  it('refuses a chain of memoized lists linked after they were built', () => {
    // make N lists, memoize each, then append list i+1 into list i in order
    const N = 5000;
    const parts: number[] = [0x80, 4];
    for (let i = 0; i < N; i++) parts.push(0x5d, 0x94, 0x30);
    for (let i = 0; i < N - 1; i++) parts.push(0x6a, ...u32(i), 0x6a, ...u32(i + 1), 0x61, 0x30);
    parts.push(0x6a, ...u32(0), 0x2e);
    expect(refusal(Uint8Array.from(parts)).message).toMatch(/nested more than 1000 levels deep/);
  });

  it('accepts a self-referencing list (a cycle adds no depth)', () => {
    const v = readPickle(bytes([0x80, 2, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x2e]), none) as unknown[];
    expect(v[0]).toBe(v);
  });

  it('honours maxDepth', () => {
    expect(refusal(bytes([0x80, 2, 0x5d, 0x5d, 0x5d, 0x61, 0x61, 0x2e]), { ...none, maxDepth: 2 }).message).toMatch(/more than 2 levels/);
  });
});

describe('damaged input gives an MlflowError, never a crash', () => {
  const good = readFileSync(join(FIX, 'values.p4.pkl'));
  const goodJoblib = readFileSync(join(FIX, 'arrays.joblib'));

  it('every truncation of a valid pickle is refused cleanly', () => {
    for (let n = 0; n < good.length; n++) refusal(good.subarray(0, n));
    for (let n = 0; n < goodJoblib.length; n += 7) refusal(goodJoblib.subarray(0, n), none, readJoblib);
  });

  it('random byte corruptions either read or fail with an MlflowError', () => {
    let seed = 42;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const [src, reader] of [[good, readPickle], [goodJoblib, readJoblib]] as const) {
      for (let trial = 0; trial < 400; trial++) {
        const data = Uint8Array.from(src);
        for (let k = 0; k < 3; k++) data[Math.floor(rand() * data.length)] = Math.floor(rand() * 256);
        try {
          reader(data, none);
        } catch (e) {
          if (!(e instanceof MlflowError)) throw new Error(`trial ${trial}: ${(e as Error).stack}`);
        }
      }
    }
  });

  it('still reads a valid pickle after all of the above', () => {
    expect(() => readPickle(good, none)).not.toThrow();
  });
});
