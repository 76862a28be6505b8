// The most expensive request bodies we know of, per format, filled up to a size limit: many tiny
// columns or rows, ever new names, deep nesting, long strings, duplicate header names, float
// literals that take the exact parser. Issue #18 item 3 (event-loop.test.ts, large-body.test.ts).

export const IRIS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const JSON_CT = 'application/json';

/** `prefix` + as many units as fit in `limit` bytes + `suffix`. */
function filled(limit: number, prefix: string, unit: (i: number) => string, separator: string, suffix: string): string {
  const parts: string[] = [];
  let length = prefix.length + suffix.length;
  for (let i = 0; ; i++) {
    const u = unit(i);
    if (length + u.length + separator.length > limit) break;
    parts.push(u);
    length += u.length + separator.length;
  }
  return prefix + parts.join(separator) + suffix;
}

/** [what, body, content type] for each worst case (or those named in `only`), every body at most `limit` bytes. */
export function worstBodies(limit: number, only?: readonly string[]): [string, string | Buffer, string][] {
  const at = (prefix: string, unit: (i: number) => string, separator: string, suffix: string): string =>
    filled(limit, prefix, unit, separator, suffix);
  const cases: [string, () => string | Buffer, string][] = [
    ['split: many rows', () => at(`{"dataframe_split": {"columns": ${JSON.stringify(IRIS)}, "data": [`, () => '[1,2,3,4]', ',', ']}}'), JSON_CT],
    ['split: many columns, no rows', () => at('{"dataframe_split": {"columns": [', (i) => `"c${i}"`, ',', '], "data": []}}'), JSON_CT],
    ['split: one wide row', () => at('{"dataframe_split": {"data": [[', () => '1', ',', ']]}}'), JSON_CT],
    ['split: float literals', () => at(`{"dataframe_split": {"columns": ${JSON.stringify(IRIS)}, "data": [`, () => '[1.0,2.0,3.0,4.0]', ',', ']}}'), JSON_CT],
    ['split: strings', () => at(`{"dataframe_split": {"columns": ${JSON.stringify(IRIS)}, "data": [`, () => '["a","b","c","d"]', ',', ']}}'), JSON_CT],
    ['split: records as rows', () => at(`{"dataframe_split": {"columns": ${JSON.stringify(IRIS)}, "data": [`, (i) => `{"k${i}": 1}`, ',', ']}}'), JSON_CT],
    ['records: many rows', () => at('{"dataframe_records": [', () => '{"sepal_length":1,"sepal_width":2,"petal_length":3,"petal_width":4}', ',', ']}'), JSON_CT],
    ['records: strings', () => at('{"dataframe_records": [', () => '{"sepal_length":"a","sepal_width":"b","petal_length":"c","petal_width":"d"}', ',', ']}'), JSON_CT],
    ['records: one record of many keys', () => at('{"dataframe_records": [{', (i) => `"k${i}":1`, ',', '}]}'), JSON_CT],
    ['records: distinct keys', () => at('{"dataframe_records": [', (i) => `{"k${i}":1}`, ',', ']}'), JSON_CT],
    ['records: duplicate keys', () => at('{"dataframe_records": [{', () => '"a":1', ',', '}]}'), JSON_CT],
    ['instances: many rows', () => at('{"instances": [', () => '[1,2,3,4]', ',', ']}'), JSON_CT],
    ['instances: many scalars', () => at('{"instances": [', () => '1', ',', ']}'), JSON_CT],
    ['instances: named lists', () => at('{"instances": {', (i) => `"k${i}":[1]`, ',', '}}'), JSON_CT],
    ['inputs: named lists', () => at('{"inputs": {', (i) => `"k${i}":[1]`, ',', '}}'), JSON_CT],
    ['inputs: strings', () => at('{"inputs": [', (i) => `"s${i}"`, ',', ']}'), JSON_CT],
    ['inputs: nested lists', () => at('{"inputs": [', () => '[[[[1]]]]', ',', ']}'), JSON_CT],
    ['inputs: ragged nesting', () => at('{"inputs": [', (i) => (i % 2 ? '[1]' : '[[1]]'), ',', ']}'), JSON_CT],
    ['inputs: deep nesting', () => `{"inputs": ${'['.repeat(999)}1${']'.repeat(999)}}`, JSON_CT],
    ['inputs: records', () => at('{"inputs": [', (i) => `{"k${i % 5000}":1}`, ',', ']}'), JSON_CT],
    ['inputs: long string', () => `{"inputs": ["${'x'.repeat(limit - 20)}"]}`, JSON_CT],
    ['inputs: escapes', () => `{"inputs": ["${'\\u00e9'.repeat(Math.floor((limit - 20) / 6))}"]}`, JSON_CT],
    ['inputs: NaN tokens', () => at('{"inputs": [', () => 'NaN', ',', ']}'), JSON_CT],
    ['params: a large value', () => at('{"inputs": [[1,2,3,4]], "params": {"k": [', () => '1', ',', ']}}'), JSON_CT],
    ['unified LLM body', () => at('{"messages": [', () => '{"role":"user","content":"x"}', ',', ']}'), JSON_CT],
    ['input_data (Azure ML)', () => at(`{"input_data": {"columns": ${JSON.stringify(IRIS)}, "data": [`, () => '[1,2,3,4]', ',', ']}}'), JSON_CT],
    ['JSON in UTF-16', () => Buffer.from(`\ufeff${at('{"inputs": [', () => '1', ',', ']}').slice(0, limit / 2 - 10).replace(/,?1?$/, '')}]}`, 'utf16le'), JSON_CT],
    ['CSV: many rows', () => at(`${IRIS.join(',')}\n`, () => '1,2,3,4', '\n', '\n'), 'text/csv'],
    ['CSV: strings', () => at(`${IRIS.join(',')}\n`, () => 'a,b,c,d', '\n', '\n'), 'text/csv'],
    ['CSV: one column', () => at('a\n', () => '1', '\n', '\n'), 'text/csv'],
    ['CSV: distinct header names', () => at('', (i) => `c${i}`, ',', '\n1\n'), 'text/csv'],
    ['CSV: duplicate header names', () => at('', () => 'a', ',', '\n'), 'text/csv'],
    ['CSV: quoted fields', () => at(`${IRIS.join(',')}\n`, () => '"1","2","3","4"', '\n', '\n'), 'text/csv'],
    ['CSV: ragged rows', () => at(`${IRIS.join(',')}\n`, (i) => (i % 2 ? '1' : '1,2,3,4'), '\n', '\n'), 'text/csv'],
    ['CSV: a long field', () => `${IRIS.join(',')}\n${'x'.repeat(limit - 100)},1,2,3\n`, 'text/csv'],
    ['CSV: many blank lines', () => `${IRIS.join(',')}\n${'\n'.repeat(limit - 100)}1,2,3,4\n`, 'application/csv'],
  ];
  return cases.filter(([what]) => !only || only.includes(what)).map(([what, body, type]) => [what, body(), type]);
}

