// Issue #18: binary BYTES elements of the V2 binary extension become one byte array each, so a
// request may hold at most MAX_BINARY_BYTES_ELEMENTS of them: counted before any is made, a larger
// one is refused with the protocol's {"error"} naming the input and the limit, and the 16 MB worst
// case (3.3M 1-byte elements) costs the server no more than a few megabytes beyond its body.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPredictor } from '../../src/pyfunc/index.js';
import { createScoringServer, createServeLogger, type ScoringServer } from '../../src/serve/index.js';
import { readV2Body } from '../../src/serve/open-inference/read-v2-body.js';
import { MAX_BINARY_BYTES_ELEMENTS } from '../../src/serve/open-inference/request.js';
import { V2Error } from '../../src/serve/open-inference/v2-error.js';
import { send } from './http-client.js';
import { worstV2Bodies } from './worst-bodies.js';

/** A binary request of two BYTES inputs of `a` and `b` 1-byte elements. */
function bytesRequest(a: number, b: number): { body: Buffer; header: string } {
  const element = Buffer.from([1, 0, 0, 0, 0x78]);
  const parts = [a, b].map((n) => Buffer.concat(Array.from({ length: n }, () => element)));
  const inputs = [a, b].map((n, i) => ({ name: `s${i}`, datatype: 'BYTES', shape: [n], parameters: { binary_data_size: parts[i].length } }));
  const head = Buffer.from(JSON.stringify({ inputs }));
  return { body: Buffer.concat([head, ...parts]), header: String(head.length) };
}

describe('V2 binary BYTES elements per request', () => {
  it(`reads up to ${MAX_BINARY_BYTES_ELEMENTS} elements over all inputs and refuses one more, naming the input and the limit`, () => {
    const half = MAX_BINARY_BYTES_ELEMENTS / 2;
    const ok = bytesRequest(half, half);
    const read = readV2Body(ok.header, ok.body, undefined);
    const frame = read.input as unknown as { columns: { data: { kind: string; values: Uint8Array[] } }[] };
    expect(frame.columns.map((c) => [c.data.kind, c.data.values.length])).toEqual([['binary', half], ['binary', half]]);
    expect([...frame.columns[1].data.values[half - 1]]).toEqual([0x78]);

    const over = bytesRequest(half, half + 1);
    let err: unknown;
    try {
      readV2Body(over.header, over.body, undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(V2Error);
    expect((err as V2Error).status).toBe(400);
    expect((err as V2Error).message).toBe(
      `The binary BYTES data of input 's1' holds ${half + 1} elements, which takes the request to ${MAX_BINARY_BYTES_ELEMENTS + 1}; ` +
      `a request may hold at most ${MAX_BINARY_BYTES_ELEMENTS} binary BYTES elements (send fewer per request, or the strings as JSON data)`,
    );
  });

  describe('over HTTP, at a 16 MB limit', () => {
    let server: ScoringServer;
    let port: number;
    beforeAll(async () => {
      const model = fileURLToPath(new URL('../../examples/iris-sklearn', import.meta.url));
      server = createScoringServer(await loadPredictor(model), { logger: createServeLogger('silent'), maxBodyBytes: 16 * 1024 * 1024, modelName: 'iris' });
      port = (await server.listen(0)).port;
    });
    afterAll(async () => {
      await server.close();
    });

    it('the worst case, 3.3M 1-byte elements, is refused with {"error"} after counting them, the server growing by less than 100 MB', async () => {
      const [[, body, headers]] = worstV2Bodies(16 * 1024 * 1024, ['v2: binary BYTES columns']);
      // warm: the large-body thread started and its first body read
      await send(port, 'POST', '/v2/models/iris/infer', { contentType: 'application/octet-stream', body, headers });
      const rss = process.memoryUsage().rss;
      const answer = await send(port, 'POST', '/v2/models/iris/infer', { contentType: 'application/octet-stream', body, headers });
      const grew = process.memoryUsage().rss - rss;
      expect(answer.status).toBe(400);
      const error = (JSON.parse(answer.body) as { error: string }).error;
      expect(error).toMatch(/^The binary BYTES data of input 'sepal_length' holds \d+ elements, .* at most 131072 binary BYTES elements/);
      // Before: over 2 GB. Now the body and its copy in the thread, at most.
      expect(grew).toBeLessThan(100 * 1024 * 1024);
    });
  });
});
