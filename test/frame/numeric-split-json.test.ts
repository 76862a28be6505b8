import { describe, expect, it } from 'vitest';
import { parseJsonText, parseRequestValue, type Frame } from '../../src/frame/index.js';
import { readNumericSplit } from '../../src/frame/numeric-split-json.js';

/** What the general reader (the parsed tree, then frameFromRows) makes of the same text. */
function general(text: string): Frame {
  const parsed = parseJsonText(text);
  return parseRequestValue(parsed.value, parsed.floats, parsed.inexactIntegers).input as Frame;
}

function same(text: string): void {
  const fast = readNumericSplit(text);
  expect(fast, text).toBeDefined();
  const ref = general(text);
  expect(fast!.numRows).toBe(ref.numRows);
  expect(fast!.columns.map((c) => [c.name, c.data.kind, (c.data as { dtype?: string }).dtype])).toEqual(
    ref.columns.map((c) => [c.name, c.data.kind, (c.data as { dtype?: string }).dtype]),
  );
  fast!.columns.forEach((c, j) => {
    const want = Array.from(ref.columns[j].data.values as Float64Array);
    const got = Array.from(c.data.values as Float64Array);
    // Object.is: -0 and 0 apart, every bit of every double the same.
    got.forEach((x, i) => expect(Object.is(x, want[i]), `${text}: column ${j} row ${i}: ${x} vs ${want[i]}`).toBe(true));
  });
}

describe('readNumericSplit', () => {
  it('reads numeric tables to the Frame the general reader builds', () => {
    same('{"dataframe_split": {"columns": ["a", "b"], "data": [[5.1, 3], [6.2, 4]]}}');
    same('{"dataframe_split":{"columns":["x","y"],"data":[[1,2]]}}');
    same(' {\n "dataframe_split" : { "columns" : [ "a" ] , "data" : [ [ -0 ] , [ 0.0 ] , [ -0.0 ] ] } } \n');
    same('{"dataframe_split": {"columns": ["i", "f", "e"], "data": [[1, 1.0, 1e3], [-7, 2.50, 2E-3], [0, 0.1, -1.5e+300]]}}');
    same('{"dataframe_split": {"columns": ["long"], "data": [[123456789012345], [1.2345678901234567], [0.30000000000000004], [9007199254740993.0]]}}');
  });

  it('agrees with JSON.parse on many random literals', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const literal = (): string => {
      const r = rnd();
      if (r < 0.25) return String(Math.floor(rnd() * 10 ** Math.floor(rnd() * 15)) * (rnd() < 0.5 ? -1 : 1));
      if (r < 0.5) return (rnd() * 10 ** Math.floor(rnd() * 8 - 4)).toPrecision(1 + Math.floor(rnd() * 17)).replace('+', '');
      if (r < 0.75) return `${Math.floor(rnd() * 1000)}.${String(Math.floor(rnd() * 10 ** 12)).padStart(12, '0')}`;
      return String(rnd() * 100 - 50);
    };
    const rows = Array.from({ length: 2000 }, () => [literal(), literal(), literal()]);
    same(`{"dataframe_split": {"columns": ["a", "b", "c"], "data": [${rows.map((r) => `[${r.join(', ')}]`).join(', ')}]}}`);
  });

  it('reads rows of uneven length, whatever the room the first rows suggest', () => {
    const short = '[1, 2]';
    const long = '[1.2345678901234567, -0.30000000000000004]';
    const body = (rows: string[]): string => `{"dataframe_split": {"columns": ["a", "b"], "data": [${rows.join(', ')}]}}`;
    same(body([short, ...Array.from({ length: 300 }, () => long)])); // too little room: grown again
    same(body([long, long, ...Array.from({ length: 300 }, () => short)])); // more room than needed
    same(body(Array.from({ length: 257 }, (_, i) => (i % 7 === 0 ? long : short))));
  });

  it('reads a request whose head (up to its column names) repeats the previous one as a fresh one', () => {
    const head = '{"dataframe_split": {"columns": ["a", "b"]';
    for (const rest of [', "data": [[1, 2.5]]}}', ', "data": [[3, 4]]}}', ' , "data" : [[-1e3, 0.5], [2, 3]] }}']) same(head + rest);
    // the same head then what the reader leaves to the general one
    for (const rest of [', "data": [[1]]}}', '}}', ', "columns": ["c"], "data": [[1, 2]]}}', ', "data": [[1, 2]], "index": [0]}}']) {
      same(head + ', "data": [[1, 2]]}}');
      expect(readNumericSplit(head + rest), head + rest).toBeUndefined();
    }
    // a head that extends the previous one's last name is another head
    same(head + ', "data": [[1, 2]]}}');
    same('{"dataframe_split": {"columns": ["a", "bc"], "data": [[1, 2]]}}');
    same('{"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2, 3]]}}');
  });

  it('leaves every other request to the general reader', () => {
    for (const text of [
      '{"dataframe_split": {"columns": ["a"], "data": [[1]], "index": [0]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[1]]}, "params": {"k": 1}}',
      '{"dataframe_split": {"data": [[1]], "columns": ["a"]}}',
      '{"dataframe_split": {"columns": ["a", "a"], "data": [[1, 2]]}}',
      '{"dataframe_split": {"columns": ["a\\u0062"], "data": [[1]]}}',
      '{"dataframe_split": {"columns": ["a", "b"], "data": [[1]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": []}}',
      '{"dataframe_split": {"columns": [], "data": [[]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[null]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[NaN]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [["1"]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[01]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[1.]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[+1]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[9007199254740993]]}}',
      '{"dataframe_split": {"columns": ["a"], "data": [[1]]}} x',
      '{"dataframe_split": {"columns": ["a"], "data": [[1]]}',
      '{"dataframe_records": [{"a": 1}]}',
      '\ufeff{"dataframe_split": {"columns": ["a"], "data": [[1]]}}',
    ]) {
      expect(readNumericSplit(text), text).toBeUndefined();
    }
  });
});
