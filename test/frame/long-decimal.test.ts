import { describe, expect, it } from 'vitest';
import { csvNumberRows } from '../../src/frame/csv-numbers.js';
import { longDecimal } from '../../src/frame/long-decimal.js';

const encoder = new TextEncoder();

/** longDecimal of a whole cell (followed by the 0 byte csvNumberRows puts after a range). */
function read(text: string): number | undefined {
  return longDecimal(encoder.encode(`${text}\0`), 0, text.length);
}

/** A small deterministic generator (mulberry32): the same cases on every run. */
function random(seed: number): (n: number) => number {
  let a = seed;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Every case read is Number()'s answer; returns how many were read (not left to Number()). */
function agreeWithNumber(cases: Iterable<string>): { read: number; total: number } {
  let total = 0;
  let readCount = 0;
  const wrong: string[] = [];
  for (const text of cases) {
    total++;
    const v = read(text);
    if (v === undefined) continue;
    readCount++;
    if (!Object.is(v, Number(text)) && wrong.length < 5) wrong.push(`${text}: ${v} against ${Number(text)}`);
  }
  expect(wrong).toEqual([]);
  return { read: readCount, total };
}

describe('longDecimal', () => {
  it('reads 16-19 significant digits as Number() does: random digits, dots and exponents', () => {
    const rnd = random(1201);
    const cases = function* (): Generator<string> {
      for (let k = 0; k < 150_000; k++) {
        const count = 16 + rnd(4);
        let d = String(1 + rnd(9));
        for (let j = 1; j < count; j++) d += rnd(10);
        const form = rnd(4);
        let s = d;
        if (form === 0) {
          const dot = 1 + rnd(count - 1);
          s = `${d.slice(0, dot)}.${d.slice(dot)}`;
        } else if (form === 1) s = `0.${'0'.repeat(rnd(4))}${d}`;
        else if (form === 2) s = `${d[0]}.${d.slice(1)}${rnd(2) ? 'E' : 'e'}${rnd(2) ? '-' : '+'}${String(rnd(24)).padStart(2, '0')}`;
        yield rnd(3) === 0 ? `-${s}` : rnd(5) === 0 ? `+${s}` : s;
      }
    };
    const { read: n, total } = agreeWithNumber(cases());
    expect(n).toBeGreaterThan(total * 0.8);
  });

  it('reads doubles printed with 17 digits, as numpy and pandas write them', () => {
    const rnd = random(1202);
    const cases = function* (): Generator<string> {
      for (let k = 0; k < 50_000; k++) {
        const x = (rnd(2 ** 30) / 2 ** 30 - 0.5) * 10 ** (rnd(16) - 8);
        yield x.toPrecision(17);
        yield x.toExponential(16);
      }
    };
    const { read: n, total } = agreeWithNumber(cases());
    // below 1e-6, 17 digits need a power of ten beyond 10^22: left to Number()
    expect(n).toBeGreaterThan(total * 0.75);
  });

  it('leaves exact halfway cases to Number(), and reads one digit either side of them', () => {
    // midpoints between neighbouring doubles above 2^53: (2M + 1) * 2^(E - 1), written in decimal
    const rnd = random(1203);
    const midpoints: string[] = [];
    const beside: string[] = [];
    const decimal = (w: bigint, fractionDigits: number): string => {
      const s = w.toString();
      return fractionDigits === 0 ? s : `${s.slice(0, s.length - fractionDigits)}.${s.slice(s.length - fractionDigits)}`;
    };
    for (let k = 0; k < 20_000; k++) {
      const m = 2n ** 52n + BigInt(rnd(2 ** 30)) * 2n ** 22n + BigInt(rnd(2 ** 22));
      const p = rnd(4) - 3;
      const fractionDigits = -p;
      const w = (2n * m + 1n) * 5n ** BigInt(fractionDigits);
      midpoints.push(decimal(w, fractionDigits));
      beside.push(decimal(w - 1n, fractionDigits), decimal(w + 1n, fractionDigits));
    }
    for (const text of midpoints) {
      const v = read(text);
      // an integer midpoint is one correctly rounded addition (ties to even); a scaled one is too close to tell
      if (!text.includes('.')) expect(v).toBe(Number(text));
      else expect(v).toBeUndefined();
    }
    const { read: n } = agreeWithNumber(beside);
    expect(n).toBe(beside.length);
  });

  it('cases by hand', () => {
    // Number() of the text is the reference: a literal this long loses digits when compiled
    expect(read('9007199254740993')).toBe(9007199254740992);
    expect(read('-0.12345678901234567')).toBe(Number('-0.12345678901234567'));
    expect(read('000.00012345678901234567')).toBe(Number('000.00012345678901234567'));
    expect(read('1234567890123456789')).toBe(Number('1234567890123456789'));
    expect(read('1.234567890123456789e22')).toBe(Number('1.234567890123456789e22'));
    expect(read('1.2345678901234567E-05')).toBe(Number('1.2345678901234567E-05'));
    // left to Number(): 15 digits or fewer (csvNumberRows reads those itself), 20 digits, powers of ten beyond 10^22
    expect(read('0.123456789012345')).toBeUndefined();
    expect(read('12345678901234567890')).toBeUndefined();
    expect(read('1.2345678901234567e-30')).toBeUndefined();
    expect(read('1.2345678901234567e+40')).toBeUndefined();
    expect(read('1.2345678901234567e+30')).toBe(Number('1.2345678901234567e+30'));
  });

  it('gives csvNumberRows the values Number() gives', () => {
    const cells = ['0.6701935511361599', '-2.1250455998874378', '1.2345678901234567e-05', '7', '', '0.1'];
    const text = `${cells.join(',')}\n${cells.slice().reverse().join(',')}\n`;
    const bytes = encoder.encode(`${text}\0`);
    const names = cells.map((_, i) => `c${i}`);
    const frame = csvNumberRows(bytes, text.length, { names, width: names.length, indexFields: 0 } as never, 2, {});
    expect(frame).toBeDefined();
    const expected = (c: string): number => (c === '' ? NaN : Number(c));
    frame!.columns.forEach((col, j) => {
      expect(Array.from(col.data.values as Float64Array)).toEqual([expected(cells[j]), expected(cells[cells.length - 1 - j])]);
    });
  });
});
