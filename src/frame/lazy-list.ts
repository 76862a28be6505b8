import { inspect, type InspectOptions } from 'node:util';

/**
 * A long list whose items are made when they are read, given as an Array.
 *
 * Why: millions of values held as JS objects in the main thread's heap cost its event loop the
 * garbage collector's pauses (every scavenge copies the strings still alive in the young
 * generation: 40-90 ms at a time while such a list is made), and making a plain array of millions
 * allocates its slots in one step (35 ms for 1.5M). Issue #18 item 3: the Python bridge's long
 * replies and a large request's strings. Kept in their compact form (UTF-8 bytes, parsed pieces),
 * the list is a few objects, and what its readers make dies young.
 *
 * The list is an Array to every reader: Array.isArray is true, and every read, slice, iteration and
 * JSON.stringify answers as a plain array of the same items would. A write to it first turns it
 * into a plain array of its items, so it behaves as one from then on. A Proxy cannot be posted to
 * another thread: `plainArray` gives the items as an Array to post.
 */

/** Where the items come from. */
export interface ListSource<T> {
  readonly length: number;
  /** Item `i` (0 <= i < length). */
  at(i: number): T;
}

/** Items start..end-1 (0 <= start <= end <= length) of `source` as a plain array. */
function itemsOf<T>(source: ListSource<T>, start: number, end: number): T[] {
  const out = new Array<T>(Math.max(0, end - start));
  for (let i = start; i < end; i++) out[i - start] = source.at(i);
  return out;
}

const sources = new WeakMap<object, ListSource<unknown>>();

/**
 * The targets' prototype: Array.prototype's, plus how util.inspect (console.log) shows the list.
 * inspect looks at a Proxy's target, not through its traps, and would show empty slots; the
 * proxy's getPrototypeOf still answers Array.prototype.
 */
const TARGET_PROTOTYPE: object = Object.create(Array.prototype, {
  [inspect.custom]: {
    value(this: unknown[], _depth: number, options: InspectOptions): string {
      const source = targetSources.get(this);
      return inspect(source ? itemsOf(source, 0, source.length) : [...this], options);
    },
  },
});
const targetSources = new WeakMap<object, ListSource<unknown>>();

const INDEX = /^(?:0|[1-9]\d*)$/;
/** Depth to which plainArray looks for lazy lists: the Python worker takes long lists out of a reply to depth 8. */
const MAX_PLAIN_DEPTH = 10;

/** The list index `key` names, or -1. */
function indexOf(key: string | symbol, length: number): number {
  if (typeof key !== 'string' || !INDEX.test(key)) return -1;
  const i = Number(key);
  return i < length ? i : -1;
}

/** Array.prototype.slice's start or end argument, resolved against `length`. */
function relative(x: unknown, length: number, missing: number): number {
  if (x === undefined) return missing;
  const n = Math.trunc(Number(x)) || 0;
  return n < 0 ? Math.max(length + n, 0) : Math.min(n, length);
}

