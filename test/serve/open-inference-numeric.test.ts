import { describe, expect, it } from 'vitest';
import { readNumericV2 } from '../../src/serve/open-inference/numeric-request.js';
import { decodeV2Inputs, readV2Request } from '../../src/serve/open-inference/request.js';

/** What the general reader makes of a request: the decoded tensors, or its error. */
function general(text: string, contentType: 'pd' | 'np' | 'dict'): unknown {
  try {
    return decodeV2Inputs(readV2Request(JSON.parse(text), undefined), contentType);
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function tensor(name: string, datatype: string, shape: number[], data: string): string {
  return `{"name": ${JSON.stringify(name)}, "datatype": "${datatype}", "shape": [${shape.join(', ')}], "data": [${data}]}`;
}

// Number forms a client may write; each is read exactly as JSON.parse reads it.
const NUMBERS = ['0', '-0', '1', '-1', '5.1', '3.50', '0.1', '1e3', '1E-3', '-2.5e+2', '123456789012345', '1234567890123456', '0.30000000000000004',
  '9007199254740993', '1.7976931348623157e308', '5e-324', '2147483647', '-2147483648', '2147483648', '1.0', '17.000000000000001'];

describe('V2 numeric requests read straight into typed arrays (issue #17)', () => {
  it('decode every number form and datatype as the general reader does, or leave the request to it', () => {
    let fast = 0;
    for (const datatype of ['FP64', 'FP32', 'INT64', 'INT32']) {
      for (const n of NUMBERS) {
        const text = `{"inputs": [${tensor('a', datatype, [2], `${n}, ${n}`)}, ${tensor('b', datatype, [2], '1, 2')}]}`;
        const read = readNumericV2(text);
        for (const ct of ['pd', 'dict'] as const) {
          if (read) expect(decodeV2Inputs(read, ct), `${datatype} ${n}`).toEqual(general(text, ct));
        }
        if (read) fast++;
        else if (datatype.startsWith('FP')) throw new Error(`FP literal ${n} not read`);
      }
    }
    expect(fast).toBeGreaterThan(50);
  });

  it('reads keys in any order, whitespace anywhere, and a single unnamed tensor', () => {
    const text = ' {\n"inputs" : [ {"data":[1.5 ,2,\t3,4],"shape":[2,2],"datatype":"FP32","name":"x"} ] }\n';
    const read = readNumericV2(text);
    expect(read).toBeDefined();
    expect(decodeV2Inputs(read!, 'np')).toEqual(general(text, 'np'));
    expect(read).toEqual({ ...readV2Request(JSON.parse(text), undefined), inputs: [expect.objectContaining({ name: 'x', shape: [2, 2], datatype: 'FP32' })] });
  });

  it('leaves everything else to the general reader (which answers or names the error)', () => {
    const others = [
      `{"inputs": [${tensor('a', 'FP64', [3], '1, 2')}]}`, // count does not match the shape
      `{"inputs": [${tensor('a', 'FP64', [2], '1, null')}]}`,
      `{"inputs": [${tensor('a', 'FP64', [2], '[1], [2]')}]}`,
      `{"inputs": [${tensor('a', 'BOOL', [1], 'true')}]}`,
      `{"inputs": [${tensor('a', 'INT64', [1], '1.5')}]}`,
      `{"inputs": [${tensor('a', 'INT32', [1], '2147483648')}]}`,
      `{"inputs": [${tensor('a', 'FP64', [1], '1')}, ${tensor('a', 'FP64', [1], '2')}]}`,
      `{"inputs": [${tensor('', 'FP64', [1], '1')}]}`,
      `{"id": "r1", "inputs": [${tensor('a', 'FP64', [1], '1')}]}`,
      `{"inputs": [${tensor('a', 'FP64', [1], '1')}], "parameters": {"content_type": "np"}}`,
      `{"inputs": [{"name": "a", "datatype": "FP64", "shape": [1], "data": [1], "parameters": {}}]}`,
      `{"inputs": [${tensor('a\\u0062', 'FP64', [1], '1')}]}`,
      `{"inputs": [${tensor('a', 'FP64', [1], '01')}]}`,
      `{"inputs": [${tensor('a', 'FP64', [1], '1,')}]}`,
      `{"inputs": [${tensor('a', 'FP64', [1], '1')}]} x`,
      `{"inputs": []}`,
    ];
    for (const text of others) expect(readNumericV2(text), text).toBeUndefined();
  });

  it('reads a request with the same text around new numbers as a fresh read does, and any other text afresh', () => {
    const body = (a: string, b: string, shape = 2, name = 'b'): string =>
      `{"inputs": [${tensor('a', 'FP64', [shape], a)}, ${tensor(name, 'INT32', [shape], b)}]}`;
    // Each body follows one of the same text (whose skeleton is then kept) or of another.
    const bodies = [
      body('1, 2', '3, 4'), body('5.5, -6', '7, 8'), body('1', '2', 1), body('1.5', '2', 1, 'c'), body('1, 2', '3, 4'),
      body('1, 2', '3.5, 4'), body('1, null', '3, 4'), body('1, 2, 3', '3, 4'), body('1, 2', '3, 4]'), body('1, 2]', '3, 4'),
      body('1 , 2 ', ' 3,4'), `${body('1, 2', '3, 4')} `, body('1, 2', '3, 4').replace('"b"', '"a"'),
    ];
    // Left to the general reader: a fraction in INT32, a null, a count off the shape, not JSON (twice), a repeated name.
    const leftToGeneral = new Set([5, 6, 7, 8, 9, 12]);
    for (const [i, text] of bodies.entries()) {
      readNumericV2(bodies[Math.max(0, i - 1)]);
      const read = readNumericV2(text);
      expect(read === undefined, text).toBe(leftToGeneral.has(i));
      if (read) expect(decodeV2Inputs(read, 'dict'), text).toEqual(general(text, 'dict'));
    }
    expect(readNumericV2(bodies[1])?.inputs.map((x) => Array.from(x.data as ArrayLike<number>))).toEqual([[5.5, -6], [7, 8]]);
  });

  it('reads random numbers bit for bit as JSON.parse does', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = Array.from({ length: 3000 }, (_, i) => {
      const x = (rand() - 0.5) * 10 ** Math.floor(rand() * 12 - 4);
      return i % 3 === 0 ? x.toPrecision(1 + Math.floor(rand() * 17)) : i % 3 === 1 ? String(x) : x.toExponential(Math.floor(rand() * 16));
    });
    const text = `{"inputs": [${tensor('v', 'FP64', [values.length], values.join(','))}]}`;
    const read = readNumericV2(text);
    expect(read).toBeDefined();
    expect(Array.from(read!.inputs[0].data as Float64Array)).toEqual(values.map(Number));
  });
});
