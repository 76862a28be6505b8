import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Model, PyFloat, parsePyJson, stringifyYaml11 } from '../../src/model/index.js';
import { mlmodelFixtures } from './helpers.js';

const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import yaml'], { encoding: 'utf8' });
const hasPyYaml = probe.status === 0;
if (!hasPyYaml) {
  console.warn(`Skipping PyYAML round-trip tests: '${PY} -c "import yaml"' failed (${probe.error?.message ?? probe.stderr.trim()})`);
}

/** For each YAML text: PyYAML's safe_load as JSON, and PyYAML's own safe_dump of it. */
function pyyaml(texts: string[]): { value: unknown; dump: string }[] {
  const script = `
import json, sys, yaml
out = []
for t in json.load(sys.stdin):
    v = yaml.safe_load(t)
    out.append({"value": v, "dump": yaml.safe_dump(v, default_flow_style=False)})
print(json.dumps(out, default=str))
`;
  const r = spawnSync(PY, ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return parsePyJson(r.stdout, 'pyyaml output') as { value: unknown; dump: string }[];
}

describe.skipIf(!hasPyYaml)('YAML written here, read by PyYAML (as MLflow reads MLmodel)', () => {
  it('every fixture MLmodel: PyYAML reads our text to the same values, and would write the same bytes', () => {
    const files = mlmodelFixtures();
    const ours = files.map((f) => Model.fromYaml(readFileSync(f, 'utf8'), f).toYaml());
    const back = pyyaml(ours);
    back.forEach((b, i) => {
      expect(b.dump, files[i]).toBe(ours[i]);
      expect(Model.fromDict(b.value, files[i]).toYaml()).toBe(ours[i]);
    });
  });

  it('tricky strings, numbers and nesting come back as the same values, in PyYAML\'s exact bytes', () => {
    const strings = [
      'yes', 'No', 'on', 'OFF', 'true', 'null', '~', '', ' lead', 'trail ', '14.3', '1e5', '1.0e+5', '0x1F', '017', '1_000', '12:30:45',
      '2018-08-10', '2018-08-10 18:34:28.720095', '<<', '=', '- item', '-x', ': a', 'a: b', 'a:b', '#c', 'a #c', 'a#c', "it's", '"q"',
      '[x]', '{y}', '&a', '*b', '!t', '|', '>', '%', '@', '`', '---', '...', 'multi\nline', 'two\n\nbreaks', 'tab\there', 'é', '😀',
      '\u2028', 'x\x00y', 'back\\slash', `${'word '.repeat(30)}end`, `'${'quoted words '.repeat(12)}'`, 'é '.repeat(50),
      `${'a'.repeat(100)} ${'b'.repeat(10)}`, 'a  b'.repeat(30), 'line one\n  indented\nthree',
    ];
    const doc = {
      strings,
      keys: Object.fromEntries(strings.slice(0, 40).map((s, i) => [s === '' ? 'empty' : s, i])),
      numbers: [0, -7, 2 ** 53, new PyFloat(1), new PyFloat(0.1), new PyFloat(1e-7), new PyFloat(1e20), new PyFloat(NaN), new PyFloat(-Infinity)],
      nested: [[1, [2, []]], { a: { b: [{ c: null, d: true }] } }, {}],
    };
    const text = stringifyYaml11(doc);
    const [b] = pyyaml([text]);
    expect(b.dump).toBe(text);
    const v = b.value as { strings: string[]; keys: Record<string, number> };
    expect(v.strings).toEqual(strings);
    expect(Object.keys(v.keys).sort()).toEqual(Object.keys(doc.keys).sort());
  });
});
