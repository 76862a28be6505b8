import { MlflowError } from '../../errors.js';
import { isDType, setDTypeState } from '../numpy/dtype.js';
import {
  arrayState,
  builderFor,
  isBuiltinGlobal,
  isNdArray,
  isPyGlobal,
  isPyInstance,
  makeInstance,
} from './builtins.js';
import { checkDepth } from './depth.js';
import { isPandasGlobal, pandasBuilderFor } from './pandas.js';
import { markTuple, recordBuild, recordCall } from './provenance.js';
import { python3Global } from './python2-names.js';
import type { NdArray, PyGlobal, PyInstance } from './types.js';

export interface PickleOptions {
  /** Extra globals (the caller's classes and functions) the pickle may name. */
  allowGlobal(module: string, name: string): boolean;
  /**
   * Memory cap (default 2 GiB): the largest length the pickle may declare, the most data its
   * reused values may be copied into, and the cap on a file's size and decompressed size.
   */
  maxBytes?: number;
  /** Deepest nesting of containers and instances allowed in the result (default 1000). */
  maxDepth?: number;
  /** Protocol-5 out-of-band buffers, consumed in order by NEXT_BUFFER. */
  buffers?: Uint8Array[];
  /** Names the input (a file path) in error messages. */
  source?: string;
  /** Told every global the pickle names, built-in or not (e.g. to learn which packages it needs). */
  onGlobal?(module: string, name: string): void;
}

export const DEFAULT_MAX_BYTES = 2 ** 31;
export const DEFAULT_MAX_DEPTH = 1000;
/** Bytes values at least this large are views of the input (see Reader.bytesValue). */
const VIEW_MIN_BYTES = 64 << 10;

const utf8 = new TextDecoder('utf-8');

/**
 * A pickle virtual machine that only ever builds data. It loops over opcodes without recursion,
 * resolves every global through the allow-list and turns calls on allowed classes into
 * PyInstance values, so no code named by the pickle runs.
 */
export class Unpickler {
  pos: number;
  protected readonly bytes: Uint8Array;
  protected readonly options: PickleOptions;
  private readonly maxBytes: number;
  private readonly view: DataView;
  private stack: unknown[] = [];
  private readonly marks: number[] = [];
  private readonly memo: unknown[] = [];
  private readonly pendingArrays = new WeakSet<NdArray>();
  private readonly globals = new Map<string, PyGlobal>();
  private nextBuffer = 0;
  private proto = 0;
  private charged = 0;
  private readonly context = {
    where: '',
    charge: (bytes: number): void => {
      this.charged += bytes;
      if (this.charged > this.maxBytes) {
        this.fail(`the pickle rebuilds more than ${this.maxBytes} bytes of data (options.maxBytes) by reusing its values`);
      }
    },
  };

