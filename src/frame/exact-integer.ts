import { MlflowError } from '../errors.js';
import { isFrame } from './frame.js';
import type { ReadsAsFloat } from './read-options.js';
import { isTensor, type Tensor } from './tensor.js';

/**
 * Integers beyond 2^53. pandas reads such a JSON or CSV integer into an exact int64, but a
 * Frame holds int64 in a Float64Array, which would round it silently. Rather than answer with a
 * rounded value, mlflow-ts refuses the request and names the value and where it sits.
 */
export function inexactIntegerError(literal: string, where: string): MlflowError {
  return new MlflowError(
    `Invalid input. The integer ${literal} ${where} is beyond 2^53, which mlflow-ts cannot represent exactly`,
    'BAD_REQUEST',
  );
}

/** Whether an integer literal (optional sign, digits) keeps its exact value as a JS number. */
export function isExactIntegerLiteral(literal: string): boolean {
  return Number.isSafeInteger(Number(literal));
}

const NOTHING_AS_FLOAT: ReadsAsFloat = () => false;

/**
 * Refuses a parsed request whose integers could not be held exactly. `inexact` maps each rounded
 * value to the integer literal it came from (from parseJsonText); a value of an int64 column or
 * tensor, or any number in params or an unwrapped body, found there is refused. A float64
 * column may hold such a value: pandas rounds it into float64 too.
 */
export function assertExactIntegers(
  input: unknown,
  params: unknown,
  inexact: ReadonlyMap<number, string> | undefined,
  readsAsFloat: ReadsAsFloat = NOTHING_AS_FLOAT,
): void {
  if (!inexact || inexact.size === 0) return;
  const literal = (v: number): string => inexact.get(v) ?? String(v);
  if (isFrame(input)) {
    for (const c of input.columns) {
      if (c.data.kind !== 'number' || (c.data.dtype !== 'int64' && c.data.dtype !== 'uint64') || readsAsFloat(c.name)) continue;
      for (const v of c.data.values) if (!Number.isSafeInteger(v)) throw inexactIntegerError(literal(v), `in column '${c.name}'`);
    }
  } else if (isTensor(input)) {
    if (!readsAsFloat(undefined)) checkTensor(input, 'in the input tensor', literal);
  } else if (typeof input === 'object' && input !== null) {
    for (const [name, value] of Object.entries(input)) {
      if (isTensor(value)) {
        if (!readsAsFloat(name)) checkTensor(value, `in input '${name}'`, literal);
      } else checkJsonValue(value, `in field '${name}'`, inexact);
    }
  }
  if (typeof params === 'object' && params !== null) {
    for (const [name, value] of Object.entries(params)) checkJsonValue(value, `in param '${name}'`, inexact);
  }
}

function checkTensor(t: Tensor, where: string, literal: (v: number) => string): void {
  if (t.dtype !== 'int64' && t.dtype !== 'uint64') return;
  const data = t.data as ArrayLike<number>;
  for (let i = 0; i < data.length; i++) if (!Number.isSafeInteger(data[i])) throw inexactIntegerError(literal(data[i]), where);
}

function checkJsonValue(value: unknown, where: string, inexact: ReadonlyMap<number, string>): void {
  if (typeof value === 'number') {
    const literal = inexact.get(value);
    if (literal !== undefined) throw inexactIntegerError(literal, where);
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) checkJsonValue(v, where, inexact);
  }
}

/** An int64 read from a binary file (Parquet, Arrow) as a number, refused if it would round. */
export function exactInt64(v: number | bigint, where: string): number {
  const x = Number(v);
  if (typeof v === 'bigint' && !Number.isSafeInteger(x)) throw inexactIntegerError(v.toString(), where);
  return x;
}
