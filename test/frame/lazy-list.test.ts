import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { JoinedLists, lazyList, listSourceOf, plainArray } from '../../src/frame/lazy-list.js';
import { Turns } from '../../src/frame/turns.js';
import { encodeUtf8Strings, utf8Strings } from '../../src/frame/utf8-strings.js';

const WORDS = ['', 'a', 'é', 'naïve', '日本語', '😀 emoji', 'quote " and \\ back', 'line\nbreak', 'x'.repeat(300)];

/** `n` strings: the words above over and over, each with its index. */
function strings(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${WORDS[i % WORDS.length]}${i}`);
}

async function utf8List(values: string[]): Promise<string[]> {
  return lazyList(await utf8Strings(encodeUtf8Strings(values)!, new Turns()));
}

describe('lazyList over UTF-8 strings reads as the plain array of the same strings', () => {
  it('every read, in and out of order, slices, iteration, JSON', async () => {
    const plain = strings(5_000);
    const list = await utf8List(plain);
    expect(Array.isArray(list)).toBe(true);
    expect(list.length).toBe(plain.length);
    for (let i = 0; i < plain.length; i++) expect(list[i]).toBe(plain[i]);
    for (const i of [4_999, 0, 2_500, 257, 256, 255, 1, 3_333]) expect(list[i]).toBe(plain[i]);
    expect(list[plain.length]).toBeUndefined();
    expect(list[-1]).toBeUndefined();
    expect((list as unknown as Record<string, unknown>)['01']).toBeUndefined();
    expect(list.slice(10, 20)).toEqual(plain.slice(10, 20));
    expect(list.slice(-3)).toEqual(plain.slice(-3));
    expect(list.slice()).toEqual(plain);
    expect(list.slice(4_990, 10_000)).toEqual(plain.slice(4_990, 10_000));
    expect([...list]).toEqual(plain);
    expect(list.map((s) => s.length)).toEqual(plain.map((s) => s.length));
    expect(list.indexOf(plain[4_321])).toBe(plain.indexOf(plain[4_321]));
    expect(JSON.stringify(list)).toBe(JSON.stringify(plain));
    expect(Object.keys(list)).toEqual(Object.keys(plain));
    expect(2_000 in list).toBe(true);
    expect(5_000 in list).toBe(false);
    expect(Object.getOwnPropertyDescriptor(list, '7')).toEqual(Object.getOwnPropertyDescriptor(plain, '7'));
    expect([0].concat(list as never[]).length).toBe(plain.length + 1);
    expect(Object.getPrototypeOf(list)).toBe(Array.prototype);
    expect(list instanceof Array).toBe(true);
    expect(inspect(list)).toBe(inspect(plain));
    expect(plainArray(list)).toEqual(plain);
    expect(listSourceOf(plainArray(list))).toBeUndefined();
  });

  it('a write turns it into a plain array of its strings, which then behaves as one', async () => {
    const plain = strings(1_000);
    const list = await utf8List(plain);
    list[3] = 'changed';
    plain[3] = 'changed';
    expect(listSourceOf(list)).toBeUndefined();
    expect([...list]).toEqual(plain);
    expect(inspect(list)).toBe(inspect(plain));
    list.push('more');
    plain.push('more');
    expect(list.length).toBe(1_001);
    expect(JSON.stringify(list)).toBe(JSON.stringify(plain));
    const sorted = await utf8List(strings(100));
    sorted.sort();
    expect(sorted).toEqual(strings(100).sort());
    const frozen = Object.freeze(await utf8List(strings(10)));
    expect(Object.isFrozen(frozen)).toBe(true);
    expect([...frozen]).toEqual(strings(10));
  });

  it('an empty list', async () => {
    const list = lazyList(await utf8Strings({ bytes: new Uint8Array(0), lengths: new Uint32Array(0) }, new Turns()));
    expect(list.length).toBe(0);
    expect([...list]).toEqual([]);
    expect(JSON.stringify(list)).toBe('[]');
  });

  it('lengths beyond the bytes are refused', async () => {
    await expect(utf8Strings({ bytes: new Uint8Array(3), lengths: Uint32Array.of(2, 2) }, new Turns())).rejects.toThrow(/4 bytes, beyond their 3/);
  });

  it('a string UTF-8 cannot hold exactly (a lone surrogate) is not encoded', () => {
    expect(encodeUtf8Strings(['a', '\ud800'])).toBeUndefined();
    expect(encodeUtf8Strings(['a', 1])).toBeUndefined();
    expect(encodeUtf8Strings(['a', null])).toBeUndefined();
  });
});

describe('plainArray', () => {
  it('makes every lazy list in a value a plain array, so that it can be posted; a value without one is not copied', async () => {
    const inner = lazyList(new JoinedLists<unknown>([[1, 2], [3]]));
    const strings = await utf8List(['a', 'b']);
    const value = { a: [inner, 'x'], b: { c: strings }, d: 5 };
    const plain = plainArray(value);
    expect(() => structuredClone(value)).toThrow();
    expect(structuredClone(plain)).toEqual({ a: [[1, 2, 3], 'x'], b: { c: ['a', 'b'] }, d: 5 });
    expect(value.a[0]).toBe(inner);
    const untouched = { a: [1, [2]], b: 'c' };
    expect(plainArray(untouched)).toBe(untouched);
    expect(structuredClone(plainArray(lazyList(new JoinedLists([[inner]]))))).toEqual([[1, 2, 3]]);
  });
});

describe('lazyList over joined lists', () => {
  it('reads as their concatenation, empty lists among them', () => {
    const parts = [[1, 2], [], [{ a: 3 }], [null, 'x', 4.5], []];
    const list = lazyList(new JoinedLists<unknown>(parts));
    const plain = parts.flat();
    expect(list.length).toBe(plain.length);
    expect([...list]).toEqual(plain);
    expect(list[5]).toBe(4.5);
    expect(list[2]).toEqual({ a: 3 });
    expect(list.slice(1, 4)).toEqual(plain.slice(1, 4));
    expect(JSON.stringify(list)).toBe(JSON.stringify(plain));
  });
});
