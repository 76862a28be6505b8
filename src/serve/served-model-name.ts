import { basename } from 'node:path';

/**
 * The name (and registry version) a model is served under in the V2 routes and metrics when the
 * operator gives none: `models:/name/3` -> name, version 3; `models:/name@alias` -> name; any other
 * URI -> its last path segment (a run's artifact path, a folder), else 'model'.
 */
export function servedModelName(uri: string): { name: string; version?: string } {
  const registry = /^models:\/([^/@]+)(?:\/(\d+)|@[^/]+|\/[^/]+)?\/?$/.exec(uri);
  if (registry) return { name: registry[1], ...(registry[2] === undefined ? {} : { version: registry[2] }) };
  const path = uri.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/[?#].*$/, '').replace(/\/+$/, '');
  const last = basename(path);
  return { name: last === '' || last === '.' ? 'model' : last };
}
