import { Turns } from '../../frame/turns.js';

/** Arrays longer than this, and objects with more keys, are written in slices with turns between. */
const SLICE = 2048;
/** Depth to which containers are searched for long arrays; deeper ones are written whole. */
const MAX_DEPTH = 8;

/** A plain array or object whose JSON is its elements' JSON: no toJSON, not a class instance. */
function isPlain(x: object): boolean {
  if (Array.isArray(x)) return true;
  const proto = Object.getPrototypeOf(x) as unknown;
  return (proto === Object.prototype || proto === null) && typeof (x as { toJSON?: unknown }).toJSON !== 'function';
}

function isContainer(x: unknown): boolean {
  return typeof x === 'object' && x !== null && isPlain(x);
}

/**
 * JSON.stringify(value) as pieces whose concatenation is exactly its text, written a slice of a
 * long array (or of a many-keyed object) at a time with event-loop turns between: a request of
 * millions of strings or records costs the event loop a few milliseconds at a time. `emit` takes
 * each piece in order. Values JSON.stringify would leave out (undefined, functions, symbols) are
 * left out or written null as it does.
 */
export async function stringifyInTurns(value: unknown, emit: (piece: string) => void, turns = new Turns()): Promise<void> {
  const write = async (x: unknown, depth: number): Promise<void> => {
    if (typeof x !== 'object' || x === null || depth >= MAX_DEPTH || !isPlain(x)) {
      emit(JSON.stringify(x) ?? 'null');
      return;
    }
    if (Array.isArray(x)) {
      emit('[');
      if (x.length > SLICE) {
        for (let i = 0; i < x.length; i += SLICE) {
          const text = JSON.stringify(x.slice(i, i + SLICE));
          emit(i === 0 ? text.slice(1, -1) : `,${text.slice(1, -1)}`);
          await turns.pass();
        }
      } else if (!x.some(isContainer)) {
        emit(JSON.stringify(x).slice(1, -1));
      } else {
        for (let i = 0; i < x.length; i++) {
          if (i > 0) emit(',');
          const v: unknown = x[i];
          if (v === undefined || typeof v === 'function' || typeof v === 'symbol') emit('null');
          else await write(v, depth + 1);
          if (isContainer(v)) await turns.pass();
        }
      }
      emit(']');
      return;
    }
    const o = x as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined && typeof o[k] !== 'function' && typeof o[k] !== 'symbol');
    emit('{');
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) emit(',');
      emit(`${JSON.stringify(keys[i])}:`);
      const v = o[keys[i]];
      await write(v, depth + 1);
      if (isContainer(v) || i % SLICE === SLICE - 1) await turns.pass();
    }
    emit('}');
  };
  await write(value, 0);
}
