import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stripAccents } from '../../../src/flavors/sklearn/text/strip-accents.js';
import { PYTHON_UNICODE_VERSION } from '../../../src/flavors/sklearn/text/python-unicode.js';

/** scikit-learn's own outputs (test/fixtures/sklearn/strip-accents/make_strip_accents.py). */
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/sklearn/strip-accents/strip_accents.json'), 'utf8')) as {
  unicode: string;
  cases: [string, string, string][];
};

describe("strip_accents as scikit-learn computes it with Python's unicodedata", () => {
  it('the table is from the Unicode version the fixture was made with', () => {
    expect(PYTHON_UNICODE_VERSION).toBe(fixture.unicode);
  });

  it("'unicode': NFKD, combining characters dropped, on every code point of the fixture's blocks", () => {
    for (const [input, unicode] of fixture.cases) expect(stripAccents(input, 'unicode'), `U+${input.codePointAt(0)!.toString(16)}`).toBe(unicode);
  });

  it("'ascii': NFKD, non-ASCII dropped (a character newer than Python's Unicode is not decomposed)", () => {
    for (const [input, , ascii] of fixture.cases) expect(stripAccents(input, 'ascii'), `U+${input.codePointAt(0)!.toString(16)}`).toBe(ascii);
  });

  it("keeps a character Python's Unicode does not assign, though Node's decomposes it", () => {
    const modifierA = String.fromCodePoint(0x1e030); // MODIFIER LETTER CYRILLIC SMALL A (Unicode 15.0): <super> U+0430
    expect(modifierA.normalize('NFKD')).toBe('\u0430');
    expect(stripAccents(`e\u0301${modifierA}`, 'unicode')).toBe(`e${modifierA}`);
  });
});
