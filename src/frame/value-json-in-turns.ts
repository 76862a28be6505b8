import { valueToJson } from './predictions-json.js';
import { isTensor } from './tensor.js';
import { Turns } from './turns.js';

/** Arrays longer than this are written a slice at a time, with turns between. */
const SLICE = 2048;
/** Depth to which arrays and objects are searched for long arrays; deeper ones are written whole. */
const MAX_DEPTH = 8;

/** A plain array or object: what JSON.parse makes (a Frame, Tensor, typed array or Date is written whole). */
function isPlainContainer(x: unknown): x is unknown[] | Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  if (Array.isArray(x)) return true;
  if (isTensor(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * valueToJson(value) as pieces whose concatenation is exactly its text, written a slice of a long
 * array at a time (arrays inside objects and short arrays too, to MAX_DEPTH) with event-loop turns
 * between: a model's answer of a few lists of millions of values (a Python model's dict of lists)
 * costs the event loop a few milliseconds at a time. `emit` takes each piece in order.
 *
 * Exact because valueToJson writes an array's items each as valueToJson writes it alone, joined
 * by ", ", and an object's entries as `"key": value`; an object holding undefined (which
 * valueToJson keeps or drops depending on its other values) is written whole.
 */
export async function valueToJsonInTurns(value: unknown, emit: (piece: string) => void, turns = new Turns()): Promise<void> {
  const write = async (x: unknown, depth: number): Promise<void> => {
    if (!isPlainContainer(x) || depth >= MAX_DEPTH) {
      emit(valueToJson(x));
      return;
    }
    if (Array.isArray(x)) {
      if (x.length > SLICE) {
        emit('[');
        for (let i = 0; i < x.length; i += SLICE) {
          const text = valueToJson(x.slice(i, i + SLICE));
          emit(i === 0 ? text.slice(1, -1) : `, ${text.slice(1, -1)}`);
          await turns.pass();
        }
        emit(']');
      } else if (!x.some(isPlainContainer)) {
        emit(valueToJson(x));
      } else {
        emit('[');
        for (let i = 0; i < x.length; i++) {
          if (i > 0) emit(', ');
          await write(x[i], depth + 1);
          await turns.pass();
        }
        emit(']');
      }
      return;
    }
    const entries = Object.entries(x);
    if (entries.some(([, v]) => v === undefined) || !entries.some(([, v]) => isPlainContainer(v))) {
      emit(valueToJson(x));
      return;
    }
    emit('{');
    for (let i = 0; i < entries.length; i++) {
      emit(`${i > 0 ? ', ' : ''}${valueToJson(entries[i][0])}: `);
      await write(entries[i][1], depth + 1);
      await turns.pass();
    }
    emit('}');
  };
  await write(value, 0);
}
