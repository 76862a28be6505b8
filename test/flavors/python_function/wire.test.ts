import { listSourceOf } from '../../../src/frame/lazy-list.js';
import { describe, expect, it } from 'vitest';
import { BodyWriter, decodeValue, encodeMessage, encodeValue, MessageReader, type WireValue } from '../../../src/flavors/python_function/wire.js';
import { Frame } from '../../../src/frame/frame.js';
import { makeTensor } from '../../../src/frame/tensor.js';

/** What the worker would see: the message as framed bytes, read back in arbitrary chunks. */
async function roundTrip(header: Record<string, unknown>, body: BodyWriter, chunk: number) {
  const bytes = Buffer.concat(await encodeMessage(header, body));
  const reader = new MessageReader();
  const got = [];
  for (let i = 0; i < bytes.byteLength; i += chunk) got.push(...reader.push(bytes.subarray(i, i + chunk)));
  expect(got).toHaveLength(1);
  return got[0];
}

describe('python bridge wire format', () => {
  it('frames messages whatever the chunking, and several per chunk', async () => {
    const body = new BodyWriter();
    const ref = body.add(Uint8Array.from([1, 2, 3]));
    expect(ref).toEqual([0, 3]);
    expect(body.size).toBe(8); // padded so the next buffer starts 8-byte aligned
    for (const chunk of [1, 3, 7, 1000]) {
      const m = await roundTrip({ op: 'x', ref }, body, chunk);
      expect(m.header).toEqual({ op: 'x', ref: [0, 3] });
      expect([...m.body.subarray(0, 3)]).toEqual([1, 2, 3]);
    }
    const two = Buffer.concat([...(await encodeMessage({ n: 1 })), ...(await encodeMessage({ n: 2 }))]);
    expect(new MessageReader().push(two).map((m) => m.header)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('reassembles a large reply with one copy, not one per chunk (issue #18: was quadratic)', async () => {
    const body = new BodyWriter();
    body.add(new Uint8Array(64 * 1024 * 1024).fill(7));
    const bytes = Buffer.concat(await encodeMessage({ big: true }, body));
    const reader = new MessageReader();
    const concat = Buffer.concat;
    let copies = 0;
    Buffer.concat = ((list: readonly Uint8Array[], n?: number) => {
      copies++;
      return concat(list, n);
    }) as typeof Buffer.concat;
    const got = [];
    try {
      for (let i = 0; i < bytes.byteLength; i += 64 * 1024) got.push(...reader.push(bytes.subarray(i, i + 64 * 1024)));
    } finally {
      Buffer.concat = concat;
    }
    expect(got).toHaveLength(1);
    expect(got[0].body.byteLength).toBe(64 * 1024 * 1024);
    expect(got[0].body[12345]).toBe(7);
    // each chunk is copied once into the message's own buffer, never the message as a whole
    expect(copies).toBe(0);
  });

  it('sends numeric columns as little-endian buffers and the rest as JSON', async () => {
    const frame = new Frame([
      { name: 'x', data: { kind: 'number', dtype: 'float64', values: Float64Array.from([1.5, NaN]) } },
      { name: 'n', data: { kind: 'number', dtype: 'int64', values: Float64Array.from([-3, 2 ** 53]) } },
      { name: 's', data: { kind: 'string', values: ['a', null] } },
      { name: 'd', data: { kind: 'datetime', values: [new Date('2024-01-02T03:04:05.000Z'), null] } },
      { name: 'bin', data: { kind: 'binary', values: [Uint8Array.from([104, 105]), null] } },
    ]);
    const body = new BodyWriter();
    const v = (await encodeValue(frame, body)) as Extract<WireValue, { type: 'frame' }>;
    expect(v.columns.map((c) => c.dtype)).toEqual(['float64', 'int64', 'string', 'datetime', 'binary']);
    expect(v.columns[2]).toEqual({ name: 's', dtype: 'string', values: ['a', null] });
    expect(v.columns[3]).toMatchObject({ values: ['2024-01-02T03:04:05.000Z', null] });
    expect(v.columns[4]).toMatchObject({ values: ['aGk=', null] });
    const m = await roundTrip({ v }, body, 5);
    const bytes = Buffer.from(m.body);
    expect(bytes.readDoubleLE(0)).toBe(1.5);
    expect(bytes.readBigInt64LE(16)).toBe(-3n);
    expect(bytes.readBigInt64LE(24)).toBe(2n ** 53n);
  });

  it('refuses an int64 column holding a fraction, naming the column', async () => {
    const frame = new Frame([{ name: 'k', data: { kind: 'number', dtype: 'int64', values: Float64Array.from([1.5]) } }]);
    await expect(encodeValue(frame, new BodyWriter())).rejects.toThrow("Column 'k' holds 1.5, which is not a valid int64 value");
  });

  it('decodes what the worker sends: frames, tensors, named tensors and JSON', async () => {
    const body = Buffer.alloc(32);
    body.writeBigInt64LE(7n, 0);
    body.writeBigInt64LE(-1n, 8);
    body.writeFloatLE(0.5, 16);
    body[24] = 1;
    body[25] = 0;
    expect(await decodeValue({ type: 'ndarray', dtype: 'int64', shape: [2], buf: [0, 16] }, body)).toEqual(
      makeTensor({ dtype: 'int64', shape: [2], data: Float64Array.from([7, -1]) }),
    );
    expect(await decodeValue({ type: 'ndarray', dtype: 'bool', shape: [1, 2], buf: [24, 2] }, body)).toEqual(
      makeTensor({ dtype: 'bool', shape: [1, 2], data: Uint8Array.from([1, 0]) }),
    );
    const frame = (await decodeValue({ type: 'frame', rows: 1, columns: [{ name: 'p', dtype: 'float32', buf: [16, 4] }] }, body)) as Frame;
    expect(frame.column('p')!.data).toEqual({ kind: 'number', dtype: 'float32', values: Float32Array.from([0.5]) });
    const dict = await decodeValue({ type: 'dict', items: { s: { type: 'ndarray', dtype: 'string', shape: [1], values: ['x'] } } }, body);
    expect(dict).toEqual({ s: makeTensor({ dtype: 'string', shape: [1], data: ['x'] }) });
    expect(await decodeValue({ type: 'json', value: [1, 'a'] }, body)).toEqual([1, 'a']);
  });

  it("puts a JSON reply's long lists back where the worker took them out", async () => {
    const body = new BodyWriter();
    const pieces = (lists: unknown[][]) => lists.map((l) => body.add(Buffer.from(JSON.stringify(l))));
    const a = pieces([[1, 2], [3]]);
    const b = pieces([['x'], ['y', null]]);
    const c = pieces([[{ k: 1 }]]);
    const whole = pieces([[7], [8]]);
    const buf = Buffer.concat(body.parts.map((p) => Buffer.from(p)));
    const value = JSON.parse('{"a": null, "rest": [{"b": null}, 5], "__proto__": null}') as unknown;
    const got = await decodeValue({ type: 'json', value, lists: [{ at: ['a'], pieces: a }, { at: ['rest', 0, 'b'], pieces: b }, { at: ['__proto__'], pieces: c }] }, buf);
    expect(JSON.stringify(got)).toBe('{"a":[1,2,3],"rest":[{"b":["x","y",null]},5],"__proto__":[{"k":1}]}');
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    const joined = (await decodeValue({ type: 'json', value: null, lists: [{ at: [], pieces: whole }] }, buf)) as number[];
    expect(joined).toEqual([7, 8]);
    // read from its pieces, not joined into one array made in one step
    expect(listSourceOf(joined)).toBeDefined();
    // A path the reply does not hold, or one that goes through the wrong kind of container, is refused.
    for (const at of [['b'], ['rest', 'b'], ['rest', 2], ['rest', 1, 'x'], ['toString']]) {
      await expect(decodeValue({ type: 'json', value: { a: null, rest: [{ b: null }, 5] }, lists: [{ at, pieces: a }] }, buf)).rejects.toThrow(/which is not in its reply/);
    }
  });

  it("reads a reply's long list of strings from their UTF-8 bytes and lengths", async () => {
    const strings = ['a', '', 'é€', '\u{1F600}', 'x'.repeat(70_000), '"\\'];
    const body = new BodyWriter();
    const bytes = strings.map((v) => Buffer.from(v));
    const text = body.add(Buffer.concat(bytes));
    const lengths = body.add(new Uint8Array(Uint32Array.from(bytes, (b) => b.length).buffer));
    const buf = Buffer.concat(body.parts.map((p) => Buffer.from(p)));
    expect(await decodeValue({ type: 'ndarray', dtype: 'string', shape: [6], strings: text, lengths }, buf)).toEqual(
      makeTensor({ dtype: 'string', shape: [6], data: strings }),
    );
    const reply = (await decodeValue({ type: 'json', value: { s: null }, lists: [{ at: ['s'], strings: text, lengths }] }, buf)) as { s: string[] };
    expect(reply).toEqual({ s: strings });
    // kept as the bytes, each string made when read (issue #18 item 3: millions of live strings cost long GC pauses)
    expect(listSourceOf(reply.s)).toBeDefined();
    expect(JSON.stringify(reply.s)).toBe(JSON.stringify(strings));
    const short: [number, number] = [text[0], text[1] - 1];
    await expect(decodeValue({ type: 'json', value: null, lists: [{ at: [], strings: short, lengths }] }, buf)).rejects.toThrow(/string lengths beyond/);
  });

  it('refuses a buffer reference outside the message', async () => {
    await expect(decodeValue({ type: 'ndarray', dtype: 'float64', shape: [4], buf: [0, 32] }, Buffer.alloc(8))).rejects.toThrow(/outside its 8-byte message/);
  });
});
