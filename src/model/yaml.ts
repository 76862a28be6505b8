import { parseDocument } from 'yaml';
import { MlflowError } from '../errors.js';
import { emitPyYaml } from './pyyaml-emitter.js';

/**
 * YAML as MLflow reads and writes it: PyYAML's safe_load/safe_dump speak YAML 1.1, where `yes`,
 * `no`, `on`, `off` are booleans and unquoted dates are timestamps. Writing with the 1.1 schema
 * quotes such strings, so PyYAML reads back the same values.
 */
export function parseYaml11(text: string, source: string): unknown {
  refuseHostile(text, source);
  // prettyErrors off: on deeply nested input its context excerpt can exhaust memory.
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new MlflowError(`${source}: malformed YAML at ${lineCol(text, e.pos[0])}: ${e.message.split('\n')[0]}`, 'INVALID_PARAMETER_VALUE', {
      cause: e,
    });
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new MlflowError(`${source}: malformed YAML: ${(e as Error).message}`, 'INVALID_PARAMETER_VALUE', { cause: e });
  }
}

/** Larger or more deeply nested than any MLmodel file: refused before the parser recurses. */
const MAX_YAML_BYTES = 32 * 1024 * 1024;
const MAX_FLOW_DEPTH = 500;

function refuseHostile(text: string, source: string): void {
  if (text.length > MAX_YAML_BYTES) {
    throw new MlflowError(`${source}: YAML file larger than ${MAX_YAML_BYTES} bytes`, 'INVALID_PARAMETER_VALUE');
  }
  // Counts brackets inside quoted strings too (signature JSON), which only raises the count a little.
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_FLOW_DEPTH) {
        throw new MlflowError(`${source}: YAML nested deeper than ${MAX_FLOW_DEPTH} levels at ${lineCol(text, i)}`, 'INVALID_PARAMETER_VALUE');
      }
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/**
 * YAML text as PyYAML's `safe_dump(default_flow_style=False)` writes it, byte for byte (see
 * pyyaml-emitter.ts); keys sorted unless `sortKeys` is false.
 */
export function stringifyYaml11(value: unknown, options: { sortKeys?: boolean } = {}): string {
  return emitPyYaml(value, options);
}
