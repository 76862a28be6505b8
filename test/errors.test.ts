import { describe, expect, it } from 'vitest';
import { MlflowError, httpStatusOf } from '../src/errors.js';

describe('MlflowError', () => {
  it('carries the error code and maps it to the HTTP status MLflow uses', () => {
    const e = new MlflowError("Column 'x' is missing", 'INVALID_PARAMETER_VALUE');
    expect(e.httpStatus).toBe(400);
    expect(e.toJSON()).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: "Column 'x' is missing" });
    expect(httpStatusOf('RESOURCE_DOES_NOT_EXIST')).toBe(404);
    expect(httpStatusOf('TEMPORARILY_UNAVAILABLE')).toBe(503);
    expect(httpStatusOf('DEADLINE_EXCEEDED')).toBe(504);
  });

  it('defaults to INTERNAL_ERROR', () => {
    expect(new MlflowError('boom').errorCode).toBe('INTERNAL_ERROR');
  });
});
