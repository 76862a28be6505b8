import { setImmediate as nextTurn } from 'node:timers/promises';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { Frame, isFrame, type Column, type ColumnData } from '../frame/index.js';
import { lazyList } from '../frame/lazy-list.js';
import { Turns } from '../frame/turns.js';
import { encodeUtf8Strings, utf8Strings } from '../frame/utf8-strings.js';

/**
 * A value sent from a worker thread so that receiving it never holds the main thread's event
 * loop for long: typed arrays (numeric columns and tensors) move without a copy, and the arrays
 * a frame, tensor or plain object holds follow as pieces on a side port, each piece small enough
 * to be cloned in about a millisecond, with a turn of the event loop between pieces. What is left
 * in a `raw` node is cloned whole (small values, or values nested deeper than we split).
 */
export type Packed =
  | { t: 'raw'; v: unknown }
  | { t: 'frame'; columns: { name: string; data: Omit<ColumnData, 'values'>; values: Packed }[]; numRows: number }
  | { t: 'object'; entries: [string, Packed][] }
  /** The next `length` values of the side port's stream. */
  | { t: 'array'; length: number }
  /** A long list of strings as their UTF-8 bytes (moved): the receiver keeps it so (utf8-strings.ts). */
  | { t: 'strings'; bytes: Uint8Array; lengths: Uint32Array };

/** Weight of the values in one piece: about one per scalar, one per 64 characters of text. */
const PIECE_WEIGHT = 16_384;
/** Typed arrays smaller than this are copied rather than moved. */
const MIN_TRANSFER_BYTES = 64 * 1024;
/** Plain objects with more keys than this are cloned whole (a body's objects of that size are capped or refused). */
const MAX_SPLIT_KEYS = 1024;
/** Depth to which plain objects are split: a request's tensors and an LLM body's top-level lists. */
const MAX_SPLIT_DEPTH = 3;
/** Lists of strings at least this long go as bytes, when the packer is asked to. */
const MIN_BYTE_STRINGS = 16_384;

/** Splits values for sending: `pack` each value, then `send` the pieces and post the packed values with `transfer`. */
export class Packer {
  private readonly buffers = new Set<ArrayBuffer>();
  private readonly arrays: unknown[][] = [];

  /**
   * `stringsAsBytes`: long lists of strings go as their UTF-8 bytes, and arrive as lists that make
   * each string when it is read; for a receiver whose model reads them only to send them on (the
   * Python bridge), so that its heap never holds millions of strings.
   */
  constructor(private readonly stringsAsBytes = false) {}

  /** The memory the packed values' typed arrays hold, to be moved with them. */
  get transfer(): ArrayBuffer[] {
    return [...this.buffers];
  }

  pack(v: unknown, depth = 0): Packed {
    if (isFrame(v)) {
      return {
        t: 'frame',
        numRows: v.numRows,
        columns: v.columns.map((c) => {
          const { values, ...data } = c.data;
          return { name: c.name, data, values: this.pack(values, depth + 1) };
        }),
      };
    }
    if (ArrayBuffer.isView(v)) {
      // Buffers may share Node's pool, which cannot be transferred: those are copied, as are
      // small arrays (a transfer list of many thousand entries costs more than copying them).
      if (!Buffer.isBuffer(v) && v.buffer instanceof ArrayBuffer && v.buffer.byteLength >= MIN_TRANSFER_BYTES) this.buffers.add(v.buffer);
      return { t: 'raw', v };
    }
    if (Array.isArray(v) && v.length > 0) {
      const encoded = this.stringsAsBytes && v.length >= MIN_BYTE_STRINGS ? encodeUtf8Strings(v) : undefined;
      if (encoded) {
        this.buffers.add(encoded.bytes.buffer as ArrayBuffer);
        this.buffers.add(encoded.lengths.buffer as ArrayBuffer);
        return { t: 'strings', ...encoded };
      }
      this.arrays.push(v);
      return { t: 'array', length: v.length };
    }
    if (depth < MAX_SPLIT_DEPTH && isPlainObject(v)) {
      const keys = Object.keys(v);
      if (keys.length <= MAX_SPLIT_KEYS) return { t: 'object', entries: keys.map((k) => [k, this.pack(v[k], depth + 1)]) };
    }
    return { t: 'raw', v };
  }

