import { setImmediate as nextTurn } from 'node:timers/promises';
import { joinInTurns, nextBlockRows } from '../predict-in-blocks.js';
import { newRequestId } from '../request-id.js';
import { BINARY_HEADER } from './read-v2-body.js';
import type { V2Request } from './request.js';
import { encodeV2Outputs, outputBytes, selectOutputs, type V2Output } from './response.js';

/** One answer of the V2 routes, ready to write. */
export interface V2Answer {
  readonly status: number;
  readonly contentType?: string;
  readonly body: string | Buffer;
  readonly headers?: Record<string, string>;
}

export const JSON_TYPE = 'application/json';

/**
 * Answers with more values than this (all outputs together) are written a block of values per
 * turn of the event loop (see inBlocks); below it, each block would be the whole answer anyway.
 */
export const BLOCK_VALUES = 1 << 16;
/** Values in an output's first block; later blocks are sized from how long the previous one took. */
const FIRST_BLOCK_VALUES = 16_384;

/**
 * The inference response for a prediction: the text JSON.stringify would write for
 * `{model_name, model_version?, id, parameters: {}, outputs}`, written piece by piece, each
 * output's data straight from its typed array (see dataItems) instead of through a plain array;
 * with the binary tensor data extension, that JSON then the outputs' bytes. A large answer (a
 * Python model's 2M-row predict_proba) is written a block of values per turn, as the same bytes.
 */
export function inferAnswer(name: string, version: string | undefined, request: Omit<V2Request, 'inputs'>, prediction: unknown): V2Answer | Promise<V2Answer> {
  const outputs = selectOutputs(encodeV2Outputs(prediction), request.outputs);
  const binary = outputs.map((o) => request.binaryOutputs || (request.outputs !== undefined && request.outputs.find((r) => r.name === o.name)?.binary === true));
  // A generated id is hex digits and dashes: nothing to escape.
  const id = request.id === undefined ? `"${newRequestId()}"` : JSON.stringify(request.id);
  const head = `${modelHead(name, version)}"id":${id},"parameters":{},"outputs":[`;
  let values = 0;
  for (const o of outputs) values += o.data.length;
  if (values > BLOCK_VALUES) return answerInBlocks(head, outputs, binary);
  let text = head;
  const binaryParts: Buffer[] = [];
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i];
    if (i > 0) text += ',';
    if (binary[i]) {
      const bytes = outputBytes(o);
      binaryParts.push(bytes);
      text += outputHead(o, bytes.length);
    } else {
      text += `${outputHead(o)},"data":[${dataItems(o.data)}]}`;
    }
  }
  text += ']}';
  if (binaryParts.length === 0) return { status: 200, contentType: JSON_TYPE, body: text };
  const json = Buffer.from(text, 'utf8');
  return binaryAnswer(json.length, Buffer.concat([json, ...binaryParts]));
}

/** inferAnswer's bytes for a large answer: each output's data (or binary bytes) a block of values per turn, then joined a part per turn. */
async function answerInBlocks(head: string, outputs: readonly V2Output[], binary: readonly boolean[]): Promise<V2Answer> {
  const json: Buffer[] = [Buffer.from(head)];
  const bytes: Buffer[] = [];
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i];
    const comma = i === 0 ? '' : ',';
    if (binary[i]) {
      const parts = await inBlocks(o.data, (data) => outputBytes({ ...o, data }));
      json.push(Buffer.from(comma + outputHead(o, sizeOf(parts))));
      bytes.push(...parts);
    } else {
      json.push(Buffer.from(`${comma}${outputHead(o)},"data":[`));
      json.push(...(await inBlocks(o.data, (data, first) => Buffer.from(first ? dataItems(data) : `,${dataItems(data)}`))));
      json.push(Buffer.from(']}'));
    }
  }
  json.push(Buffer.from(']}'));
  if (bytes.length === 0) return { status: 200, contentType: JSON_TYPE, body: await joinInTurns(json) };
  return binaryAnswer(sizeOf(json), await joinInTurns([...json, ...bytes]));
}

/** The last answer's `{"model_name":..,"model_version":..,` (the same on every answer of a model), made once. */
let lastModelHead = { name: '', version: undefined as string | undefined, text: '' };

function modelHead(name: string, version: string | undefined): string {
  if (lastModelHead.name !== name || lastModelHead.version !== version || lastModelHead.text === '') {
    const modelVersion = version === undefined ? '' : `"model_version":${JSON.stringify(version)},`;
    lastModelHead = { name, version, text: `{"model_name":${JSON.stringify(name)},${modelVersion}` };
  }
  return lastModelHead.text;
}

function binaryAnswer(jsonSize: number, body: Buffer): V2Answer {
  return { status: 200, contentType: 'application/octet-stream', headers: { [BINARY_HEADER]: String(jsonSize) }, body };
}

/**
 * `write` of consecutive blocks of `data` (an empty one for no values), each block sized so that
 * writing it takes about BLOCK_MS, with a turn of the event loop after each.
 */
async function inBlocks(data: ArrayLike<unknown>, write: (block: ArrayLike<unknown>, first: boolean) => Buffer): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  let size = FIRST_BLOCK_VALUES;
  let start = 0;
  do {
    const end = Math.min(data.length, start + size);
    const began = performance.now();
    parts.push(write(slice(data, start, end), start === 0));
    size = nextBlockRows(end - start, performance.now() - began);
    start = end;
    await nextTurn();
  } while (start < data.length);
  return parts;
}

function slice(data: ArrayLike<unknown>, start: number, end: number): ArrayLike<unknown> {
  if (ArrayBuffer.isView(data)) return (data as unknown as Float64Array).subarray(start, end);
  return Array.prototype.slice.call(data, start, end) as unknown[];
}

function sizeOf(parts: readonly Buffer[]): number {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  return n;
}

/** An output's JSON up to its data (`{"name":..,"datatype":..,"shape":[..],"parameters":{..}`); with `binarySize`, its binary_data_size, closed. */
function outputHead(o: V2Output, binarySize?: number): string {
  const head = `{"name":${JSON.stringify(o.name)},"datatype":"${o.datatype}","shape":[${o.shape.join(',')}],"parameters":{`;
  const contentType = o.contentType === undefined ? '' : `"content_type":${JSON.stringify(o.contentType)}`;
  if (binarySize === undefined) return `${head}${contentType}}`;
  return `${head}${contentType}${contentType === '' ? '' : ','}"binary_data_size":${binarySize}}}`;
}

/**
 * The values of a list as JSON.stringify writes them between its brackets (NaN and infinities as
 * null). A typed array of finite numbers is joined as it is (join writes each number as JSON does).
 */
function dataItems(d: ArrayLike<unknown>): string {
  if (d instanceof Float64Array || d instanceof Float32Array || d instanceof Int32Array || d instanceof Uint8Array ||
    d instanceof Int8Array || d instanceof Int16Array || d instanceof Uint16Array || d instanceof Uint32Array) {
    let finite = true;
    for (let i = 0; i < d.length && finite; i++) finite = Number.isFinite(d[i]);
    if (finite) return d.join(',');
  }
  return JSON.stringify(Array.from(d)).slice(1, -1);
}
