import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DT } from '../../../src/formats/protobuf/index.js';
import { TensorBundle, crc32c, maskCrc, readSsTable, snappyDecompress } from '../../../src/formats/tensorbundle/index.js';

const MODELS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tensorflow/models');
const prefix = (model: string, sub: string): string => path.join(MODELS, model, sub, 'variables', 'variables');

describe('crc32c', () => {
  it('matches the CRC-32C check value and TensorFlow/LevelDB masking', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    // Extending in two parts equals one pass.
    const all = new TextEncoder().encode('hello world');
    expect(crc32c(all.subarray(5), crc32c(all.subarray(0, 5)))).toBe(crc32c(all));
    expect(maskCrc(0)).toBe(0xa282ead8);
  });
});

describe('snappyDecompress', () => {
  it('expands literals and overlapping back-references', () => {
    // "abc" literal, then a 9-byte copy at offset 3 (overlapping its own output).
    const block = Uint8Array.from([12, 0x08, 0x61, 0x62, 0x63, 0x15, 0x03]);
    expect(new TextDecoder().decode(snappyDecompress(block, 'test'))).toBe('abcabcabcabc');
  });

  it('refuses a copy reaching before the start of the output', () => {
    expect(() => snappyDecompress(Uint8Array.from([12, 0x08, 0x61, 0x62, 0x63, 0x15, 0x09]), 'blk')).toThrow(/blk: corrupt Snappy block/);
  });

  it('refuses a length that does not match the header', () => {
    expect(() => snappyDecompress(Uint8Array.from([5, 0x08, 0x61, 0x62, 0x63]), 'blk')).toThrow(/blk: corrupt Snappy block \(premature end of input\)/);
  });
});

describe('TensorBundle', () => {
  it('reads a TF 2.14 index whose blocks are Snappy-compressed', async () => {
    const index = await readFile(`${prefix('half_plus_two_tf2_cpu', 'tfmodel')}.index`);
    // Footer -> index block (uncompressed) -> its first entry's value, the data block's handle,
    // whose 5-byte trailer starts with the compression type: 1 = Snappy.
    const varint = (buf: Uint8Array, at: { pos: number }): number => {
      let v = 0;
      for (let s = 0; ; s += 7) {
        const b = buf[at.pos++];
        v += (b & 0x7f) * 2 ** s;
        if (b < 0x80) return v;
      }
    };
    const footer = { pos: index.length - 48 };
    varint(index, footer);
    varint(index, footer);
    const entry = { pos: varint(index, footer) };
    varint(index, entry); // shared key bytes
    const keyLen = varint(index, entry);
    varint(index, entry); // value length
    entry.pos += keyLen;
    const dataOffset = varint(index, entry);
    const dataSize = varint(index, entry);
    expect(index[dataOffset + dataSize]).toBe(1);
    expect(readSsTable(index, 'index').length).toBe(5);

    const b = await TensorBundle.open(prefix('half_plus_two_tf2_cpu', 'tfmodel'));
    expect(b.keys()).toEqual(['_CHECKPOINTABLE_OBJECT_GRAPH', 'a/.ATTRIBUTES/VARIABLE_VALUE', 'b/.ATTRIBUTES/VARIABLE_VALUE', 'c/.ATTRIBUTES/VARIABLE_VALUE']);
    const a = await b.read('a/.ATTRIBUTES/VARIABLE_VALUE');
    expect(a.dtype).toBe(DT.FLOAT);
    expect(a.shape).toEqual([]);
    expect(Array.from(a.values as Float32Array)).toEqual([0.5]);
  });

  it('reads TF1 keys, int64 variables and string tensors (CRC over lengths and bytes)', async () => {
    const tf1 = await TensorBundle.open(prefix('half_plus_two_cpu', 'tfmodel'));
    expect(tf1.keys()).toEqual(['a', 'a2', 'b', 'c', 'c2']);
    expect(Array.from((await tf1.read('b')).values as Float32Array)).toEqual([2]);

    const i64 = await TensorBundle.open(prefix('int64_multiply', 'tf2model'));
    const v1 = await i64.read('v1/.ATTRIBUTES/VARIABLE_VALUE');
    expect(v1.dtype).toBe(DT.INT64);
    expect(Array.from(v1.values as BigInt64Array)).toEqual([3n]);
    const graph = await i64.read('_CHECKPOINTABLE_OBJECT_GRAPH');
    expect(graph.dtype).toBe(DT.STRING);
    expect((graph.values as Uint8Array[])[0].length).toBe(158);
  });

  it('detects a corrupted data file and a corrupted index', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bundle-'));
    try {
      const src = prefix('times_three_float', 'tf2model');
      const dst = path.join(dir, 'variables');
      await copyFile(`${src}.index`, `${dst}.index`);
      const data = await readFile(`${src}.data-00000-of-00001`);
      const b = await TensorBundle.open(src);
      const e = b.entry('v/.ATTRIBUTES/VARIABLE_VALUE');
      if (!e) throw new Error('no entry');
      data[e.offset] ^= 0xff;
      await writeFile(`${dst}.data-00000-of-00001`, data);
      const bad = await TensorBundle.open(dst);
      await expect(bad.read('v/.ATTRIBUTES/VARIABLE_VALUE')).rejects.toThrow(/checkpoint tensor 'v\/.ATTRIBUTES\/VARIABLE_VALUE'.*checksum mismatch/);

      const index = await readFile(`${src}.index`);
      index[10] ^= 0xff;
      await writeFile(`${dst}.index`, index);
      await expect(TensorBundle.open(dst)).rejects.toThrow(/checksum mismatch in block/);
      await writeFile(`${dst}.index`, 'not a table');
      await expect(TensorBundle.open(dst)).rejects.toThrow(/not a TensorFlow checkpoint index/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