  constructor(bytes: Uint8Array, start: number, options: PickleOptions) {
    // a plain view: Node's Buffer.slice() would share memory where we need copies
    this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.options = options;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  where(): string {
    return `${this.options.source ?? 'pickle'} (byte ${this.pos})`;
  }

  protected fail(message: string): never {
    throw new MlflowError(`${this.where()}: ${message}`, 'INVALID_PARAMETER_VALUE');
  }

  /** Runs to STOP and returns the pickled value; `pos` is left just after STOP. */
  load(): unknown {
    const b = this.bytes;
    const v = this.view;
    for (;;) {
      if (this.pos >= b.length) this.fail('the pickle ends without a STOP opcode');
      const at = this.pos;
      const op = b[this.pos++];
      switch (op) {
        case 0x80: // PROTO
          this.proto = this.u8();
          if (this.proto > 5) this.fail(`unsupported pickle protocol ${this.proto}`);
          break;
        case 0x95: // FRAME: framing is advisory; the data continues in line
          this.length(this.u64());
          break;
        case 0x2e: // STOP
          return this.finish(this.pop());
        case 0x28: // MARK
          this.marks.push(this.stack.length);
          break;
        case 0x30: // POP
          if (this.marks.length && this.marks[this.marks.length - 1] === this.stack.length) this.marks.pop();
          else this.pop();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.stack.push(this.top());
          break;
        // --- scalars
        case 0x4e: // NONE
          this.stack.push(null);
          break;
        case 0x88: // NEWTRUE
          this.stack.push(true);
          break;
        case 0x89: // NEWFALSE
          this.stack.push(false);
          break;
        case 0x4a: // BININT
          this.need(4);
          this.stack.push(v.getInt32(this.pos, true));
          this.pos += 4;
          break;
        case 0x4b: // BININT1
          this.stack.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.need(2);
          this.stack.push(v.getUint16(this.pos, true));
          this.pos += 2;
          break;
        case 0x8a: // LONG1
          this.stack.push(this.longBytes(this.u8()));
          break;
        case 0x8b: // LONG4
          this.stack.push(this.longBytes(this.length(this.i32())));
          break;
        case 0x49: // INT
          this.stack.push(this.textInt(this.line()));
          break;
        case 0x4c: // LONG
          this.stack.push(this.textInt(this.line().replace(/L$/, '')));
          break;
        case 0x46: // FLOAT
          this.stack.push(this.textFloat(this.line()));
          break;
        case 0x47: // BINFLOAT
          this.need(8);
          this.stack.push(v.getFloat64(this.pos, false));
          this.pos += 8;
          break;
        // --- strings and bytes
        case 0x8c: // SHORT_BINUNICODE
          this.stack.push(this.text(this.u8()));
          break;
        case 0x58: // BINUNICODE
          this.stack.push(this.text(this.length(this.u32())));
          break;
        case 0x8d: // BINUNICODE8
          this.stack.push(this.text(this.length(this.u64())));
          break;
        case 0x56: // UNICODE (raw-unicode-escape)
          this.stack.push(rawUnicodeEscape(this.line()));
          break;
        case 0x43: // SHORT_BINBYTES
          this.stack.push(this.take(this.u8()).slice());
          break;
        case 0x42: // BINBYTES
          this.stack.push(this.bytesValue(this.length(this.u32())));
          break;
        case 0x8e: // BINBYTES8
          this.stack.push(this.bytesValue(this.length(this.u64())));
          break;
        case 0x96: {
          // BYTEARRAY8: bytes here; the writer is told it was bytearray(a bytes value of the same
          // bytes): another view of them, a value of its own (nothing writes into either)
          const bytes = this.bytesValue(this.length(this.u64()));
          recordCall(bytes, { fn: this.resolve('builtins', 'bytearray'), op: 'REDUCE', args: [bytes.subarray(0)] });
          this.stack.push(bytes);
          break;
        }
        // Python 2 str: read as latin-1 text, as numpy and sklearn load old pickles (encoding='latin1')
        case 0x55: // SHORT_BINSTRING
          this.stack.push(latin1(this.take(this.u8())));
          break;
        case 0x54: // BINSTRING
          this.stack.push(latin1(this.take(this.length(this.i32()))));
          break;
        case 0x53: // STRING
          this.stack.push(this.quotedString(this.line()));
          break;
        case 0x97: // NEXT_BUFFER
          this.stack.push(this.outOfBandBuffer());
          break;
        case 0x98: // READONLY_BUFFER
          break;
        // --- containers
        case 0x29: // EMPTY_TUPLE
          this.stack.push(markTuple([]));
          break;
        case 0x85: // TUPLE1
          this.stack.push(markTuple([this.pop()]));
          break;
        case 0x86: {
          // TUPLE2
          const b2 = this.pop();
          this.stack.push(markTuple([this.pop(), b2]));
          break;
        }
        case 0x87: {
          // TUPLE3
          const c3 = this.pop();
          const b3 = this.pop();
          this.stack.push(markTuple([this.pop(), b3, c3]));
          break;
        }
        case 0x74: // TUPLE
          this.stack.push(markTuple(this.popMark()));
          break;
        case 0x6c: // LIST
          this.stack.push(this.popMark());
          break;
        case 0x5d: // EMPTY_LIST
          this.stack.push([]);
          break;
        case 0x7d: // EMPTY_DICT
          this.stack.push(new Map());
          break;
        case 0x64: // DICT
          this.stack.push(this.setItems(new Map(), this.popMark()));
          break;
        case 0x8f: // EMPTY_SET
          this.stack.push(new Set());
          break;
        case 0x91: {
          // FROZENSET: a Set here; the writer is told it was a frozenset
          const items = this.popMark();
          const set = new Set(items);
          recordCall(set, { fn: this.resolve('builtins', 'frozenset'), op: 'REDUCE', args: [items] });
          this.stack.push(set);
          break;
        }
        case 0x61: {
          // APPEND
          const item = this.pop();
          this.listAt(this.top()).push(item);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          const list = this.listAt(this.top());
          for (const x of items) list.push(x);
          break;
        }
        case 0x73: {
          // SETITEM
          const value = this.pop();
          const key = this.pop();
          this.mapAt(this.top()).set(key, value);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          this.setItems(this.mapAt(this.top()), items);
          break;
        }
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          const set = this.top();
          if (!(set instanceof Set)) this.fail('ADDITEMS on something that is not a set');
          for (const x of items) set.add(x);
          break;
        }
        // --- memo
        case 0x94: // MEMOIZE
          this.memo.push(this.top());
          break;
        case 0x71: // BINPUT
          this.memo[this.u8()] = this.top();
          break;
        case 0x72: // LONG_BINPUT
          this.memo[this.u32()] = this.top();
          break;
        case 0x70: // PUT
          this.memo[this.lineIndex()] = this.top();
          break;
        case 0x68: // BINGET
          this.stack.push(this.memoGet(this.u8()));
          break;
        case 0x6a: // LONG_BINGET
          this.stack.push(this.memoGet(this.u32()));
          break;
        case 0x67: // GET
          this.stack.push(this.memoGet(this.lineIndex()));
          break;
        // --- globals and objects
        case 0x63: {
          // GLOBAL
          const module = this.line();
          this.stack.push(this.resolve(module, this.line()));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings');
          this.stack.push(this.resolve(module, name));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = this.pop();
          const fn = this.pop();
          this.stack.push(this.call(fn, this.argList(args), 'REDUCE'));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = this.pop();
          const cls = this.pop();
          this.stack.push(this.call(cls, this.argList(args), 'NEWOBJ'));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          const inst = this.call(cls, this.argList(args), 'NEWOBJ_EX', kwargs instanceof Map ? kwargs : undefined);
          if (isPyInstance(inst) && kwargs instanceof Map && kwargs.size) inst.args.push(kwargs);
          this.stack.push(inst);
          break;
        }
        case 0x69: {
          // INST
          const module = this.line();
          const cls = this.resolve(module, this.line());
          this.stack.push(this.call(cls, this.popMark(), 'INST'));
          break;
        }
        case 0x6f: {
          // OBJ
          const [cls, ...args] = this.popMark();
          this.stack.push(this.call(cls, args, 'OBJ'));
          break;
        }
        case 0x62: {
          // BUILD
          const state = this.pop();
          const target = this.pop();
          this.stack.push(this.build(target, state));
          break;
        }
        case 0x50: // PERSID
        case 0x51: // BINPERSID
          this.pos = at;
          this.fail('persistent IDs are not supported (the pickle refers to objects stored outside it)');
          break;
        case 0x82: // EXT1
        case 0x83: // EXT2
        case 0x84: // EXT4
          this.pos = at;
          this.fail('copyreg extension codes are not supported');
          break;
        default:
          this.pos = at;
          this.fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
  }

  // --- the object model: calls and state

  /** What a GLOBAL names: a PyGlobal if the built-in list or the caller allows it, else refused. */
  private resolve(writtenModule: string, writtenName: string): PyGlobal {
    const { module, name } = this.proto < 3 ? python3Global(writtenModule, writtenName) : { module: writtenModule, name: writtenName };
    const key = `${module}.${name}`;
    let g = this.globals.get(key);
    if (!g) {
      if (!isBuiltinGlobal(key) && !isPandasGlobal(key) && !this.allowExtra(module, name)) {
        const written = `${writtenModule}.${writtenName}`;
        const asWritten = written === key ? '' : ` (written as '${written}')`;
        throw new MlflowError(
          `${this.where()}: refused to load global '${key}'${asWritten}: it is not on the allow-list of data classes (nothing in the file was run)`,
          'PERMISSION_DENIED',
        );
      }
      g = { kind: 'global', module, name };
      this.globals.set(key, g);
      this.options.onGlobal?.(module, name);
    }
    return g;
  }

  /** Hook for readers that know more classes (joblib's array wrapper). */
  protected allowExtra(module: string, name: string): boolean {
    return this.options.allowGlobal(module, name);
  }

  /** Builds what the call makes and remembers the call, so writePickle can repeat it. */
  private call(fn: unknown, args: unknown[], op: string, kwargs?: Map<unknown, unknown>): unknown {
    if (!isPyGlobal(fn)) this.fail(`${op} on something that is not an allowed class or function`);
    const value = this.callBuilt(fn, args);
    // not arrays: the writer rebuilds them from their data, and their raw bytes would stay alive
    if (!isNdArray(value)) recordCall(value, { fn, op: op === 'NEWOBJ' || op === 'NEWOBJ_EX' ? op : 'REDUCE', args: [...args], kwargs });
    return value;
  }

  private callBuilt(fn: PyGlobal, args: unknown[]): unknown {
    this.context.charge(8 * args.length);
    const key = `${fn.module}.${fn.name}`;
    const builder = builderFor(key) ?? pandasBuilderFor(key);
    if (builder) {
      this.context.where = this.where();
      const value = builder(args, this.context);
      if (isNdArray(value) && key.endsWith('multiarray._reconstruct')) this.pendingArrays.add(value);
      return value;
    }
    // Cython's pickles call a module-level helper that makes a bare instance of the class given
    // first and sets its state from a tuple: __pyx_unpickle_X(cls, checksum, state).
    if (fn.name.startsWith('__pyx_unpickle_') && isPyGlobal(args[0])) {
      const inst = makeInstance(args[0].module, args[0].name, []);
      if (args[2] !== undefined) inst.state.__state__ = args[2];
      return inst;
    }
    // sklearn's BinaryTree and DistanceMetric pickle as newObj(cls): cls.__new__(cls)
    if (fn.name === 'newObj' && fn.module.startsWith('sklearn.') && isPyGlobal(args[0])) {
      return makeInstance(args[0].module, args[0].name, args.slice(1));
    }
    return makeInstance(fn.module, fn.name, args);
  }

  protected build(target: unknown, state: unknown): unknown {
    if (typeof target === 'object' && target !== null) recordBuild(target, state);
    if (isNdArray(target) && this.pendingArrays.has(target)) {
      this.pendingArrays.delete(target);
      this.context.where = this.where();
      arrayState(target, state, this.context);
      return target;
    }
    if (isDType(target)) {
      setDTypeState(target, state, this.where());
      return target;
    }
    if (isPyInstance(target)) {
      this.setInstanceState(target, state);
      return target;
    }
    if (target instanceof Map && state instanceof Map) {
      this.context.charge(16 * state.size);
      for (const [k, val] of state) target.set(k, val);
      return target;
    }
    return this.fail('BUILD on a value that takes no state');
  }

  private setInstanceState(inst: PyInstance, state: unknown): void {
    // default object.__reduce_ex__ state: a dict, or (dict | None, slots dict)
    if (Array.isArray(state) && state.length === 2 && (state[0] === null || state[0] instanceof Map) && state[1] instanceof Map) {
      if (state[0]) this.mergeState(inst, state[0]);
      this.mergeState(inst, state[1]);
    } else if (state instanceof Map && allStringKeys(state)) {
      this.mergeState(inst, state);
    } else {
      inst.state.__state__ = state;
    }
  }

  private mergeState(inst: PyInstance, m: Map<unknown, unknown>): void {
    this.context.charge(16 * m.size);
    for (const [k, val] of m) {
      if (typeof k !== 'string') this.fail(`state of ${inst.module}.${inst.name} has a non-string attribute name`);
      // defineProperty: an attribute named "__proto__" is data here, not the object's prototype
      Object.defineProperty(inst.state, k, { value: val, enumerable: true, writable: true, configurable: true });
    }
  }

  private finish(value: unknown): unknown {
    checkDepth(value, this.options.maxDepth ?? DEFAULT_MAX_DEPTH, this.options.source ?? 'pickle');
    this.stack = [];
    return value;
  }

  // --- stack helpers

  private pop(): unknown {
    if (this.stack.length === 0 || (this.marks.length && this.marks[this.marks.length - 1] >= this.stack.length)) this.fail('stack underflow');
    return this.stack.pop();
  }

  private top(): unknown {
    if (this.stack.length === 0 || (this.marks.length && this.marks[this.marks.length - 1] >= this.stack.length)) this.fail('stack underflow');
    return this.stack[this.stack.length - 1];
  }

  private popMark(): unknown[] {
    const m = this.marks.pop();
    if (m === undefined) this.fail('no MARK on the stack');
    return this.stack.splice(m);
  }

  /** Items appended to an instance of a list subclass are kept in its state as `__list__`. */
  private listAt(x: unknown): unknown[] {
    if (Array.isArray(x)) return x;
    if (isPyInstance(x)) {
      const list = (x.state.__list__ ??= []);
      if (Array.isArray(list)) return list;
    }
    return this.fail('APPEND on something that is not a list');
  }

  /** Items set on an instance of a dict subclass are kept in its state as `__items__`. */
  private mapAt(x: unknown): Map<unknown, unknown> {
    if (x instanceof Map) return x;
    if (isPyInstance(x)) {
      const items = (x.state.__items__ ??= new Map());
      if (items instanceof Map) return items;
    }
    return this.fail('SETITEM on something that is not a dict');
  }

  private setItems(m: Map<unknown, unknown>, items: unknown[]): Map<unknown, unknown> {
    if (items.length % 2) this.fail('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) m.set(items[i], items[i + 1]);
    return m;
  }

  private argList(args: unknown): unknown[] {
    if (!Array.isArray(args)) this.fail('call arguments are not a tuple');
    return args;
  }

  private memoGet(i: number): unknown {
    if (i >= this.memo.length || !(i in this.memo)) this.fail(`memo entry ${i} is not defined`);
    return this.memo[i];
  }

  private outOfBandBuffer(): Uint8Array {
    const bufs = this.options.buffers;
    if (!bufs || this.nextBuffer >= bufs.length) this.fail('the pickle needs an out-of-band buffer that was not given (options.buffers)');
    return bufs[this.nextBuffer++];
  }

  // --- byte readers

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) this.fail(`the pickle is truncated (needs ${n} more bytes)`);
  }

  /** A declared length: refused before anything is allocated if the input cannot hold it. */
  protected length(n: number): number {
    if (n < 0) this.fail(`negative length ${n}`);
    if (n > this.maxBytes) this.fail(`declared length ${n} exceeds the limit of ${this.maxBytes} bytes`);
    if (n > this.bytes.length - this.pos) this.fail(`declared length ${n} is larger than the ${this.bytes.length - this.pos} bytes left in the input`);
    return n;
  }

  /**
   * A bytes value of n bytes: a large one (an array's data, which numpy's reconstruction copies
   * into aligned arrays) is a view of the input, as joblib's raw arrays are; a copy of tens of
   * megabytes is memory the system maps and faults in page by page. A small one is copied, so
   * that a value the model keeps does not keep the whole file alive.
   */
  private bytesValue(n: number): Uint8Array {
    const bytes = this.take(n);
    return n >= VIEW_MIN_BYTES ? bytes : bytes.slice();
  }

  protected take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }

