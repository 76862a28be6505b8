import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileChunks } from '../../src/frame/file-chunks.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-chunks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The chunks' bytes, each copied when it is given (a chunk is valid until the next). */
async function collect(path: string, chunkBytes: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of fileChunks(path, chunkBytes)) out.push(Buffer.from(chunk));
  return out;
}

describe('fileChunks', () => {
  it('gives the file in order, in chunks of the size asked, the last one short', async () => {
    const bytes = Buffer.from(Array.from({ length: 10_007 }, (_, i) => (i * 31) % 251));
    const path = join(dir, 'a.bin');
    await writeFile(path, bytes);
    const chunks = await collect(path, 1000);
    expect(chunks.map((c) => c.length)).toEqual([...Array(10).fill(1000), 7]);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    // a size that divides the file, and one larger than it
    expect(Buffer.concat(await collect(path, 10_007)).equals(bytes)).toBe(true);
    expect((await collect(path, 1 << 20)).map((c) => c.length)).toEqual([10_007]);
  });

  it('gives nothing for an empty file', async () => {
    const path = join(dir, 'empty.bin');
    await writeFile(path, '');
    expect(await collect(path, 64)).toEqual([]);
  });

  it('closes the file when the caller stops early, the read in flight settled first', async () => {
    const path = join(dir, 'b.bin');
    await writeFile(path, Buffer.alloc(5000, 7));
    let seen = 0;
    for await (const chunk of fileChunks(path, 100)) {
      seen += chunk.length;
      if (seen >= 300) break;
    }
    expect(seen).toBe(300);
  });

  it('rejects a file that does not exist, naming it', async () => {
    await expect(collect(join(dir, 'missing.bin'), 64)).rejects.toThrow(/missing\.bin/);
  });
});
