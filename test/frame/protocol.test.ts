import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { isFrame, isTensor, parseCsvRequest, parseJsonRequest, type Frame, type Tensor } from '../../src/frame/index.js';
import { readProbes, type Probe } from './protocol-probes.js';

/**
 * Every POST /invocations probe recorded against MLflow 2.22.1's scoring server, replayed
 * through our request readers. A probe MLflow refused while parsing must be refused with the
 * same error_code and message; any other must parse.
 */

/**
 * Refusals that need the model's schema at parse time (a cast to the schema's types): our
 * readers are schema-free and parse these; pyfunc's castToSchema refuses them.
 */
const SCHEMA_CAST_REFUSALS = new Set([
  'iris_logreg.md: wrong type (string for double)',
  'iris_logreg.md: text/csv wrong type',
  'iris_logreg_numpy.md: text/csv with header',
  'iris_logreg_numpy.md: inputs string element',
  'iris_logreg_numpy.md: inputs dict (named tensors) for unnamed tensor schema',
]);

function parse(p: Probe): unknown {
  return p.contentType!.startsWith('text/csv') ? parseCsvRequest(p.body) : parseJsonRequest(p.body).input;
}

/** MLflow's message without the request echo it appends to JSON syntax errors (issue #16537). */
function withoutEcho(message: string): string {
  const i = message.indexOf('\nInput: ');
  return i < 0 ? message : message.slice(0, i);
}

function isParseRefusal(p: Probe): boolean {
  if (p.status !== 400) return false;
  const body = JSON.parse(p.response) as { error_code: string; message: string };
  return body.error_code === 'BAD_REQUEST' && !body.message.startsWith('Encountered an unexpected error');
}

for (const file of ['iris_logreg.md', 'iris_logreg_numpy.md']) {
  describe(`MLflow 2.22.1 probes of ${file}`, () => {
    // 415s are the server's Content-Type check, before any body is read.
    const probes = readProbes(file).filter((p) => p.method === 'POST' && p.contentType && p.status !== 415);

    it('has the probes this test relies on', () => {
      expect(probes.length).toBeGreaterThan(file === 'iris_logreg.md' ? 30 : 8);
    });

    for (const p of probes) {
      const key = `${file}: ${p.title}`;
      if (isParseRefusal(p) && !SCHEMA_CAST_REFUSALS.has(key)) {
        it(`refuses as MLflow does: ${p.title}`, () => {
          const expected = JSON.parse(p.response) as { error_code: string; message: string };
          let error: unknown;
          try {
            parse(p);
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(MlflowError);
          const e = error as MlflowError;
          expect(e.errorCode).toBe(expected.error_code);
          expect(e.message).toBe(withoutEcho(expected.message));
          if (p.body.length > 10) expect(e.message).not.toContain(p.body.slice(0, 20));
        });
      } else {
        it(`parses: ${p.title}`, () => {
          expect(() => parse(p)).not.toThrow();
        });
      }
    }
  });
}

describe('parsed shapes of the probes MLflow accepted', () => {
  const all = [...readProbes('iris_logreg.md'), ...readProbes('iris_logreg_numpy.md')];
  const body = (title: string) => all.find((p) => p.title === title)!.body;

  it('dataframe_split -> float64 columns in request order', () => {
    const f = parseJsonRequest(body('dataframe_split 3 rows with index')).input as Frame;
    expect(isFrame(f)).toBe(true);
    expect(f.columnNames).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(f.numRows).toBe(3);
    const c = f.column('petal_length')!.data;
    expect(c.kind === 'number' && c.dtype).toBe('float64');
    expect(Array.from(c.values as Float64Array)).toEqual([1.4, 4.3, 6.1]);
  });

  it('dataframe_split without columns -> columns named 0..n-1', () => {
    const f = parseJsonRequest(body('dataframe_split without columns')).input as Frame;
    expect(f.columnNames).toEqual(['0', '1', '2', '3']);
  });

  it('ints -> int64, bool -> bool, numeric string -> string, a lone null -> object', () => {
    const ints = parseJsonRequest(body('integers for double columns')).input as Frame;
    expect(ints.column('sepal_length')!.data).toMatchObject({ kind: 'number', dtype: 'int64' });
    const bools = parseJsonRequest(body('boolean for double')).input as Frame;
    expect(bools.column('sepal_length')!.data).toEqual({ kind: 'bool', values: [true] });
    const str = parseJsonRequest(body('numeric string for double')).input as Frame;
    expect(str.column('sepal_length')!.data).toEqual({ kind: 'string', values: ['5.1'] });
    const nul = parseJsonRequest(body('null value')).input as Frame;
    // pandas: a column holding only None stays object; the schema cast makes it NaN later.
    expect(nul.column('sepal_length')!.data).toEqual({ kind: 'object', values: [null] });
  });

  it('params are returned apart from the data', () => {
    const r = parseJsonRequest(body('with params (model has no params schema)'));
    expect(r.params).toEqual({ foo: 1 });
    expect(r.format).toBe('dataframe_split');
  });

  it('instances / inputs as list of records or dict -> one float64 tensor per key', () => {
    for (const title of ['instances (list of records)', 'inputs (dict of columns)', 'inputs (list of records)']) {
      const r = parseJsonRequest(body(title)).input as Record<string, Tensor>;
      expect(Object.keys(r)).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
      expect(r.sepal_width.dtype).toBe('float64');
      expect(r.sepal_width.shape).toEqual([title === 'inputs (list of records)' ? 1 : 2]);
    }
  });

  it('inputs list of lists -> 2-D tensor; ints -> int64; 1-D and scalar kept', () => {
    const t = parseJsonRequest(body('inputs (list of lists)')).input as Tensor;
    expect(isTensor(t)).toBe(true);
    expect(t).toMatchObject({ dtype: 'float64', shape: [2, 4] });
    expect(Array.from(t.data as Float64Array)).toEqual([5.1, 3.5, 1.4, 0.2, 7.7, 3.0, 6.1, 2.3]);
    expect(parseJsonRequest(body('inputs ints (int64 -> float64 tensor)')).input).toMatchObject({ dtype: 'int64', shape: [1, 4] });
    expect(parseJsonRequest(body('inputs 1-D')).input).toMatchObject({ dtype: 'float64', shape: [4] });
    expect(parseJsonRequest(body('inputs scalar')).input).toMatchObject({ dtype: 'int64', shape: [] });
  });

  it('a string element makes a string tensor, as numpy does (str() of the numbers)', () => {
    const t = parseJsonRequest(body('inputs string element')).input as Tensor;
    expect(t).toMatchObject({ dtype: 'string', shape: [1, 4] });
    expect(t.data).toEqual(['x', '3.5', '1.4', '0.2']);
  });

  it('CSV with header -> float64 columns; without header the first row names the columns', () => {
    const f = parseCsvRequest(body('text/csv with header'));
    expect(f.numRows).toBe(2);
    expect(f.column('sepal_width')!.data).toMatchObject({ kind: 'number', dtype: 'float64' });
    expect(parseCsvRequest(body('text/csv without header')).columnNames).toEqual(['5.1', '3.5', '1.4', '0.2']);
    expect(parseCsvRequest(body('text/csv wrong type')).column('sepal_length')!.data).toEqual({ kind: 'string', values: ['abc'] });
  });

  it('a unified-LLM body is passed on whole', () => {
    const r = parseJsonRequest(body('unified-LLM style payload (messages)'));
    expect(r.format).toBe('unified_llm');
    expect(r.input).toEqual({ messages: [{ role: 'user', content: 'hi' }] });
  });
});
