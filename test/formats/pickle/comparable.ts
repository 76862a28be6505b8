import type { NdArray } from '../../../src/formats/pickle/index.js';

/**
 * Turns a value read by our reader into the JSON form that make_fixtures.py writes for the value
 * Python read, so one toEqual compares them.
 */
export function comparable(v: unknown): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : { float: Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf' };
  if (typeof v === 'bigint') return { bigint: v.toString() };
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return v.map(comparable);
  if (v instanceof Set) return { set: [...v].map(comparable).sort((a, b) => (a as number) - (b as number)) };
  if (v instanceof Map) return { dict: [...v].map(([k, x]) => [comparable(k), comparable(x)]) };
  const kind = (v as { kind?: string }).kind;
  if (kind === 'dtype') return { dtype: (v as { str: string }).str };
  if (kind === 'ndarray') return arrayComparable(v as NdArray);
  throw new Error(`no comparable form for ${JSON.stringify(v)}`);
}

function arrayComparable(a: NdArray): unknown {
  if (a.fields) {
    const fields: Record<string, unknown> = {};
    for (const [k, f] of Object.entries(a.fields)) fields[k] = arrayComparable(f);
    return { ndarray: a.dtype, shape: a.shape, fields };
  }
  const items = Array.from(a.data as ArrayLike<unknown>);
  let data: unknown[];
  if (a.dtype === '|b1') data = items.map((x) => x === 1);
  else if (a.dtype.includes('M8') || a.dtype.includes('m8')) data = items.map((x) => (Number.isNaN(x) ? null : x));
  else if (a.dtype.startsWith('|S')) data = items.map((x) => Buffer.from(x as Uint8Array).toString('base64'));
  else data = items.map(comparable);
  return { ndarray: a.dtype, shape: a.shape, data };
}