/** `source`'s items as an Array that makes each item when it is read. */
export function lazyList<T>(source: ListSource<T>): T[] {
  const n = source.length;
  // The target is only the Array the proxy stands for: made sparse (dictionary elements), not
  // `new Array(n)`, which allocates n slots.
  const target: T[] = [];
  if (n > 0) {
    target[n - 1] = undefined as T;
    delete target[n - 1];
  }
  Object.setPrototypeOf(target, TARGET_PROTOTYPE);
  targetSources.set(target, source);
  let plain = false;
  // From the first write on, the list is a plain array of its items (the target, filled).
  const becomePlain = (): void => {
    if (plain) return;
    for (let i = 0; i < n; i++) target[i] = source.at(i);
    Object.setPrototypeOf(target, Array.prototype);
    plain = true;
    sources.delete(proxy);
    targetSources.delete(target);
  };
  const slice = (start?: unknown, end?: unknown): T[] => itemsOf(source, relative(start, n, 0), relative(end, n, n));
  const proxy = new Proxy(target, {
    getPrototypeOf() {
      return Array.prototype;
    },
    get(t, key, receiver) {
      if (plain) return Reflect.get(t, key, receiver);
      const i = indexOf(key, n);
      if (i >= 0) return source.at(i);
      if (key === 'slice') return slice;
      return Reflect.get(t, key, receiver);
    },
    has(t, key) {
      return (!plain && indexOf(key, n) >= 0) || Reflect.has(t, key);
    },
    getOwnPropertyDescriptor(t, key) {
      const i = plain ? -1 : indexOf(key, n);
      if (i >= 0) return { value: source.at(i), writable: true, enumerable: true, configurable: true };
      return Reflect.getOwnPropertyDescriptor(t, key);
    },
    ownKeys(t) {
      if (plain) return Reflect.ownKeys(t);
      return [...Array.from({ length: n }, (_, i) => String(i)), ...Reflect.ownKeys(t)];
    },
    set(t, key, value, receiver) {
      becomePlain();
      return Reflect.set(t, key, value, receiver);
    },
    defineProperty(t, key, descriptor) {
      becomePlain();
      return Reflect.defineProperty(t, key, descriptor);
    },
    deleteProperty(t, key) {
      becomePlain();
      return Reflect.deleteProperty(t, key);
    },
    preventExtensions(t) {
      becomePlain();
      return Reflect.preventExtensions(t);
    },
  });
  sources.set(proxy, source);
  return proxy;
}

/** Where the items of a list lazyList made come from (while it has not been written to), else undefined. */
export function listSourceOf(x: unknown): ListSource<unknown> | undefined {
  return typeof x === 'object' && x !== null ? sources.get(x) : undefined;
}

/**
 * `x` as postMessage can clone it: each list lazyList made in it (itself, or inside its arrays and
 * plain objects, as a Python model's JSON answer holds them) as a plain array of its items;
 * anything without one is given back as it is, not copied.
 */
export function plainArray<T>(x: T, depth = 0): T {
  if (typeof x !== 'object' || x === null || depth > MAX_PLAIN_DEPTH) return x;
  const source = listSourceOf(x);
  const items: unknown[] | undefined = source ? itemsOf(source, 0, source.length) : Array.isArray(x) ? x : undefined;
  if (items !== undefined) {
    let out = items;
    for (let i = 0; i < items.length; i++) {
      const v = plainArray(items[i], depth + 1);
      if (v !== items[i]) {
        if (out === x) out = [...items];
        out[i] = v;
      }
    }
    return out as T;
  }
  const proto = Object.getPrototypeOf(x) as unknown;
  if (proto !== Object.prototype && proto !== null) return x;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(x)) {
    const p = plainArray(v, depth + 1);
    if (p !== v) {
      out ??= { ...(x as Record<string, unknown>) };
      // defined, not assigned: a "__proto__" key stays data
      Object.defineProperty(out, k, { value: p, enumerable: true, writable: true, configurable: true });
    }
  }
  return (out ?? x) as T;
}

/** A list of lists' items one after the other (a reply's parsed pieces), read without joining them. */
export class JoinedLists<T> implements ListSource<T> {
  readonly length: number;
  /** Index of each list's first item, and the total at the end. */
  private readonly starts: number[] = [0];
  private last = 0;

  constructor(private readonly lists: readonly (readonly T[])[]) {
    for (const l of lists) this.starts.push(this.starts[this.starts.length - 1] + l.length);
    this.length = this.starts[lists.length];
  }

  at(i: number): T {
    let k = this.last;
    if (i < this.starts[k] || i >= this.starts[k + 1]) {
      let lo = 0;
      let hi = this.lists.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (this.starts[mid] <= i) lo = mid;
        else hi = mid - 1;
      }
      k = this.last = lo;
    }
    return this.lists[k][i - this.starts[k]];
  }
}
