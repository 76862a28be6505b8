import { MlflowError } from '../../errors.js';

/** One named field of a structured dtype (e.g. sklearn's tree `nodes`). */
export interface DTypeField {
  name: string;
  dtype: DType;
  offset: number;
}

/**
 * A numpy dtype as a pickle describes it. `str` is numpy's `dtype.str`; the rest is what the
 * array decoder needs. Mutable because pickles build a dtype first and set its state afterwards.
 */
export interface DType {
  readonly kind: 'dtype';
  str: string;
  /** '<' little, '>' big, '|' not applicable */
  byteOrder: '<' | '>' | '|';
  /** numpy's kind character: f i u b c O U S V M m */
  char: string;
  itemsize: number;
  /** datetime64 / timedelta64 unit, e.g. 'ns' */
  unit?: string;
  fields?: DTypeField[];
  subarray?: { base: DType; shape: number[] };
}

const KIND_CHARS = new Set(['f', 'i', 'u', 'b', 'c', 'O', 'U', 'S', 'V', 'M', 'm']);
/** Kinds whose item size is fixed by the code and for which byte order means nothing. */
const NO_ORDER = new Set(['b', 'O', 'S', 'V']);

export function isDType(x: unknown): x is DType {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'dtype';
}

/**
 * Parses a dtype code as numpy pickles it ('f8', 'O8', 'U5', 'V56', 'M8', '<i4', '|b1', 'M8[ns]').
 * For 'U' the number counts characters (4 bytes each), as numpy's constructor reads it.
 */
export function parseDTypeCode(code: string, where: string): DType {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)(?:\[(\w+)\])?$/.exec(code);
  if (!m || !KIND_CHARS.has(m[2])) {
    throw new MlflowError(`${where}: unsupported numpy dtype code '${code}'`, 'INVALID_PARAMETER_VALUE');
  }
  const char = m[2];
  let itemsize = m[3] === '' ? defaultItemsize(char) : Number(m[3]);
  if (char === 'U') itemsize *= 4;
  if (char === 'O') itemsize = 8;
  const order = m[1] === '>' ? '>' : '<';
  const dt: DType = { kind: 'dtype', str: '', byteOrder: order, char, itemsize, unit: m[4] };
  return finishDType(dt);
}

function defaultItemsize(char: string): number {
  switch (char) {
    case 'b':
      return 1;
    case 'M':
    case 'm':
    case 'O':
      return 8;
    case 'U':
    case 'S':
    case 'V':
      return 0;
    default:
      return 8;
  }
}

/** Recomputes `str` from the parts, as numpy prints `dtype.str`. */
function finishDType(dt: DType): DType {
  if (NO_ORDER.has(dt.char) || (dt.itemsize === 1 && dt.char !== 'U')) dt.byteOrder = '|';
  else if (dt.byteOrder === '|') dt.byteOrder = '<';
  if (dt.char === 'O') dt.str = '|O';
  else {
    const size = dt.char === 'U' ? dt.itemsize / 4 : dt.itemsize;
    dt.str = `${dt.byteOrder}${dt.char}${size}${dt.unit ? `[${dt.unit}]` : ''}`;
  }
  return dt;
}

/**
 * Applies numpy's `dtype.__setstate__` tuple:
 * (version, endian, subarray, names, fields, elsize, alignment, flags[, metadata]) for versions 3/4,
 * and the shorter tuples of older numpy.
 */
export function setDTypeState(dt: DType, state: unknown, where: string): void {
  if (!Array.isArray(state)) throw new MlflowError(`${where}: numpy dtype state is not a tuple`, 'INVALID_PARAMETER_VALUE');
  let endian: unknown, subarray: unknown, names: unknown, fields: unknown, elsize: unknown, metadata: unknown;
  switch (state.length) {
    case 9:
      [, endian, subarray, names, fields, elsize, , , metadata] = state;
      break;
    case 8:
    case 7:
      [, endian, subarray, names, fields, elsize] = state;
      break;
    case 6:
      [, endian, subarray, fields, elsize] = state;
      break;
    case 5:
      [endian, subarray, fields, elsize] = state;
      break;
    default:
      throw new MlflowError(`${where}: numpy dtype state has ${state.length} items`, 'INVALID_PARAMETER_VALUE');
  }
  if (endian === '>' || endian === '<') dt.byteOrder = endian;
  else if (endian === '=') dt.byteOrder = '<';
  if (typeof elsize === 'number' && elsize >= 0 && (dt.char === 'U' || dt.char === 'S' || dt.char === 'V')) {
    dt.itemsize = elsize;
  }
  if (subarray !== null && subarray !== undefined) {
    if (!Array.isArray(subarray) || !isDType(subarray[0])) {
      throw new MlflowError(`${where}: numpy dtype subarray is malformed`, 'INVALID_PARAMETER_VALUE');
    }
    const shape = Array.isArray(subarray[1]) ? subarray[1] : [subarray[1]];
    dt.subarray = { base: subarray[0], shape: shape.map((d) => checkDim(d, where)) };
  }
  if (fields !== null && fields !== undefined) dt.fields = readFields(names, fields, where);
  if ((dt.char === 'M' || dt.char === 'm') && Array.isArray(metadata) && Array.isArray(metadata[1])) {
    const unit = metadata[1][0];
    const text = unit instanceof Uint8Array ? new TextDecoder().decode(unit) : String(unit);
    if (!/^\w{1,8}$/.test(text)) throw new MlflowError(`${where}: numpy datetime unit is malformed`, 'INVALID_PARAMETER_VALUE');
    dt.unit = text;
  }
  finishDType(dt);
}

function readFields(names: unknown, fields: unknown, where: string): DTypeField[] {
  if (!(fields instanceof Map)) throw new MlflowError(`${where}: numpy dtype fields are not a dict`, 'INVALID_PARAMETER_VALUE');
  const order = Array.isArray(names) ? names : [...fields.keys()];
  return order.map((name) => {
    const entry = fields.get(name);
    if (!Array.isArray(entry) || !isDType(entry[0]) || typeof entry[1] !== 'number') {
      throw new MlflowError(`${where}: numpy dtype field '${String(name)}' is malformed`, 'INVALID_PARAMETER_VALUE');
    }
    return { name: String(name), dtype: entry[0], offset: entry[1] };
  });
}

export function checkDim(d: unknown, where: string): number {
  if (typeof d === 'bigint' || typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
    throw new MlflowError(`${where}: array dimension ${String(d)} is not a non-negative integer`, 'INVALID_PARAMETER_VALUE');
  }
  return d;
}
