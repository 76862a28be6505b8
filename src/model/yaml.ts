import type { ScalarTag, Tags } from 'yaml';
import { MlflowError } from '../errors.js';
import { yamlPackage } from '../formats/yaml-package.js';
import { emitPyYaml } from './pyyaml-emitter.js';
import { readPyYamlSubset } from './pyyaml-reader.js';

/**
 * YAML as MLflow reads and writes it: PyYAML's safe_load/safe_dump speak YAML 1.1, where `yes`,
 * `no`, `on`, `off` are booleans and unquoted dates are timestamps. Writing with the 1.1 schema
 * quotes such strings, so PyYAML reads back the same values.
 */
export function parseYaml11(text: string, source: string): unknown {
  refuseHostile(text, source);
  // What PyYAML writes is read without loading the yaml package; anything else goes to it.
  const simple = readPyYamlSubset(text);
  if (simple) return simple.value;
  return parseWithYamlPackage(text, source);
}

/** parseYaml11 through the yaml package (exported for the test proving readPyYamlSubset agrees with it). */
export function parseWithYamlPackage(text: string, source: string): unknown {
  // prettyErrors off: on deeply nested input its context excerpt can exhaust memory.
  const doc = yamlPackage().parseDocument(text, { version: '1.1', uniqueKeys: false, prettyErrors: false, customTags: withPyYamlFloats });
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

const FLOAT_TAG = 'tag:yaml.org,2002:float';

/**
 * PyYAML's float resolver, which is narrower than the YAML 1.1 spec's: a float needs a dot, and an
 * exponent needs its sign. `.`, `1e5`, `1.0e5` and `+.5` are strings to PyYAML (the yaml package
 * reads `.` as NaN and the others as numbers), so `pickled_model: .` is the path '.', as in MLflow.
 */
const PYYAML_FLOAT =
  /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

const pyYamlFloat: ScalarTag = {
  identify: (value) => typeof value === 'number',
  default: true,
  tag: FLOAT_TAG,
  test: PYYAML_FLOAT,
  // PyYAML's construct_yaml_float: underscores dropped, `a:b:c.d` read in base 60.
  resolve(str) {
    const text = str.replace(/_/g, '').toLowerCase();
    const sign = text.startsWith('-') ? -1 : 1;
    const digits = text.replace(/^[-+]/, '');
    if (digits === '.inf') return sign * Infinity;
    if (digits === '.nan') return NaN;
    if (!digits.includes(':')) return sign * Number(digits);
    return sign * digits.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
  },
};

/** The yaml package's YAML 1.1 tags with its float resolvers replaced by PyYAML's. */
function withPyYamlFloats(tags: Tags): Tags {
  const isFloat = (t: Tags[number]): boolean => typeof t === 'object' && t.tag === FLOAT_TAG;
  const at = tags.findIndex(isFloat);
  const rest = tags.filter((t) => !isFloat(t));
  rest.splice(at < 0 ? rest.length : at, 0, pyYamlFloat);
  return rest;
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
