import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./bomb-child.ts', import.meta.url));
const bomb = (name: string): string => fileURLToPath(new URL(`../../fixtures/formats/bombs/${name}`, import.meta.url));
const LIMIT = 256 * 1024 * 1024;

async function load(file: string): Promise<{ before: number; maxRss: number; message: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, file], {
    env: { ...process.env, MLFLOW_TS_MAX_MODEL_BYTES: String(LIMIT) },
    timeout: 240_000,
  });
  return JSON.parse(stdout) as { before: number; maxRss: number; message: string };
}

// Issue #18: a 1 MB zlib joblib and a 785-byte bz2 file that inflate to 1 GiB each. They must be
// refused at MLFLOW_TS_MAX_MODEL_BYTES with the peak memory under that limit + 100 MB.
describe('decompression bombs', () => {
  for (const name of ['zeros-1gib.joblib', 'zeros-1gib.joblib.bz2']) {
    it(`refuses ${name} at the configured limit without holding twice the limit`, async () => {
      const r = await load(bomb(name));
      expect(r.message).toMatch(new RegExp(`zeros-1gib\\.joblib.*: decompressed (zlib|bz2) data exceeds the limit of ${LIMIT} bytes`));
      expect(r.maxRss - r.before).toBeLessThan(LIMIT + 100 * 1024 * 1024);
    }, 300_000);
  }

  it('refuses a limit that is not a positive number of bytes, naming the variable', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, bomb('zeros-1gib.joblib')], {
      env: { ...process.env, MLFLOW_TS_MAX_MODEL_BYTES: '2GB' },
    });
    expect((JSON.parse(stdout) as { message: string }).message).toBe("MLFLOW_TS_MAX_MODEL_BYTES must be a positive whole number of bytes, not '2GB'");
  });
});