  /** Posts the packed arrays' values on `side`, in the order `pack` met them. */
  send(side: MessagePort): void {
    let piece: unknown[] = [];
    let weight = 0;
    for (const array of this.arrays) {
      for (let x of array) {
        // A view on part of a larger buffer (a V2 BYTES element on its body) would clone the whole buffer: its bytes go alone.
        if (ArrayBuffer.isView(x) && x.byteLength < x.buffer.byteLength) x = copyOf(x);
        piece.push(x);
        weight += weightOf(x);
        if (weight >= PIECE_WEIGHT) {
          side.postMessage(piece);
          piece = [];
          weight = 0;
        }
      }
    }
    if (piece.length > 0) side.postMessage(piece);
  }
}

/**
 * The values `packed` stand for (all of one Packer, in the order it packed them), reading the
 * arrays' values from `side`, whose pieces were all posted before the packed values were. One
 * piece is cloned per turn of the event loop.
 */
export async function unpack(packed: readonly Packed[], side: MessagePort): Promise<unknown[]> {
  const arrays: unknown[][] = [];
  const turns = new Turns();
  let piece: unknown[] = [];
  let at = 0;
  const fill = async (node: Packed): Promise<void> => {
    if (node.t === 'frame') for (const c of node.columns) await fill(c.values);
    else if (node.t === 'object') for (const [, p] of node.entries) await fill(p);
    else if (node.t === 'strings') arrays.push(lazyList(await utf8Strings(node, turns)));
    else if (node.t === 'array') {
      // Filled in place, not pushed to: growing a list of millions copies it whole, 50 ms at a time.
      const out = new Array<unknown>(node.length);
      let filled = 0;
      while (filled < node.length) {
        if (at === piece.length) {
          await nextTurn();
          const next = receiveMessageOnPort(side);
          if (!next) throw new Error('the worker thread sent fewer values than it announced');
          piece = next.message as unknown[];
          at = 0;
        }
        const end = Math.min(piece.length, at + node.length - filled);
        for (; at < end; at++) out[filled++] = piece[at];
      }
      arrays.push(out);
    }
  };
  for (const p of packed) await fill(p);
  let next = 0;
  const build = (node: Packed): unknown => {
    if (node.t === 'raw') return node.v;
    if (node.t === 'array' || node.t === 'strings') return arrays[next++];
    if (node.t === 'frame') {
      const columns = node.columns.map((c): Column => ({ name: c.name, data: { ...c.data, values: build(c.values) } as ColumnData }));
      return new Frame(columns, node.numRows);
    }
    const o: Record<string, unknown> = {};
    // defineProperty: a "__proto__" key stays data, as the parser made it.
    for (const [k, p] of node.entries) Object.defineProperty(o, k, { value: build(p), enumerable: true, writable: true, configurable: true });
    return o;
  };
  return packed.map(build);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

function copyOf(view: ArrayBufferView): ArrayBufferView {
  const Ctor = view.constructor as new (b: ArrayBuffer) => ArrayBufferView;
  return new Ctor(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength) as ArrayBuffer);
}

/** About what cloning `x` costs, in scalars. */
function weightOf(x: unknown): number {
  if (typeof x === 'string') return 1 + (x.length >> 6);
  if (typeof x !== 'object' || x === null) return 1;
  if (ArrayBuffer.isView(x)) return 1 + (x.byteLength >> 6);
  let w = 1;
  if (Array.isArray(x)) for (const y of x) w += weightOf(y);
  else for (const y of Object.values(x)) w += weightOf(y);
  return w;
}
