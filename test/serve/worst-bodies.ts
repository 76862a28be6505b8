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
