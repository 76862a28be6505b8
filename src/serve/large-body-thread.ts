// The thread that reads large request bodies for the scoring server (large-body.ts): decodes,
// parses and casts a body to the model's schema with the same code the main thread runs for a
// small one, enforces it against the schema as predict would (the main thread's predict then
// skips it), and sends the result back in pieces (thread-transfer.ts).
import { parentPort } from 'node:worker_threads';
import { MlflowError } from '../errors.js';
import { Schema } from '../model/index.js';
import { enforceSchema } from '../pyfunc/index.js';
import type { BodyAbout, FromBodyThread, ToBodyThread } from './large-body.js';
import { readV2Body } from './open-inference/read-v2-body.js';
import { V2Error } from './open-inference/v2-error.js';
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

type Read = { ok: true; input: unknown; params?: unknown; hasParams: boolean; about: BodyAbout } | Extract<FromBodyThread, { ok: false }>;

/** The body as the route's own reader reads it. */
function read(m: ToBodyThread, model: BodyModel): Read {
  if (m.read.route === 'invocations') {
    const r = readBody(m.body, m.read.format, model);
    if (!r.ok) return { id: m.id, ok: false, code: r.code, message: r.message };
    const { input, params, ...about } = r.parsed;
    // Keys as readBody set them: an absent params stays absent.
    return { ok: true, input, params, hasParams: 'params' in r.parsed, about };
  }
  try {
    const { request, input } = readV2Body(m.read.binaryHeader, m.body, model.inputSchema);
    const { params, ...v2 } = request;
    return { ok: true, input, params, hasParams: true, about: { v2 } };
  } catch (err) {
    if (err instanceof V2Error) return { id: m.id, ok: false, code: 'BAD_REQUEST', status: err.status, message: err.message };
    throw err;
  }
}

port.on('message', (m: ToBodyThread) => {
  let reply: FromBodyThread;
  const transfer: ArrayBuffer[] = [];
  try {
    const model = modelOf(m.schema, m.paramNames);
    const r = read(m, model);
    if (r.ok) {
      let input = r.input;
      let refused: { code: MlflowError['errorCode']; message: string } | undefined;
      if (model.inputSchema) {
        try {
          input = enforceSchema(input, model.inputSchema);
        } catch (err) {
          if (!(err instanceof MlflowError)) throw err;
          refused = { code: err.errorCode, message: err.message };
          input = null;
        }
      }
      const packer = new Packer(m.stringsAsBytes);
      const values = r.hasParams ? [packer.pack(input), packer.pack(r.params)] : [packer.pack(input)];
      reply = { id: m.id, ok: true, values, about: r.about, ...(refused ? { refused } : {}) };
      packer.send(m.side);
      transfer.push(...packer.transfer);
    } else reply = { ...r, id: m.id };
  } catch (err) {
    reply = { id: m.id, failed: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply, transfer);
});
port.postMessage('ready' satisfies FromBodyThread);
