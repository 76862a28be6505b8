import { join } from 'node:path';
import { expect } from 'vitest';
import type { Tensor } from '../../../src/frame/tensor.js';
import { loadSklearnEstimator } from '../../../src/flavors/sklearn/load.js';
import { callMethod, isSklearnMethod } from '../../../src/flavors/sklearn/methods.js';
import { caseInput, type CaseJson } from './case-input.js';

/** Flattens a nested JSON array in row-major order. */
function flat(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

function closeTo(actual: number, expected: number | null, rel = 1e-9): boolean {
  if (expected === null) return Number.isNaN(actual);
  if (actual === expected) return true; // infinities
  return Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected));
}

/**
 * One method's output, as the tensor we computed, against scikit-learn's in case.json. float32
 * outputs are compared bit for bit, or within `f32Rel` relative where scikit-learn's float32
 * arithmetic (a BLAS kernel's summation order) is not followed exactly; float64 outputs within
 * `f64Rel` (wider where scikit-learn computed them from float32 intermediate values).
 */
export function expectOutput(method: string, out: Tensor, exp: CaseJson['outputs'][string], f32Rel = 0, f64Rel = 1e-9): void {
  expect(out.shape, `${method} shape`).toEqual(exp.shape);
  const want = flat(exp.value);
  // bool tensors hold 0/1 bytes; numpy's JSON has true/false
  const got = Array.from(out.data as ArrayLike<unknown>, (v) => (out.dtype === 'bool' ? v === 1 : v));
  if (exp.dtype === 'float32' && f32Rel > 0) {
    const bad = got.findIndex((g, i) => Math.abs((g as number) - (want[i] as number)) > f32Rel * Math.max(1, Math.abs(want[i] as number)));
    expect(bad, `${method}[${bad}] = ${got[bad]}, sklearn ${want[bad]}`).toBe(-1);
    expect(out.dtype, `${method} dtype`).toBe('float32');
  } else if (exp.dtype === 'float64') {
    const bad = got.findIndex((g, i) => !closeTo(g as number, want[i] as number | null, f64Rel));
    expect(bad, `${method}[${bad}] = ${got[bad]}, sklearn ${want[bad]}`).toBe(-1);
    expect(out.dtype, `${method} dtype`).toBe('float64');
  } else {
    expect(got, method).toEqual(want);
    // numpy unicode arrays ('<U10') are our 'string' tensors
    expect(out.dtype, `${method} dtype`).toBe(exp.dtype.startsWith('<U') ? 'string' : exp.dtype);
  }
}

/**
 * Loads one pickle of a case and checks every method's output against scikit-learn's in
 * case.json, and that each method scikit-learn raised on ("errors") throws its message (our
 * messages are one line: sklearn's line breaks are spaces).
 */
export async function expectCaseOutputs(dir: string, file: string, c: CaseJson, f32Rel = 0, f64Rel = 1e-9): Promise<void> {
  const est = await loadSklearnEstimator(join(dir, file));
  for (const [method, exp] of Object.entries(c.outputs)) {
    if (!isSklearnMethod(method)) throw new Error(`unknown method ${method}`);
    expectOutput(method, callMethod(est, method, caseInput(c)), exp, f32Rel, f64Rel);
  }
  for (const [method, message] of Object.entries(c.errors ?? {})) {
    if (!isSklearnMethod(method)) throw new Error(`unknown method ${method}`);
    expect(() => callMethod(est, method, caseInput(c)), method).toThrow(message.replace(/\n/g, ' ').trim());
  }
}
