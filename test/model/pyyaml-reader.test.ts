import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPyYamlSubset } from '../../src/model/pyyaml-reader.js';
import { emitPyYaml } from '../../src/model/pyyaml-emitter.js';
import { parseWithYamlPackage } from '../../src/model/yaml.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The project's fixtures, and the shared ones beside the repository when they are there. */
const ROOTS = [path.join(ROOT, 'test/fixtures'), path.resolve(ROOT, '../shared/fixtures')].filter((d) => existsSync(d));
const YAML_NAMES = /^(MLmodel|conda\.ya?ml|python_env\.ya?ml)$|\.ya?ml$/;

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) yamlFiles(p, out);
    else if (YAML_NAMES.test(name) && st.size < 1 << 20) out.push(p);
  }
  return out;
}

/** The subset reader's value, or undefined when it hands the text over; the yaml package's value. */
function both(text: string): { fast: { value: unknown } | undefined; slow: unknown } {
  let slow: unknown;
  try {
    slow = parseWithYamlPackage(text, 'test');
  } catch (e) {
    slow = e;
  }
  return { fast: readPyYamlSubset(text), slow };
}

describe('the PyYAML subset reader agrees with the yaml package (YAML 1.1, PyYAML floats)', () => {
  const files = ROOTS.flatMap((d) => yamlFiles(d));

  it('on every MLmodel, conda.yaml, python_env.yaml and other YAML file in the fixtures; reading all PyYAML-written ones itself', () => {
    expect(files.length).toBeGreaterThan(80);
    let fast = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const r = both(text);
      if (r.fast) {
        fast++;
        expect(r.slow, f).not.toBeInstanceOf(Error);
        expect(r.fast.value, f).toEqual(r.slow);
      }
      // What PyYAML's safe_dump writes (as MLflow saves these files) never needs the yaml package.
      if (!(r.slow instanceof Error) && emitPyYaml(r.slow) === text) expect(r.fast, `${f} is PyYAML's own output`).toBeDefined();
    }
    expect(fast).toBeGreaterThan(files.length / 2);
  });

  it("on PyYAML's output for awkward values: folded quotes, escapes, empty lines, nesting, numbers", () => {
    const long = 'word '.repeat(40).trim();
    const values: unknown[] = [
      { a: `it's "quoted" and ${long}`, b: `${long}\n\nafter two breaks\nand one`, c: 'caf\u00e9 \u2603 \u{1F600}', d: '\x07bell\ttab' },
      { d: `${'x'.repeat(100)} ${'y'.repeat(100)}`, e: ` leading space ${long}`, f: `trailing space ${long} `, g: `"${long}"` },
      { seq: [[1, 2], [], {}, [{ k: 'v', m: null }], 'x'], nested: { deeper: { deepest: [true, false, null] } } },
      { nums: [0, -1, 123456789012345, 1.5, -0.25, 1e-5, 0.1, -0], strs: ['1.2.1', '3.11.2', 'f5ae7a3593b5491880208fee23df05d2', '007', 'yes', 'No', 'null', '~', ''] },
      { 'key.with-dots_and': 'pip<=24.2', deps: ['python=3.11.2', { pip: ['mlflow==2.22.1', 'scikit-learn[all]==1.2.1'] }] },
      { dates: ['2024-01-01', '2026-11-26 16:53:20.447840'], colon: 'a: b', hash: 'a #b', star: '*x', amp: '&y', bang: '!z', dash: '- q' },
    ];
    for (const v of values) {
      for (const sortKeys of [true, false]) {
        const text = emitPyYaml(v, { sortKeys });
        const r = both(text);
        expect(r.fast, text).toBeDefined();
        expect(r.fast!.value, text).toEqual(r.slow);
      }
    }
  });

  it('on 500 generated documents (seeded): whatever it reads, it reads as the yaml package does', () => {
    let seed = 16;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const ALPHABET = ['a', 'B', '1', '0', '.', ' ', ' ', '-', ':', '#', "'", '"', '\\', '\n', '\t', '=', '<', '[', '{', '*', '&', '!', '~', '\u00e9', '\u2603', 'yes', 'null', 'e'];
    const str = (): string => Array.from({ length: rand(12) === 0 ? 90 + rand(60) : rand(12) }, () => ALPHABET[rand(ALPHABET.length)]).join('');
    const value = (depth: number): unknown => {
      const k = rand(depth > 3 ? 5 : 8);
      if (k <= 1) return str();
      if (k === 2) return rand(3) === 0 ? rand(1000) - 500 : (rand(20000) - 10000) / 64;
      if (k === 3) return [true, false, null][rand(3)];
      if (k === 4) return `${rand(4)}.${rand(30)}.${rand(9)}`;
      if (k === 5) return Array.from({ length: rand(4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: rand(5) }, () => [['name', 'type', 'x', 'flavors', 'sk_learn', 'a.b'][rand(6)] + str().replace(/[^a-z]/g, ''), value(depth + 1)]));
    };
    let fast = 0;
    for (let i = 0; i < 500; i++) {
      const text = emitPyYaml({ doc: value(0) });
      const r = both(text);
      if (!r.fast) continue;
      fast++;
      expect(r.fast.value, text).toEqual(r.slow);
    }
    expect(fast).toBeGreaterThan(250);
  });

  it('hands over what lies outside the subset, and never reads it differently', () => {
    const texts = [
      'a: yes\n', 'a: On\n', 'a: 0x1F\n', 'a: 012\n', 'a: 1_000\n', 'a: 1:30\n', 'a: .inf\n', 'a: 1.\n', 'a: 2024-01-01\n',
      'a: b # comment\n', '# c\na: 1\n', 'a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a: |\n  text\n', 'a: >\n  text\n', 'a: [1, 2]\n',
      'a: {b: 1}\n', 'a: 1\na: 2\n', 'yes: 1\n', '__proto__: 1\n', 'a:\n\n  b: 1\n', '---\na: 1\n', 'a: 1\r\n', 'a:\tb\n',
      'a: plain\n  continued\n', "a: 'x'y\n", "a: '\n  x'\n", 'a: "\\q"\n', '- a\n-\n', '  a: 1\n', 'a: 1\n  b: 2\n', '',
      "a: 'x \n  y'\n", 'a: "x\\\n\n  y"\n', 'a:  two spaces\n', '<<: {b: 1}\n', 'a: =\n', 'a: -b\n', 'a: +1\n', 'a: -0\n',
      'a: 1e5\n', 'a: 1000000000000000000000\n', 'a: 1.0e+21\n',
    ];
    for (const t of texts) {
      const r = both(t);
      if (r.fast) expect(r.fast.value, JSON.stringify(t)).toEqual(r.slow);
    }
    expect(readPyYamlSubset('a: yes\n')).toBeUndefined();
    expect(readPyYamlSubset('a: b # comment\n')).toBeUndefined();
    expect(readPyYamlSubset('a: 1\na: 2\n')).toBeUndefined();
  });
});
