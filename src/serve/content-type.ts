import { SCORING_PROTOCOL_CHANGE_INFO } from '../frame/scoring-messages.js';

/** What a request's Content-Type asks for: a body format, or MLflow's 415 answer. */
export type ContentTypeVerdict =
  | { readonly ok: true; readonly format: 'json' | 'csv' }
  | { readonly ok: false; readonly message: string };

const JSON_OK: ContentTypeVerdict = { ok: true, format: 'json' };
const CSV_OK: ContentTypeVerdict = { ok: true, format: 'csv' };

const UNSUPPORTED_TYPE =
  "This predictor only supports the following content types: Types: ['text/csv', 'application/json'].";

/** Longest header text quoted back in a 415 message. */
const MAX_ECHOED_HEADER = 100;

/**
 * Reads a Content-Type header as MLflow's scoring server does: `charset` must be utf-8, no other
 * parameter is allowed (1.x clients sent `format=pandas-split`), and the type must be JSON or
 * CSV. Beyond MLflow: `application/csv` (named in MLflow's docs) is CSV, and a missing header
 * is a 415 rather than a 500.
 */
export function readContentType(header: string | undefined): ContentTypeVerdict {
  if (header === 'application/json') return JSON_OK;
  if (header === undefined || header === '') {
    return { ok: false, message: `${UNSUPPORTED_TYPE} Got no Content-Type header.` };
  }
  const parts = header.split(';');
  const mime = parts[0].trim().toLowerCase();
  const params = new Map<string, string>();
  for (let i = 1; i < parts.length; i++) {
    const pair = parts[i].trim();
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    params.set(key, value);
  }
  const charset = (params.get('charset') ?? 'utf-8').toLowerCase();
  if (charset !== 'utf-8') return { ok: false, message: 'The scoring server only supports UTF-8' };
  params.delete('charset');
  if (params.size > 0) {
    return {
      ok: false,
      message: `Unrecognized content type parameters: ${[...params.keys()].join(', ')}. ${SCORING_PROTOCOL_CHANGE_INFO}`,
    };
  }
  if (mime === 'application/json') return JSON_OK;
  if (mime === 'text/csv' || mime === 'application/csv') return CSV_OK;
  const shown = header.length > MAX_ECHOED_HEADER ? `${header.slice(0, MAX_ECHOED_HEADER)}...` : header;
  return { ok: false, message: `${UNSUPPORTED_TYPE} Got '${shown}'.` };
}

