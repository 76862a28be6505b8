import type { Frame } from '../../frame/frame.js';
import type { Tensor } from '../../frame/tensor.js';
import type { Schema } from '../../model/signature.js';
import { readNumericV2 } from './numeric-request.js';
import { decodeV2Inputs, readV2Request, requestContentType, type V2Request } from './request.js';
import { V2Error } from './v2-error.js';

/** The binary tensor data extension's header: the JSON part's length; the binary data follows. */
export const BINARY_HEADER = 'inference-header-content-length';

/** An inference request read from its body: what the model gets, and what the client asked back. */
export interface V2Body {
  readonly request: Omit<V2Request, 'inputs'>;
  readonly input: Frame | Tensor | Record<string, Tensor>;
}

/**
 * Reads an inference request's body (`binaryHeader`: its Inference-Header-Content-Length, if
 * any) and decodes its inputs as the model's signature asks. Refusals are V2Errors. The same
 * function runs in the large-body thread for bodies over 1 MiB, so answers match.
 */
export function readV2Body(binaryHeader: string | string[] | undefined, body: Uint8Array, schema: Schema | undefined): V2Body {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const r = readRequest(binaryHeader, bytes);
  // Named fields, not a rest/spread copy: this runs once per request on the hot path.
  const request = { id: r.id, contentType: r.contentType, outputs: r.outputs, binaryOutputs: r.binaryOutputs, params: r.params };
  return { request, input: decodeV2Inputs(r, requestContentType(r, schema)) };
}

/**
 * The request, checked. Without the binary extension, the common all-numeric request is read
 * straight into typed arrays (numeric-request.ts); anything else is parsed, then checked.
 */
function readRequest(binaryHeader: string | string[] | undefined, body: Buffer): V2Request {
  if (binaryHeader === undefined) {
    const numeric = readNumericV2(body.toString('utf8'));
    if (numeric) return numeric;
  }
  const { doc, binary } = splitBody(binaryHeader, body);
  return readV2Request(doc, binary);
}

/** The JSON part of a request and, with the binary extension, the tensor bytes after it. */
function splitBody(declared: string | string[] | undefined, body: Buffer): { doc: unknown; binary?: Buffer } {
  let jsonPart = body;
  let binary: Buffer | undefined;
  if (declared !== undefined) {
    const n = Number(declared);
    if (typeof declared !== 'string' || !Number.isSafeInteger(n) || n < 0 || n > body.length) {
      throw new V2Error(`Inference-Header-Content-Length must be an integer between 0 and the body's ${body.length} bytes`);
    }
    jsonPart = body.subarray(0, n);
    binary = body.subarray(n);
  }
  try {
    return { doc: JSON.parse(jsonPart.toString('utf8')) as unknown, binary };
  } catch (err) {
    throw new V2Error(`The request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