/** [what, body, extra headers] of a V2 inference request. */
export type V2Case = [string, Buffer, Record<string, string>];

/**
 * The most expensive V2 inference requests we know of, at most `limit` bytes each: the most
 * values per byte in each datatype, as JSON (the fast numeric reader and the general one) and
 * as the binary tensor extension, the iris columns (a column model's input) or one [n, 4] tensor.
 */
export function worstV2Bodies(limit: number, only?: readonly string[]): V2Case[] {
  /** As many `unit`s as fit beside `overhead` bytes. */
  const count = (overhead: number, unit: number): number => Math.floor((limit - overhead) / unit);
  const columns = (datatype: string, value: string, nested = false): string => {
    const n = count(400, 4 * (value.length + 1 + (nested ? 2 : 0)));
    const data = (nested ? `[${value}],` : `${value},`).repeat(n).slice(0, -1);
    const inputs = IRIS.map((name) => `{"name":"${name}","datatype":"${datatype}","shape":[${n}${nested ? ',1' : ''}],"data":[${data}]}`);
    return `{"inputs":[${inputs.join(',')}]}`;
  };
  const binary = (datatype: string, write: (b: Buffer, at: number, i: number) => void, elementBytes: number): [Buffer, Record<string, string>] => {
    const n = count(600, 4 * elementBytes);
    const parts = IRIS.map(() => {
      const b = Buffer.alloc(n * elementBytes);
      for (let i = 0; i < n; i++) write(b, i * elementBytes, i);
      return b;
    });
    const inputs = IRIS.map((name, j) => ({ name, datatype, shape: [n], parameters: { binary_data_size: parts[j].length } }));
    const head = Buffer.from(JSON.stringify({ inputs }));
    return [Buffer.concat([head, ...parts]), { 'inference-header-content-length': String(head.length) }];
  };
  const f32 = (b: Buffer, at: number, i: number): void => void b.writeFloatLE(i % 7, at);
  const i64 = (b: Buffer, at: number, i: number): void => void b.writeBigInt64LE(BigInt(i % 7), at);
  // BYTES elements: a 4-byte length, then "a".
  const bytes = (b: Buffer, at: number): void => {
    b.writeUInt32LE(1, at);
    b[at + 4] = 0x61;
  };
  const cases: [string, () => [string | Buffer, Record<string, string>]][] = [
    ['v2: FP64 columns', () => [columns('FP64', '1'), {}]],
    ['v2: FP64 nested columns', () => [columns('FP64', '1', true), {}]],
    ['v2: INT64 columns with nulls', () => [columns('INT64', 'null'), {}]],
    ['v2: FP64 one [n, 4] tensor', () => {
      const n = count(200, 10);
      return [`{"inputs":[{"name":"x","datatype":"FP64","shape":[${n},4],"data":[${'1,2,3,4,'.repeat(n).slice(0, -1)}]}]}`, {}];
    }],
    ['v2: BYTES columns', () => [columns('BYTES', '"a"'), {}]],
    ['v2: BOOL columns', () => [columns('BOOL', 'true'), {}]],
    ['v2: many inputs', () => {
      const n = count(100, 60);
      return [`{"inputs":[${Array.from({ length: n }, (_, i) => `{"name":"i${i}","datatype":"FP64","shape":[1],"data":[1]}`).join(',')}]}`, {}];
    }],
    ['v2: a large params value', () => [`{"inputs":[{"name":"x","datatype":"FP64","shape":[1],"data":[1]}],"parameters":{"k":[${'1,'.repeat(count(200, 2)).slice(0, -1)}]}}`, {}]],
    ['v2: binary FP32 columns', () => binary('FP32', f32, 4)],
    ['v2: binary INT64 columns', () => binary('INT64', i64, 8)],
    ['v2: binary BYTES columns', () => binary('BYTES', bytes, 5)],
  ];
  return cases.filter(([what]) => !only || only.includes(what)).map(([what, make]) => {
    const [body, headers] = make();
    return [what, Buffer.isBuffer(body) ? body : Buffer.from(body), headers];
  });
}
