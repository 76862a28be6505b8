// The thread that reads large request bodies for the scoring server (large-body.ts): decodes,
// parses and casts a body to the model's schema with the same code the main thread runs for a
// small one, and sends the result back in pieces (thread-transfer.ts).
import { parentPort } from 'node:worker_threads';
import { Schema } from '../model/index.js';
import type { FromBodyThread, ToBodyThread } from './large-body.js';
import { bodyModel, readBody, type BodyModel } from './read-body.js';
import { Packer } from './thread-transfer.js';

const port = parentPort!;
/** The models met so far, by their schema's JSON and params names: a server has a few. */
const models = new Map<string, BodyModel>();

function modelOf(schema: string | undefined, paramNames: string[]): BodyModel {
  const key = JSON.stringify([schema ?? null, paramNames]);
  let model = models.get(key);
  if (!model) {
    model = { ...bodyModel(schema === undefined ? undefined : Schema.fromJson(schema), undefined), paramNames: new Set(paramNames) };
    models.set(key, model);
  }
  return model;
}

port.on('message', (m: ToBodyThread) => {
  let reply: FromBodyThread;
  const transfer: ArrayBuffer[] = [];
  try {
    const read = readBody(m.body, m.format, modelOf(m.schema, m.paramNames));
    if (read.ok) {
      const packer = new Packer();
      const { input, params, unwrapped, fromRecords } = read.parsed;
      const ok: Extract<FromBodyThread, { ok: true }> = { id: m.id, ok: true, input: packer.pack(input), unwrapped };
      // Keys as readBody set them: an absent params or fromRecords stays absent.
      if ('params' in read.parsed) ok.params = packer.pack(params);
      if ('fromRecords' in read.parsed) ok.fromRecords = fromRecords;
      reply = ok;
      packer.send(m.side);
      transfer.push(...packer.transfer);
    } else reply = { id: m.id, ok: false, code: read.code, message: read.message };
  } catch (err) {
    reply = { id: m.id, failed: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply, transfer);
});
port.postMessage('ready' satisfies FromBodyThread);
