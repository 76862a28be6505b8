// Integers beyond 2^53 in requests and batch files: pandas reads them into an exact int64, a
// Frame could only round them, so they are refused with an error naming the value and the place.
import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { isFrame, parseCsvRequest, parseJsonRequest, parseJsonText, readFrameBatches, type Frame, type Tensor } from '../../src/frame/index.js';

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(MlflowError);
    expect((e as MlflowError).errorCode).toBe('BAD_REQUEST');
    return (e as MlflowError).message;
  }
  throw new Error('expected a refusal');
}

const frameOf = (body: string, readsAsFloat?: (name: string | undefined) => boolean): Frame => {
  const { input } = parseJsonRequest(body, { readsAsFloat });
  if (!isFrame(input)) throw new Error('not a frame');
  return input;
};

describe('JSON requests', () => {
  it('refuses an int64 column value beyond 2^53, quoting the literal as written', () => {
    expect(refusal(() => parseJsonRequest('{"dataframe_split": {"columns": ["id"], "data": [[9007199254740993]]}}'))).toBe(
      "Invalid input. The integer 9007199254740993 in column 'id' is beyond 2^53, which mlflow-ts cannot represent exactly",
    );
    expect(refusal(() => parseJsonRequest('{"dataframe_records": [{"a": 1, "b": -18446744073709551616}]}'))).toContain(
      "integer -18446744073709551616 in column 'b'",
    );
  });

  it('refuses such an integer in a tensor, a named input, an unwrapped body and params', () => {
    expect(refusal(() => parseJsonRequest('{"inputs": [[1, 12345678901234567]]}'))).toContain('integer 12345678901234567 in the input tensor');
    expect(refusal(() => parseJsonRequest('{"instances": [{"x": 12345678901234567}]}'))).toContain("in input 'x'");
    expect(refusal(() => parseJsonRequest('{"messages": [], "seed": 12345678901234567}'))).toContain("in field 'seed'");
    expect(refusal(() => parseJsonRequest('{"inputs": [1], "params": {"seed": {"a": [12345678901234567]}}}'))).toContain("in param 'seed'");
  });

  it('keeps every integer up to 2^53 - 1 exact, and float columns as pandas rounds them', () => {
    const exact = frameOf('{"dataframe_split": {"columns": ["id"], "data": [[9007199254740991], [-9007199254740991]]}}');
    expect(exact.columns[0].data).toEqual({ kind: 'number', dtype: 'int64', values: Float64Array.of(9007199254740991, -9007199254740991) });
    const mixed = frameOf('{"dataframe_split": {"columns": ["x"], "data": [[9007199254740993], [0.5]]}}');
    expect(mixed.columns[0].data).toEqual({ kind: 'number', dtype: 'float64', values: Float64Array.of(9007199254740992, 0.5) });
    const { input } = parseJsonRequest('{"inputs": [1e20, 2.5]}');
    expect((input as Tensor).dtype).toBe('float64');
  });

  it('still tells 16-digit floats from ints after the exact parser takes them', () => {
    const f = frameOf('{"dataframe_split": {"columns": ["a", "b"], "data": [[0.1234567890123456, 1234567890123456]]}}');
    expect(f.columns.map((c) => (c.data.kind === 'number' ? c.data.dtype : c.data.kind))).toEqual(['float64', 'int64']);
  });

  it('rounds such an integer where the schema reads floats, as pandas casts it', () => {
    const x = (name: string | undefined): boolean => name === 'x';
    const f = frameOf('{"dataframe_split": {"columns": ["x"], "data": [[9007199254740993]]}}', x);
    expect(Array.from(f.columns[0].data.values as Float64Array)).toEqual([9007199254740992]);
    expect(refusal(() => parseJsonRequest('{"dataframe_split": {"columns": ["y"], "data": [[9007199254740993]]}}', { readsAsFloat: x }))).toContain("column 'y'");
    const { input } = parseJsonRequest('{"inputs": [9007199254740993]}', { readsAsFloat: (n) => n === undefined });
    expect(Array.from((input as Tensor).data as Float64Array)).toEqual([9007199254740992]);
  });

  it('refuses a byte order mark with the reason Python gives', () => {
    expect(() => parseJsonText('\ufeff{}')).toThrow('Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)');
  });
});

describe('CSV requests', () => {
  it('refuses an int64 column value beyond 2^53, naming it and the column', () => {
    expect(refusal(() => parseCsvRequest('a,id\n1,2\n3,9007199254740993\n'))).toBe(
      "Invalid input. The integer 9007199254740993 in column 'id' is beyond 2^53, which mlflow-ts cannot represent exactly",
    );
  });

  it('reads such an integer where the schema reads floats', () => {
    const f = parseCsvRequest('x\n9007199254740993\n', { readsAsFloat: (n) => n === 'x' });
    expect(Array.from(f.columns[0].data.values as Float64Array)).toEqual([9007199254740992]);
  });

  it('reads such an integer among floats or missing values as float64, as pandas does', () => {
    const f = parseCsvRequest('x,y\n9007199254740993,9007199254740993\n1.5,\n');
    expect(f.columns.map((c) => (c.data.kind === 'number' ? c.data.dtype : c.data.kind))).toEqual(['float64', 'float64']);
  });

  it('skips a UTF-8 byte order mark before the header, as pandas does', () => {
    expect(parseCsvRequest('\ufeffa,b\n1,2\n').columnNames).toEqual(['a', 'b']);
  });
});

/** Text as a stream of chunks, as a file or stdin gives it. */
async function* chunked(...chunks: string[]): AsyncGenerator<string> {
  for (const c of chunks) yield c;
}

describe('batch files', () => {
  async function firstBatch(text: string, format: 'jsonl' | 'json' | 'csv'): Promise<Frame> {
    for await (const f of readFrameBatches(chunked(text), format)) return f;
    throw new Error('no batch');
  }

  it('refuses an integer beyond 2^53 in JSON lines, JSON records and CSV', async () => {
    for (const [text, format] of [
      ['{"id": 1}\n{"id": 9007199254740993}\n', 'jsonl'],
      ['[{"id": 9007199254740993}]', 'json'],
      ['id\n9007199254740993\n', 'csv'],
    ] as const) {
      await expect(firstBatch(text, format)).rejects.toThrow("integer 9007199254740993 in column 'id'");
    }
  });

  it('skips a byte order mark before a CSV header split across chunks', async () => {
    for await (const f of readFrameBatches(chunked('\ufeff', 'a,b\n1,2\n'), 'csv')) expect(f.columnNames).toEqual(['a', 'b']);
  });
});
