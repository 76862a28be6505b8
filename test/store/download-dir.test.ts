import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { downloadInto, downloadsRoot } from '../../src/store/download-dir.js';

const DOWNLOAD_DIR_MODULE = fileURLToPath(new URL('../../src/store/download-dir.ts', import.meta.url));

describe('remote downloads land in per-load folders that never stay half written', () => {
  it('gives each download a new folder under the per-process root', async () => {
    const a = await downloadInto(undefined, async (dir) => writeFileSync(path.join(dir, 'MLmodel'), 'a'));
    const b = await downloadInto(undefined, async (dir) => writeFileSync(path.join(dir, 'MLmodel'), 'b'));
    expect(a).not.toBe(b);
    expect(path.dirname(a)).toBe(downloadsRoot());
    expect(readFileSync(path.join(a, 'MLmodel'), 'utf8')).toBe('a');
    expect(readFileSync(path.join(b, 'MLmodel'), 'utf8')).toBe('b');
  });

  it('removes a failed download, in its own folder or in a destination it created', async () => {
    const before = readdirSync(downloadsRoot());
    const fail = async (dir: string): Promise<void> => {
      mkdirSync(path.join(dir, 'sub'));
      writeFileSync(path.join(dir, 'sub', 'half.bin'), 'partial');
      throw new Error('connection reset');
    };
    await expect(downloadInto(undefined, fail)).rejects.toThrow('connection reset');
    expect(readdirSync(downloadsRoot())).toEqual(before);

    const parent = mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-dl-'));
    await expect(downloadInto(path.join(parent, 'a', 'b'), fail)).rejects.toThrow('connection reset');
    expect(readdirSync(parent)).toEqual([]);
  });

  it('into an existing destination: replaces same-named entries, keeps the others, and on failure adds nothing', async () => {
    const dst = mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-dl-'));
    writeFileSync(path.join(dst, 'keep.txt'), 'mine');
    writeFileSync(path.join(dst, 'MLmodel'), 'old');
    const out = await downloadInto(dst, async (dir) => {
      writeFileSync(path.join(dir, 'MLmodel'), 'new');
      mkdirSync(path.join(dir, 'data'));
      writeFileSync(path.join(dir, 'data', 'w.bin'), 'w');
    });
    expect(out).toBe(dst);
    expect(readdirSync(dst).sort()).toEqual(['MLmodel', 'data', 'keep.txt']);
    expect(readFileSync(path.join(dst, 'MLmodel'), 'utf8')).toBe('new');
    expect(readFileSync(path.join(dst, 'keep.txt'), 'utf8')).toBe('mine');

    await expect(
      downloadInto(dst, async (dir) => {
        writeFileSync(path.join(dir, 'MLmodel'), 'broken');
        throw new Error('403');
      }),
    ).rejects.toThrow('403');
    expect(readdirSync(dst).sort()).toEqual(['MLmodel', 'data', 'keep.txt']);
    expect(readFileSync(path.join(dst, 'MLmodel'), 'utf8')).toBe('new');
  });

  it('removes the per-process folder when the process exits', () => {
    const script =
      `import { downloadInto } from ${JSON.stringify(DOWNLOAD_DIR_MODULE)};\n` +
      "import { writeFileSync } from 'node:fs';\n" +
      "const dir = await downloadInto(undefined, async (d) => writeFileSync(d + '/MLmodel', 'x'));\n" +
      'console.log(dir);\n';
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(child.status).toBe(0);
    const dir = child.stdout.trim();
    expect(dir).toMatch(/mlflow-ts-downloads-/);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(path.dirname(dir))).toBe(false);
  });
});
