import type { MlflowError } from '../errors.js';
import type { Schema } from '../model/signature.js';
import { enforceSchema } from './enforce-schema.js';

/**
 * Inputs a worker thread has already enforced against a schema (the scoring server's large-body
 * thread does it off the event loop), by the main thread's copy of that schema: predict passes
 * them to the model as they are rather than walking them again.
 */
const enforced = new WeakMap<object, Schema>();

/** Records that `input` is what enforceSchema returned for `schema` (in a thread, on the same input). */
export function markEnforced(input: object, schema: Schema): void {
  enforced.set(input, schema);
}

/** An input whose enforcement failed in a worker thread: predict throws that error, as enforcing it here would. */
export class RefusedInput {
  constructor(readonly error: MlflowError) {}
}

/** enforceSchema, unless a thread already did it (or refused the input) for this schema. */
export function enforceOnce(input: unknown, schema: Schema): unknown {
  if (input instanceof RefusedInput) throw input.error;
  if (typeof input === 'object' && input !== null && enforced.get(input) === schema) return input;
  return enforceSchema(input, schema);
}
