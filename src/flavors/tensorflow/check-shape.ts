import { MlflowError } from '../../errors.js';

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null || d < 0 ? 'None' : String(d))).join(', ')}]`;
}

/**
 * Refuses a tensor whose shape cannot be the declared one (null or -1: any size), naming the
 * input with both shapes, as TensorFlow refuses it: a wrong shape must be a 400, not an error
 * from inside the graph.
 */
export function checkShape(received: readonly number[], declared: readonly (number | null)[] | undefined, what: string): void {
  if (declared === undefined) return;
  const fits = received.length === declared.length && declared.every((d, i) => d === null || d < 0 || d === received[i]);
  if (!fits) {
    throw new MlflowError(`${what} expects shape ${shapeText(declared)} but received shape ${shapeText(received)}`, 'INVALID_PARAMETER_VALUE');
  }
}
