import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlflowError, NotSupportedNativelyError } from '../../../src/errors.js';
import { loadPickleFile, type PyInstance } from '../../../src/formats/pickle/index.js';
import { allowSklearnGlobal, buildEstimator } from '../../../src/flavors/sklearn/build.js';
import { loadSklearnEstimator } from '../../../src/flavors/sklearn/load.js';
import { callMethod } from '../../../src/flavors/sklearn/methods.js';
import { murmurhash3Signed } from '../../../src/flavors/sklearn/text/murmurhash3.js';
import { translatePythonRegex, UnsupportedRegexError } from '../../../src/flavors/sklearn/text/python-regex.js';
import { Frame } from '../../../src/frame/frame.js';
import { makeTensor } from '../../../src/frame/tensor.js';

const V191 = join(import.meta.dirname, '../../fixtures/sklearn/versions/v1.9.1');

function findall(pattern: string, text: string): string[] {
  const { regex, groups } = translatePythonRegex(pattern);
  return [...text.matchAll(regex)].map((m) => m[groups === 1 ? 1 : 0] ?? '');
}

describe('Python token patterns', () => {
  it("match Python's Unicode \\w and \\b (re.findall of the default token_pattern)", () => {
    // Python: re.findall(r"(?u)\b\w\w+\b", "Café naïve x_1 42 日本語 a co-op ﬁne") ==
    // ['Café', 'naïve', 'x_1', '42', '日本語', 'co', 'op', 'ﬁne']
    expect(findall('(?u)\\b\\w\\w+\\b', 'Café naïve x_1 42 日本語 a co-op ﬁne')).toEqual(['Café', 'naïve', 'x_1', '42', '日本語', 'co', 'op', 'ﬁne']);
  });

  it('match boundaries next to optional and required word characters as Python does', () => {
    // re.findall with Python 3.11
    expect(findall('\\w*\\b', 'ab  cd')).toEqual(['ab', '', 'cd', '']);
    expect(findall('\\b\\w+\\b', 'ab-cd é1')).toEqual(['ab', 'cd', 'é1']);
    expect(findall('-\\b\\w', 'a -b - c')).toEqual(['-b']);
    expect(findall('\\w{2,}?\\b', 'abc de')).toEqual(['abc', 'de']);
    expect(findall('\\d+\\b', '12ab 34 ٣٤')).toEqual(['34', '٣٤']);
  });

  it('return the one group when the pattern has one', () => {
    expect(findall('(?u)\\b(\\w)\\w*\\b', 'alpha beta')).toEqual(['a', 'b']);
  });

  it('refuse by name what they cannot match exactly', () => {
    for (const p of ['(?i)abc', '(?=a)b', '(a)\\1', '(?P<n>a)', 'a*+', '[[:alpha:]]']) {
      expect(() => translatePythonRegex(p), p).toThrow(UnsupportedRegexError);
    }
  });
});

describe('murmurhash3_32', () => {
  it("gives scikit-learn's signed hashes of UTF-8 bytes", () => {
    // sklearn.utils.murmurhash3_32(s, 0) with scikit-learn 1.9.1
    const got = ['', 'a', 'ab', 'abc', 'abcd', 'hello world', 'héllo', '日本語テキスト'].map((s) => murmurhash3Signed(s));
    expect(got).toEqual([0, 1009084850, -1681926305, -1277324294, 1139631978, 1586663183, -1130389400, -423053779]);
  });
});

describe('text vectorizer input', () => {
  const pipelineFile = join(V191, 'count_vectorizer_nb_text/model.p4.pkl');

  it('iterates a DataFrame as sklearn does: its column names are the documents', async () => {
    const est = await loadSklearnEstimator(pipelineFile);
    const frame = new Frame([{ name: 'alpha tree', data: { kind: 'string', values: ['x', 'y', 'z'] } }], 3);
    expect(callMethod(est, 'predict', frame).shape).toEqual([1]);
  });

  it('refuses a 2-D array, whose rows are not documents', async () => {
    const est = await loadSklearnEstimator(pipelineFile);
    const t = makeTensor({ dtype: 'string', shape: [2, 1], data: ['alpha', 'beta'] });
    expect(() => callMethod(est, 'predict', t)).toThrow(/1-D array of documents/);
  });

  it('refuses a 1-D array for an estimator that is not a vectorizer, as check_array does', async () => {
    const est = await loadSklearnEstimator(join(V191, 'max_abs_scaler_wine/model.p4.pkl'));
    const t = makeTensor({ dtype: 'string', shape: [2], data: ['1', '2'] });
    expect(() => callMethod(est, 'transform', t)).toThrow(MlflowError);
    expect(() => callMethod(est, 'transform', t)).toThrow(/Expected 2D array, got 1D array instead/);
  });
});

describe('settings the native vectorizers do not reproduce are refused by name', () => {
  async function vectorizer(caseName: string, step: number | null): Promise<{ root: PyInstance; vec: PyInstance }> {
    const root = (await loadPickleFile(join(V191, caseName, 'model.p4.pkl'), { allowGlobal: allowSklearnGlobal, source: caseName })) as PyInstance;
    const vec = step === null ? root : ((root.state.steps as unknown[][])[step][1] as PyInstance);
    return { root, vec };
  }
  const cases: [string, string, number | null, Record<string, unknown>, RegExp][] = [
    ['custom tokenizer', 'count_vectorizer_nb_text', 0, { tokenizer: { kind: 'global', module: 'mymod', name: 'tok' } }, /custom tokenizer/],
    ['callable analyzer', 'count_vectorizer_nb_text', 0, { analyzer: { kind: 'global', module: 'mymod', name: 'an' } }, /analyzers/],
    ['strip_accents a callable', 'count_vectorizer_nb_text', 0, { strip_accents: { kind: 'global', module: 'mymod', name: 'strip' } }, /strip_accents=/],
    ['stop words neither a list nor "english"', 'tfidf_logreg_text', 0, { stop_words: 'french' }, /stop_words should be/],
    ['a lookahead token pattern', 'count_vectorizer_nb_text', 0, { token_pattern: '(?u)\\b\\w+(?=s)' }, /token_pattern/],
    ['input=filename', 'count_vectorizer_nb_text', 0, { input: 'filename' }, /input='filename'/],
    ['SplineTransformer handle_missing=zeros', 'spline_transformer_iris', null, { handle_missing: 'zeros' }, /handle_missing='zeros'/],
  ];
  for (const [what, caseName, step, change, message] of cases) {
    it(what, async () => {
      const { root, vec } = await vectorizer(caseName, step);
      Object.assign(vec.state, change);
      const err = (() => {
        try {
          buildEstimator(root);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(NotSupportedNativelyError);
      expect((err as Error).message).toMatch(message);
    });
  }
});
