import { expect } from 'vitest';

/** XGBoost computes in float32: 1e-6 relative, with an absolute floor for values near zero. */
export function expectClose(got: ArrayLike<number>, want: number[], rel = 1e-6, abs = 1e-6): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = Math.max(abs, rel * Math.abs(want[i]));
    if (!(Math.abs(got[i] - want[i]) <= tol) && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
      expect.fail(`value ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}