  private u32(): number {
    this.need(4);
    const x = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return x;
  }

  private i32(): number {
    this.need(4);
    const x = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return x;
  }

  private u64(): number {
    this.need(8);
    const x = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return x > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(x);
  }

  private text(n: number): string {
    const s = this.take(n);
    if (n < 48) {
      let ascii = true;
      for (let i = 0; i < n; i++) if (s[i] > 0x7f) ascii = false;
      if (ascii) return String.fromCharCode.apply(null, s as unknown as number[]);
    }
    return utf8.decode(s);
  }

  /** A protocol-0 argument: bytes up to the next newline. */
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('the pickle is truncated (a text argument has no newline)');
    const s = latin1(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  private lineIndex(): number {
    const s = this.line();
    if (!/^\d+$/.test(s)) this.fail(`memo index '${s}' is not a number`);
    return Number(s);
  }

  private longBytes(n: number): number | bigint {
    const b = this.take(n);
    if (n === 0) return 0;
    let x = 0n;
    for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
    if (b[n - 1] & 0x80) x -= 1n << BigInt(8 * n);
    return narrow(x);
  }

  private textInt(s: string): number | bigint | boolean {
    if (s === '01') return true;
    if (s === '00') return false;
    if (!/^[-+]?\d+$/.test(s)) this.fail(`'${s.slice(0, 40)}' is not an integer`);
    return narrow(BigInt(s));
  }

  private textFloat(s: string): number {
    const lower = s.toLowerCase();
    if (lower === 'nan') return NaN;
    if (lower === 'inf') return Infinity;
    if (lower === '-inf') return -Infinity;
    const x = Number(s);
    if (s.trim() === '' || Number.isNaN(x)) this.fail(`'${s.slice(0, 40)}' is not a float`);
    return x;
  }

  /** Protocol 0 STRING: a Python 2 repr, quoted, with backslash escapes; read as latin-1. */
  private quotedString(s: string): string {
    const q = s[0];
    if ((q !== "'" && q !== '"') || s.length < 2 || s[s.length - 1] !== q) this.fail('STRING argument is not quoted');
    return unescapePy(s.slice(1, -1), this.where());
  }
}

function allStringKeys(m: Map<unknown, unknown>): boolean {
  for (const k of m.keys()) if (typeof k !== 'string') return false;
  return true;
}

function narrow(x: bigint): number | bigint {
  return x >= -(2n ** 53n) && x <= 2n ** 53n ? Number(x) : x;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  return s;
}

function rawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4: string | undefined, u8: string | undefined) => {
    const cp = parseInt(u4 ?? u8 ?? '', 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  });
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  r: '\r',
  t: '\t',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\n': '',
};

function unescapePy(s: string, where: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++i];
    if (e === undefined) throw new MlflowError(`${where}: STRING ends with a backslash`, 'INVALID_PARAMETER_VALUE');
    if (e in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[e];
    else if (e === 'x') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new MlflowError(`${where}: bad \\x escape in STRING`, 'INVALID_PARAMETER_VALUE');
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else if (e >= '0' && e <= '7') {
      const oct = /^[0-7]{1,3}/.exec(s.slice(i))![0];
      out += String.fromCharCode(parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
    } else out += `\\${e}`;
  }
  return out;
}

/** Reads one pickle from the start of `bytes`. */
export function readPickle(bytes: Uint8Array, options: PickleOptions): unknown {
  return new Unpickler(bytes, 0, options).load();
}

